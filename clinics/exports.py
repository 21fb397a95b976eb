"""CSV export of what a changelist shows: the same scope, filters and search (so the same rows)."""

import csv
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone


class CsvExportAdmin(admin.ModelAdmin):
    """`csv_columns`: (header, function of the object) pairs. `export/?<changelist filters>`."""

    csv_columns: tuple[tuple[str, Any], ...] = ()

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_export"
        return [path("export/", self.admin_site.admin_view(self.export_view), name=name), *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = changelist.queryset
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{self.model._meta.model_name}s-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow([str(header) for header, _value in self.csv_columns])
        for obj in rows.iterator(chunk_size=2000) if not rows._prefetch_related_lookups else rows:
            writer.writerow([value(obj) for _header, value in self.csv_columns])
        return response
