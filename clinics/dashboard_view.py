"""What the dashboard template shows: figures with their labels and links, and the SVG charts."""

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from appointments.models import AppointmentStatus
from clinics.selectors import Dashboard, Period
from doctors.models import PaymentMethod, VerificationStatus
from payments.receipts import money_display
from portal.charts import Series, bar_chart

S = AppointmentStatus


def _url(name: str, **params: Any) -> str:
    return f"{reverse(name)}?{urlencode(params)}" if params else reverse(name)


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


def _appointments_link(period: Period, *, export: bool = False, **params: Any) -> str:
    name = "admin:appointments_appointment_export" if export else "admin:appointments_appointment_changelist"
    return _url(name, start__gte=_stamp(period.start), start__lt=_stamp(period.end), **params)


def _payments_link(period: Period, *, export: bool = False, **params: Any) -> str:
    name = "admin:payments_payment_export" if export else "admin:payments_payment_changelist"
    return _url(name, paid_at__gte=_stamp(period.start), paid_at__lt=_stamp(period.end), **params)


def _period(period: Period) -> dict[str, Any]:
    statuses = [
        {
            "label": S(status).label,
            "count": count,
            "url": _appointments_link(period, status__exact=status),
            "csv": _appointments_link(period, export=True, status__exact=status),
        }
        for status, count in period.by_status.items()
    ]
    return {
        "title": _("Today") if period.key == "today" else _("This month"),
        "booked": period.booked,
        "booked_url": _appointments_link(period),
        "booked_csv": _appointments_link(period, export=True),
        "statuses": statuses,
        "cancellation_rate": period.cancellation_rate,
        "no_show_rate": period.no_show_rate,
        "new_patients": period.new_patients,
        "revenue": [
            {
                "label": PaymentMethod(method).label,
                "amount": money_display(amount, currency),
                "url": _payments_link(period, method__exact=method, currency=currency),
                "csv": _payments_link(period, export=True, method__exact=method, currency=currency),
            }
            for method, currency, amount in period.revenue
        ],
    }


def dashboard_context(dashboard: Dashboard) -> dict[str, Any]:
    labels = [date_format(week.monday, "d/m") for week in dashboard.weeks]
    bookings = bar_chart(
        labels=labels,
        series=[
            Series("kept", _("Confirmed or completed"), [week.kept for week in dashboard.weeks]),
            Series("cancelled", _("Cancelled"), [week.cancelled for week in dashboard.weeks]),
            Series("no_show", _("No-show"), [week.no_show for week in dashboard.weeks]),
        ],
    )
    revenue = [
        (
            currency,
            bar_chart(
                labels=labels,
                series=[Series("revenue", _("Revenue"), values)],
                value_labels=[money_display(value, currency).rsplit(" ", 1)[0] if value else "" for value in values],
            ),
        )
        for currency, values in sorted(dashboard.weekly_revenue.items())
    ]
    return {
        "periods": [_period(period) for period in dashboard.periods],
        "pending_verifications": dashboard.pending_verifications,
        "pending_verifications_url": _url(
            "admin:doctors_doctorprofile_changelist", verification_status__exact=VerificationStatus.PENDING
        ),
        "open_support_requests": dashboard.open_support_requests,
        "open_support_requests_url": _url("admin:support_supportrequest_changelist", status__exact="open"),
        "clinic_payments_to_record": dashboard.clinic_payments_to_record,
        "clinic_payments_to_record_url": _url(
            "admin:appointments_appointment_changelist",
            payment_method__exact="clinic",
            status__exact=S.COMPLETED,
            payment__isnull="True",
        ),
        "bookings_chart": bookings,
        "revenue_charts": revenue,
    }
