"""Reads of the portal's Insights page: a doctor's last 12 weeks in two aggregate queries.

Weeks start on Monday in the doctor's clinic time zone; the window runs from the Monday eleven weeks
before the current one, at local midnight, up to now. Every figure is scoped to the doctor.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from appointments.slots import doctor_zone, local_today
from doctors.models import PaymentMethod
from payments.models import PAID_STATUSES, Payment
from payments.services import money_decimal

S = AppointmentStatus
WEEKS = 12
# Appointments that were really booked; a lapsed hold (pending or expired) never was.
BOOKED_STATUSES = (S.CONFIRMED, S.COMPLETED, S.NO_SHOW, S.CANCELLED)


@dataclass(frozen=True)
class WeekStats:
    start: date
    visits: int
    no_shows: int
    cancellations: int
    unmarked: int
    new_patients: int
    returning_patients: int

    @property
    def due(self) -> int:
        return self.visits + self.no_shows + self.cancellations + self.unmarked


@dataclass(frozen=True)
class Rate:
    count: int
    total: int

    @property
    def percent(self) -> float | None:
        """None when nothing was due: no rate rather than a division by zero."""
        return 100 * self.count / self.total if self.total else None


@dataclass(frozen=True)
class MethodRevenue:
    method: str
    label: str
    payments: int
    gross: int
    refunded: int

    @property
    def net(self) -> int:
        return self.gross - self.refunded

    @property
    def net_decimal(self) -> Decimal:
        return money_decimal(self.net)

    @property
    def gross_decimal(self) -> Decimal:
        return money_decimal(self.gross)

    @property
    def refunded_decimal(self) -> Decimal:
        return money_decimal(self.refunded)


@dataclass(frozen=True)
class CurrencyRevenue:
    currency: str
    methods: list[MethodRevenue]


@dataclass(frozen=True)
class Insights:
    """Totals over the window; every `Rate` is a share of the `due` appointments (see `_weekly_rows`)."""

    first_day: date
    last_day: date
    weeks: list[WeekStats]
    due: int
    visits: Rate
    no_shows: Rate
    cancellations: Rate
    unmarked: Rate
    new_patients: int
    revenue: list[CurrencyRevenue]


def portal_insights(*, doctor, now: datetime | None = None) -> Insights:
    """The doctor's last `WEEKS` weeks, the current one included, zero-filled. Two queries."""
    now = now or timezone.now()
    zone = doctor_zone(doctor)
    today = local_today(doctor=doctor, now=now)
    first_monday = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    window_start = datetime.combine(first_monday, time.min, tzinfo=zone)
    by_week = _weekly_rows(doctor=doctor, window_start=window_start, now=now)
    weeks = [
        _week_stats(monday, by_week.get(monday, {}))
        for monday in (first_monday + timedelta(weeks=index) for index in range(WEEKS))
    ]
    due = sum(week.due for week in weeks)

    def share(outcome: str) -> Rate:
        return Rate(count=sum(getattr(week, outcome) for week in weeks), total=due)

    return Insights(
        first_day=first_monday,
        last_day=today,
        weeks=weeks,
        due=due,
        visits=share("visits"),
        no_shows=share("no_shows"),
        cancellations=share("cancellations"),
        unmarked=share("unmarked"),
        new_patients=sum(week.new_patients for week in weeks),
        revenue=_revenue(doctor=doctor, window_start=window_start, now=now),
    )


def _weekly_rows(*, doctor, window_start: datetime, now: datetime) -> dict[date, dict]:
    """Per local week, the outcomes of the booked appointments that were due (started before `now`).

    The due appointments are the denominator of the no-show and cancellation rates: completed, no-show,
    cancelled, and confirmed ones the doctor has not marked yet. A visit is a completed appointment.
    A patient is new in the week of their first completed visit ever with this doctor (even one
    before the window), returning in any later week with a visit; each is counted once a week.
    """
    zone = doctor_zone(doctor)
    first_visit = (
        Appointment.objects.filter(doctor=doctor, patient=OuterRef("patient"), status=S.COMPLETED)
        .order_by("start")
        .values("start")[:1]
    )
    completed = Q(status=S.COMPLETED)
    rows = (
        Appointment.objects.filter(doctor=doctor, status__in=BOOKED_STATUSES, start__gte=window_start, start__lt=now)
        .alias(first_visit_week=TruncWeek(Subquery(first_visit), tzinfo=zone))
        .annotate(week=TruncWeek("start", tzinfo=zone))
        .values("week")
        .annotate(
            visits=Count("id", filter=completed),
            no_shows=Count("id", filter=Q(status=S.NO_SHOW)),
            cancellations=Count("id", filter=Q(status=S.CANCELLED)),
            unmarked=Count("id", filter=Q(status=S.CONFIRMED)),
            patients=Count("patient", distinct=True, filter=completed),
            new_patients=Count("patient", distinct=True, filter=completed & Q(first_visit_week=F("week"))),
        )
        .order_by()
    )
    return {row.pop("week").astimezone(zone).date(): row for row in rows}


def _week_stats(monday: date, row: dict) -> WeekStats:
    new = row.get("new_patients", 0)
    return WeekStats(
        start=monday,
        visits=row.get("visits", 0),
        no_shows=row.get("no_shows", 0),
        cancellations=row.get("cancellations", 0),
        unmarked=row.get("unmarked", 0),
        new_patients=new,
        returning_patients=row.get("patients", 0) - new,
    )


def _revenue(*, doctor, window_start: datetime, now: datetime) -> list[CurrencyRevenue]:
    """Money received in the window (by `paid_at`) per currency and method, net of what has been
    refunded of it since. Both methods are listed for every currency that has a payment."""
    rows = (
        Payment.objects.filter(
            appointment__doctor=doctor, status__in=PAID_STATUSES, paid_at__gte=window_start, paid_at__lt=now
        )
        .values("currency", "method")
        .annotate(payments=Count("id"), gross=Sum("amount"), refunded=Sum("amount_refunded"))
        .order_by()
    )
    totals = {(row["currency"], row["method"]): row for row in rows}
    return [
        CurrencyRevenue(
            currency=currency,
            methods=[
                _method_revenue(method, label, totals.get((currency, method), {}))
                for method, label in PaymentMethod.choices
            ],
        )
        for currency in sorted({currency for currency, _method in totals})
    ]


def _method_revenue(method: str, label: str, row: dict) -> MethodRevenue:
    return MethodRevenue(
        method=method,
        label=label,
        payments=row.get("payments", 0),
        gross=row.get("gross", 0),
        refunded=row.get("refunded", 0),
    )
