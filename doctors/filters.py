"""The search filters of `GET /doctors`.

`DoctorSearchFilterSet` is the one place a search parameter is declared: add a filter here (a
django-filter `Filter` with a `method`) and it is parsed, validated (400 on bad input), documented
in the OpenAPI schema and part of the page cache key (see `views.DoctorListView`) with no other change.
"""

import uuid
from datetime import timedelta

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doctors.models import DoctorProfile, VisitType
from doctors.services import search_name_normalise

ORDERINGS = {
    "rating": ("avg_rating", "id"),
    "-rating": ("-avg_rating", "id"),
    "fee": ("fee_amount", "id"),
    "-fee": ("-fee_amount", "id"),
    "name": ("user__last_name", "user__first_name", "id"),
    "next_available": (F("next_available_at").asc(nulls_last=True), "id"),
}
DEFAULT_ORDERING = ("-avg_rating", "-rating_count", "id")
MAX_AVAILABILITY_WINDOW_DAYS = 31


class DoctorSearchForm(forms.Form):
    """Validates the availability window: from <= to, at most `MAX_AVAILABILITY_WINDOW_DAYS` days."""

    available_window: tuple | None = None

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("available_from"), cleaned.get("available_to")
        if date_from is None and date_to is None:
            return cleaned
        date_from = date_from or timezone.localdate()
        date_to = date_to or date_from + timedelta(days=MAX_AVAILABILITY_WINDOW_DAYS - 1)
        if date_to < date_from:
            raise forms.ValidationError(
                {"available_to": forms.ValidationError(_("Must be on or after available_from."), code="invalid")}
            )
        if (date_to - date_from).days >= MAX_AVAILABILITY_WINDOW_DAYS:
            message = _("The availability window is at most %(days)s days.") % {"days": MAX_AVAILABILITY_WINDOW_DAYS}
            raise forms.ValidationError({"available_to": forms.ValidationError(message, code="invalid")})
        self.available_window = (date_from, date_to)
        return cleaned


class DoctorSearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", max_length=100, label=_("Name"))
    specialty = django_filters.CharFilter(method="filter_specialty", max_length=80, label=_("Specialty id or slug"))
    city = django_filters.CharFilter(method="filter_city", max_length=120, label=_("City"))
    country = django_filters.CharFilter(method="filter_country", max_length=2, label=_("Country (ISO code)"))
    language = django_filters.CharFilter(method="filter_language", max_length=3, label=_("Language spoken"))
    visit_type = django_filters.CharFilter(
        method="filter_visit_type", max_length=120, label=_("Offers a visit type whose name contains this")
    )
    min_rating = django_filters.NumberFilter(
        field_name="avg_rating", lookup_expr="gte", min_value=0, max_value=5, label=_("Minimum rating")
    )
    max_fee = django_filters.NumberFilter(
        field_name="fee_amount", lookup_expr="lte", min_value=0, label=_("Maximum fee (minor units)")
    )
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering", label=_("Ordering"), choices=[(key, key) for key in ORDERINGS]
    )
    # Applied together in `filter_queryset`: one window, checked by the slot engine.
    available_from = django_filters.DateFilter(
        method="filter_available_window", label=_("Has a free slot on or after this date")
    )
    available_to = django_filters.DateFilter(
        method="filter_available_window", label=_("Has a free slot on or before this date")
    )

    class Meta:
        model = DoctorProfile
        fields: list[str] = []
        form = DoctorSearchForm

    _form_class: type[forms.Form] | None = None

    def get_form_class(self) -> type[forms.Form]:
        """django-filter builds the form class (and each filter's form field) for every request; the
        filters are declared once, so the class is too. A form still copies its fields per instance."""
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_available_window(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        window = self.form.available_window
        if window is None:
            return queryset
        date_from, date_to = window
        doctor_ids = list(queryset.order_by().values_list("pk", flat=True))
        from appointments.slots import doctor_ids_with_free_slot  # up-call (docs/architecture.md)

        available = doctor_ids_with_free_slot(doctor_ids=doctor_ids, date_from=date_from, date_to=date_to)
        return queryset.filter(pk__in=available)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for token in search_name_normalise(value).split():
            queryset = queryset.filter(search_name__contains=token)
        return queryset

    def filter_specialty(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        try:
            return queryset.filter(specialties__id=uuid.UUID(value))
        except ValueError:
            return queryset.filter(specialties__slug=value.strip().lower())

    def filter_city(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Same expression as the functional index doctor_city_upper_idx.
        return queryset.alias(city_upper=Upper("city")).filter(city_upper=value.strip().upper())

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.alias(country_upper=Upper("country")).filter(country_upper=value.strip().upper())

    def filter_language(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        code = value.strip().lower()
        if connection.vendor == "postgresql":  # jsonb containment, served by the GIN index
            return queryset.filter(languages__contains=[code])
        return queryset.filter(languages__icontains=f'"{code}"')

    def filter_visit_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Either language's name, active visit types only: the partial trigram indexes
        # visit_type_name_{en,fr}_trgm_idx on PostgreSQL (doctors 0008).
        text = value.strip()
        if not text:
            return queryset
        offered = VisitType.objects.filter(doctor=OuterRef("pk"), is_active=True).filter(
            Q(name_en__icontains=text) | Q(name_fr__icontains=text)
        )
        return queryset.filter(Exists(offered))

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*ORDERINGS[value])

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        if not self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(*DEFAULT_ORDERING)
        return queryset
