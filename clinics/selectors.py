"""Which clinics a staff member may see, the querysets scoped to them (the admin's one filter), and the
back-office dashboard's figures (today, this month, the last 12 weeks; a fixed number of queries)."""

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import Role, User
from appointments.models import Appointment
from appointments.models import AppointmentStatus as S
from clinics.models import Clinic
from doctors.models import DoctorProfile, VerificationStatus
from payments.models import PAID_STATUSES, Payment
from support.models import SupportRequest, SupportStatus

PLATFORM = "platform"  # only platform admins (superusers, or the `view_all_clinics` permission)
SHARED = "shared"  # the same for every staff member (a catalogue such as specialties)
# A support request belongs to the clinic of the appointment it is about (none: platform admins only).
SUPPORT_REQUEST_SCOPE = "appointment__doctor__clinic"


def staff_is_platform_admin(*, user: Any) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("clinics.view_all_clinics"))


def staff_clinic_ids(*, user: Any) -> list | None:
    """The ids of the user's clinics; None for a platform admin (every clinic)."""
    if staff_is_platform_admin(user=user):
        return None
    cache_name = "_staff_clinic_ids"
    if not hasattr(user, cache_name):
        setattr(user, cache_name, list(Clinic.objects.filter(staff=user).values_list("pk", flat=True)))
    return getattr(user, cache_name)


def clinic_scope_filter(*, queryset: QuerySet, user: Any, scope: str | Sequence[str]) -> QuerySet:
    """`queryset` cut to what `user` may see. `scope` is PLATFORM, SHARED, or the lookup(s) from the
    model to `Clinic` ("doctor__clinic"; several are OR-ed, e.g. a user is a doctor, a patient or a
    colleague of the clinic)."""
    clinic_ids = staff_clinic_ids(user=user)
    if clinic_ids is None or scope == SHARED:
        return queryset
    if scope == PLATFORM:
        return queryset.none()
    lookups = [scope] if isinstance(scope, str) else list(scope)
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{f"{lookup}__in": clinic_ids})
    if len(lookups) == 1 and _to_one(queryset.model, lookups[0]):
        # Joins that cannot repeat a row (an appointment's doctor's clinic): the planner walks the
        # clinic's doctors and their indexes instead of scanning the whole table for a subquery.
        return queryset.filter(condition)
    # A lookup through a to-many relation (a patient's appointments) would repeat rows: a subquery
    # keeps one row per object without DISTINCT (which the admin's annotations and ordering dislike).
    return queryset.filter(pk__in=queryset.model._default_manager.filter(condition).values("pk"))


def _to_one(model: Any, lookup: str) -> bool:
    """Whether every step of `lookup` ("appointment__doctor__clinic", "pk") is a field, a foreign key
    or a one-to-one from `model`'s side, so filtering on it keeps one row per object."""
    for name in lookup.split("__"):
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return False
        if field.is_relation:
            model = field.related_model
    return True


def clinics_for_staff(*, user: Any) -> QuerySet:
    return clinic_scope_filter(queryset=Clinic.objects.all(), user=user, scope="pk")


# --- The dashboard ------------------------------------------------------------------------------

WEEKS = 12
BOOKED = (S.PENDING_PAYMENT, S.CONFIRMED, S.COMPLETED, S.NO_SHOW, S.CANCELLED)


@dataclass(frozen=True)
class Period:
    key: str  # "today" or "month"
    start: datetime
    end: datetime
    by_status: dict[str, int]
    booked: int
    cancellation_rate: float | None
    no_show_rate: float | None
    new_patients: int
    revenue: list[tuple[str, str, int]]  # (method, currency, net minor units)


@dataclass(frozen=True)
class Week:
    monday: date
    kept: int  # confirmed or completed
    cancelled: int
    no_show: int


@dataclass(frozen=True)
class Dashboard:
    periods: list[Period]
    pending_verifications: int
    open_support_requests: int
    clinic_payments_to_record: int
    weeks: list[Week]
    weekly_revenue: dict[str, list[int]]  # currency -> net minor units per week


