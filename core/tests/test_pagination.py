"""`PageCountingPaginator`: Django's pages, counts and errors, in one query a page."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from core.pagination import PAGE_TOTAL, PageCountingPaginator
from doctors.models import Specialty
from doctors.tests.factories import SpecialtyFactory

pytestmark = pytest.mark.django_db

ROWS = 23


def _outcome(paginator_class, object_list, per_page, number, **options):
    paginator = paginator_class(object_list, per_page, **options)
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as error:
        return type(error).__name__, str(error)
    rows = [row["pk"] if isinstance(row, dict) else row.pk for row in page]
    return paginator.count, paginator.num_pages, rows, page.has_next(), page.has_previous(), page.start_index()


@pytest.fixture
def specialties():
    SpecialtyFactory.create_batch(ROWS)
    return Specialty.objects.order_by("slug")


@pytest.mark.parametrize("per_page", [1, 5, 20, ROWS, 100])
@pytest.mark.parametrize("number", [1, 2, 3, 5, 24, "2", 2.0, "last", "x", 0, -1, 2.5, None])
def test_the_same_pages_counts_and_errors_as_djangos(specialties, per_page, number):
    assert _outcome(PageCountingPaginator, specialties, per_page, number) == _outcome(
        Paginator, specialties, per_page, number
    )


@pytest.mark.parametrize("number", [1, 2, 3])
def test_a_page_in_range_is_one_query(specialties, number, django_assert_num_queries):
    paginator = PageCountingPaginator(specialties, 10)

    with django_assert_num_queries(1):
        page = paginator.page(number)
        assert paginator.count == ROWS
        assert paginator.num_pages == 3
        assert len(page) == (3 if number == 3 else 10)


def test_a_page_past_the_end_is_counted_the_usual_way(specialties, django_assert_num_queries):
    # the page query finds no row to read the count from; Django's count then says why it is empty
    with django_assert_num_queries(2), pytest.raises(EmptyPage, match="no results"):
        PageCountingPaginator(specialties, 10).page(4)


def test_no_rows_is_an_empty_first_page_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        paginator = PageCountingPaginator(Specialty.objects.order_by("slug"), 10)
        page = paginator.page(1)
        assert (paginator.count, paginator.num_pages, list(page)) == (0, 1, [])
    with pytest.raises(EmptyPage):
        PageCountingPaginator(Specialty.objects.order_by("slug"), 10, allow_empty_first_page=False).page(1)


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda qs: qs.values("pk", "slug"), id="values"),
        pytest.param(lambda qs: qs.distinct(), id="distinct"),
        pytest.param(lambda qs: qs[:15], id="sliced"),
    ],
)
def test_what_the_window_could_miscount_or_show_is_counted_djangos_way(specialties, shape, django_assert_num_queries):
    object_list = shape(specialties)

    with django_assert_num_queries(2):
        counted = _outcome(PageCountingPaginator, object_list, 10, 2)

    assert counted == _outcome(Paginator, shape(specialties), 10, 2)


def test_values_rows_carry_no_count_column(specialties):
    page = PageCountingPaginator(specialties.values("pk", "slug"), 10).page(1)

    assert [set(row) for row in page] == [{"pk", "slug"}] * 10


def test_instances_carry_the_count_only_under_its_own_name(specialties):
    page = PageCountingPaginator(specialties, 10).page(2)

    assert {getattr(row, PAGE_TOTAL) for row in page} == {ROWS}


def test_orphans_and_lists_are_paginated_as_django_does(specialties):
    for number in (1, 2, 3):
        assert _outcome(PageCountingPaginator, specialties, 10, number, orphans=3) == _outcome(
            Paginator, specialties, 10, number, orphans=3
        )
    rows = list(specialties)
    assert _outcome(PageCountingPaginator, rows, 10, 3) == _outcome(Paginator, rows, 10, 3)
