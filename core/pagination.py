from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable
from rest_framework import pagination

PAGE_TOTAL = "_page_total"


class PageCountingPaginator(Paginator):
    """Django's paginator, except that the page's own query counts the rows (`COUNT(*) OVER ()`):
    one query a page instead of a COUNT and then the page, with the same pages, counts and errors.

    Only for what the window cannot miscount or show: a queryset of model instances (the count rides
    on each instance as `_page_total`, which no serializer reads), without DISTINCT, GROUP BY, set
    operations or a slice, and no orphans. Anything else, an explicit `count`, or a page past the
    end (where there is no row to read the count from) is counted Django's way."""

    def page(self, number: Any) -> Page:
        if not self._counts_in_page():
            return super().page(number)
        # `validate_number`'s own checks (an integer, at least 1) but not its last (at most
        # `num_pages`): that needs the count, which this page's query is about to bring.
        self.__dict__["num_pages"] = float("inf")
        try:
            number = self.validate_number(number)
        finally:
            del self.__dict__["num_pages"]
        bottom = (number - 1) * self.per_page
        counted = self.object_list.annotate(**{PAGE_TOTAL: Window(Count("*"))})
        rows = list(counted[bottom : bottom + self.per_page])
        if rows:
            self.__dict__["count"] = getattr(rows[0], PAGE_TOTAL)
        elif number == 1:
            self.__dict__["count"] = 0
        else:
            return super().page(number)
        return self._get_page(rows, self.validate_number(number), self)

    def _counts_in_page(self) -> bool:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or self.orphans or "count" in self.__dict__:
            return False
        query = queryset.query
        return (
            queryset._iterable_class is ModelIterable
            and not query.distinct
            and query.group_by is None
            and not query.combinator
            and not query.is_sliced
        )


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class CountInPagePagination(PageNumberPagination):
    """`PageNumberPagination` counting in the page's query (`PageCountingPaginator`), for lists whose
    page query reads every matching row anyway, so that the window costs next to nothing: the
    caller's own appointments (a sort that no index serves, across the OR of their two roles).
    Not for the doctor search: an index there stops its page query after a page of rows, and the
    window would make it read them all (measured: 0.5-1.7 ms -> 2.6-6.9 ms on PostgreSQL)."""

    django_paginator_class = PageCountingPaginator


class NewestFirstCursorPagination(pagination.CursorPagination):
    """Cursor pagination for feeds (chat messages, notifications): stable under inserts."""

    page_size = 30
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")