def _zone(user: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def clinic_dashboard(*, user: Any, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    zone = _zone(user)
    today = now.astimezone(zone).date()
    day_start = datetime.combine(today, time.min, tzinfo=zone)
    month_start = datetime.combine(today.replace(day=1), time.min, tzinfo=zone)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    ranges = {"today": (day_start, day_start + timedelta(days=1)), "month": (month_start, next_month)}

    appointments = clinic_scope_filter(queryset=Appointment.objects.all(), user=user, scope="doctor__clinic")
    payments = clinic_scope_filter(queryset=Payment.objects.all(), user=user, scope="appointment__doctor__clinic")

    # Today lies inside this month: one range scan of the month counts both.
    counts = appointments.filter(start__gte=month_start, start__lt=next_month).aggregate(
        **{
            f"{key}__{status}": Count("pk", filter=Q(start__gte=start, start__lt=end, status=status))
            for key, (start, end) in ranges.items()
            for status in BOOKED
        }
    )
    net = F("amount") - F("amount_refunded")
    revenue_rows = list(
        payments.filter(status__in=PAID_STATUSES, paid_at__gte=month_start, paid_at__lt=next_month)
        .values("method", "currency")
        .annotate(
            today=Sum(net, filter=Q(paid_at__gte=day_start, paid_at__lt=ranges["today"][1]), default=0),
            month=Sum(net, default=0),
        )
        .order_by("method", "currency")
    )
    patients = User.objects.filter(
        role=Role.PATIENT, pk__in=appointments.values("patient_id"), created_at__gte=month_start
    ).aggregate(today=Count("pk", filter=Q(created_at__gte=day_start)), month=Count("pk"))

    periods = []
    for key, (start, end) in ranges.items():
        by_status = {str(status): counts[f"{key}__{status}"] for status in BOOKED}
        booked = sum(by_status.values())
        periods.append(
            Period(
                key=key,
                start=start,
                end=end,
                by_status=by_status,
                booked=booked,
                cancellation_rate=_rate(by_status[str(S.CANCELLED)], booked),
                no_show_rate=_rate(by_status[S.NO_SHOW], by_status[S.NO_SHOW] + by_status[S.COMPLETED]),
                new_patients=patients[key],
                revenue=[(row["method"], row["currency"], row[key]) for row in revenue_rows if row[key]],
            )
        )

    first_monday = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    window_start = datetime.combine(first_monday, time.min, tzinfo=zone)
    weekly = {
        row["week"].date() if isinstance(row["week"], datetime) else row["week"]: row
        for row in appointments.filter(start__gte=window_start, start__lt=ranges["today"][1] + timedelta(days=7))
        .annotate(week=TruncWeek("start", tzinfo=zone))
        .values("week")
        .annotate(
            kept=Count("pk", filter=Q(status__in=(S.CONFIRMED, S.COMPLETED))),
            cancelled=Count("pk", filter=Q(status=S.CANCELLED)),
            no_show=Count("pk", filter=Q(status=S.NO_SHOW)),
        )
        .order_by()
    }
    mondays = [first_monday + timedelta(weeks=index) for index in range(WEEKS)]
    weeks = [
        Week(
            monday=monday,
            kept=weekly.get(monday, {}).get("kept", 0),
            cancelled=weekly.get(monday, {}).get("cancelled", 0),
            no_show=weekly.get(monday, {}).get("no_show", 0),
        )
        for monday in mondays
    ]
    weekly_revenue: dict[str, list[int]] = {}
    for row in (
        payments.filter(status__in=PAID_STATUSES, paid_at__gte=window_start)
        .annotate(week=TruncWeek("paid_at", tzinfo=zone))
        .values("week", "currency")
        .annotate(total=Sum(net))
        .order_by()
    ):
        monday = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        if monday in mondays:
            weekly_revenue.setdefault(row["currency"], [0] * WEEKS)[mondays.index(monday)] += row["total"] or 0

    doctors = clinic_scope_filter(queryset=DoctorProfile.objects.all(), user=user, scope="clinic")
    requests = clinic_scope_filter(queryset=SupportRequest.objects.all(), user=user, scope=SUPPORT_REQUEST_SCOPE)
    return Dashboard(
        periods=periods,
        pending_verifications=doctors.filter(verification_status=VerificationStatus.PENDING).count(),
        open_support_requests=requests.filter(status=SupportStatus.OPEN).count(),
        clinic_payments_to_record=appointments.filter(
            payment_method="clinic", status=S.COMPLETED, payment__isnull=True
        ).count(),
        weeks=weeks,
        weekly_revenue=weekly_revenue,
    )
