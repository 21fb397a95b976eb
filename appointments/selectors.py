"""Reads of scheduling data, with the permission check built in (someone else's object -> 404)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Relative, User
from appointments.errors import AppointmentErrorCode as Code
from appointments.models import Appointment, AppointmentStatus, AvailabilityRule, CalendarFeed, TimeOff
from appointments.slots import active_appointments_q, local_today
from appointments.zones import zone_or_none
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from doctors.models import DoctorProfile
from doctors.selectors import card_specialties_attach, visit_type_lengths_active

S = AppointmentStatus


class AppointmentScope:
    UPCOMING = "upcoming"
    PAST = "past"
    CANCELLED = "cancelled"
    ALL = (UPCOMING, PAST, CANCELLED)


def _bookable_doctor(doctor_id: Any) -> QuerySet:
    """Verified doctors with an active account: the others are invisible (404)."""
    from doctors.models import VerificationStatus

    return DoctorProfile.objects.filter(
        pk=doctor_id, verification_status=VerificationStatus.VERIFIED, user__is_active=True
    )


def _or_not_found(found: Any) -> Any:
    if found is None:
        raise NotFoundError(_("Not found."), code=Code.NOT_FOUND)
    return found


def bookable_doctor_get(*, doctor_id: Any) -> DoctorProfile:
    """A verified doctor with an active account, or 404."""
    return _or_not_found(_bookable_doctor(doctor_id).select_related("user").first())


def bookable_doctor_facts(*, doctor_id: Any) -> tuple[str, int, tuple[tuple[str, int, int, bool], ...]]:
    """(timezone, slot_minutes, active visit types as (id, duration, buffer, is_default)) of a
    bookable doctor, or 404: all that availability reads of them. Two queries."""
    zone, slot_minutes = _or_not_found(_bookable_doctor(doctor_id).values_list("timezone", "slot_minutes").first())
    return zone, slot_minutes, visit_type_lengths_active(doctor_id=doctor_id)


def doctor_profile_of(*, user: User) -> DoctorProfile:
    """The signed-in doctor's own profile (403 for other roles, 404 if they have none yet)."""
    if not user.is_doctor:
        raise PermissionDeniedError(_("Only doctors can do this."), code=Code.DOCTORS_ONLY)
    doctor = DoctorProfile.objects.select_related("user").filter(user=user).first()
    if doctor is None:
        raise NotFoundError(_("Create your doctor profile first."), code=Code.NOT_FOUND)
    return doctor


def availability_rules_of(*, doctor: DoctorProfile) -> QuerySet[AvailabilityRule]:
    return AvailabilityRule.objects.filter(doctor=doctor).order_by("weekday", "start_time")


def time_off_of(*, doctor: DoctorProfile) -> QuerySet[TimeOff]:
    return TimeOff.objects.filter(doctor=doctor).order_by("start")


def _appointments_of(user: User) -> QuerySet[Appointment]:
    # `doctor__user=user` ORs across a join, which no index serves (a scan of every appointment);
    # the user's own profile id as a scalar subquery (run once, NULL without one) keeps it an OR
    # of two indexed columns, in the same single query.
    own_profile = Subquery(DoctorProfile.objects.filter(user=user).values("pk")[:1])
    return Appointment.objects.filter(Q(patient=user) | Q(doctor_id=own_profile)).select_related(
        "doctor__user", "patient", "payment", "visit_type", "relative"
    )


def appointment_cards_complete(appointments: Iterable[Appointment]) -> None:
    """What the doctor cards of listed appointments show beyond their row: their specialties, one
    query for the page (`doctors.selectors.card_specialties_attach`)."""
    card_specialties_attach(appointment.doctor for appointment in appointments)


# The columns `appointment_representation` reads (with the card's and the payment summary's): the
# lists load only these, which halves the SQL to compile and the values to convert per row.
APPOINTMENT_OUTPUT_COLUMNS = (
    *("id", "doctor_id", "patient_id", "start", "end", "status", "payment_method", "hold_until", "reason"),
    *("cancellation_reason", "created_at", "updated_at", "visit_type_id", "blocked_until"),
    *(f"doctor__{name}" for name in ("id", "user_id", "title", "city", "country", "clinic_name", "timezone")),
    *(f"doctor__{name}" for name in ("fee_amount", "fee_currency", "avg_rating", "rating_count", "languages")),
    *("doctor__next_available_at", "doctor__min_fee_amount", "doctor__min_fee_currency"),
    *(f"visit_type__{name}" for name in ("id", "name", "name_en", "name_fr", "duration_minutes")),
    *("relative_id", *(f"relative__{name}" for name in ("id", "first_name", "last_name", "date_of_birth"))),
    "relative__relationship",
    *(f"{user}__{name}" for user in ("doctor__user", "patient") for name in ("id", "first_name", "last_name")),
    *(f"payment__{name}" for name in ("id", "appointment_id", "status", "amount", "currency", "method")),
)


def _appointment_rows_of(user: User) -> QuerySet[Appointment]:
    """`_appointments_of` for output only (lists): just the columns the representation reads."""
    return _appointments_of(user).only(*APPOINTMENT_OUTPUT_COLUMNS)


def appointment_fee(*, appointment: Appointment) -> tuple[int, str]:
    """(amount in minor units, currency) an appointment costs: its visit type's fee, or the doctor's
    for one booked before visit types. What card payments charge, the desk records and receipts show."""
    visit_type = appointment.visit_type
    if visit_type is not None:
        return visit_type.fee_amount, visit_type.fee_currency
    return appointment.doctor.fee_amount, appointment.doctor.fee_currency


def appointment_get_for_user(*, user: User, appointment_id: Any) -> Appointment:
    """One appointment the user takes part in (as patient or doctor), else 404."""
    appointment = _appointments_of(user).filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFoundError(_("Not found."), code=Code.NOT_FOUND)
    appointment_cards_complete([appointment])
    return appointment


def appointment_list_for_user(*, user: User, scope: str, now: datetime | None = None) -> QuerySet[Appointment]:
    """upcoming: active and not over, soonest first; past: completed, no-show or over, latest first;
    cancelled: cancelled or expired (a lapsed hold counts as expired), latest first.
    The page shown goes through `appointment_cards_complete` before its representation."""
    now = now or timezone.now()
    live_hold = Q(status=S.PENDING_PAYMENT) & (Q(hold_until__isnull=True) | Q(hold_until__gt=now))
    lapsed_hold = Q(status=S.PENDING_PAYMENT, hold_until__lte=now)
    queryset = _appointment_rows_of(user)
    if scope == AppointmentScope.UPCOMING:
        return queryset.filter(Q(status=S.CONFIRMED) | live_hold, end__gt=now).order_by("start", "id")
    if scope == AppointmentScope.PAST:
        return queryset.filter(
            Q(status__in=[S.COMPLETED, S.NO_SHOW]) | Q(status=S.CONFIRMED, end__lte=now) | (live_hold & Q(end__lte=now))
        ).order_by("-start", "-id")
    return queryset.filter(Q(status__in=[S.CANCELLED, S.EXPIRED]) | lapsed_hold).order_by("-start", "-id")


def relative_has_upcoming_appointments(*, relative: Relative, now: datetime | None = None) -> bool:
    """Whether the relative attends an active appointment (confirmed, or a hold still running) not over yet."""
    now = now or timezone.now()
    return Appointment.objects.filter(active_appointments_q(now=now), relative=relative, end__gt=now).exists()


def appointment_calendar_for_user(
    *, user: User, date_from: date, date_to: date, zone: ZoneInfo
) -> list[tuple[date, list[Appointment]]]:
    """The user's non-cancelled appointments from `date_from` to `date_to` (days in `zone`), per day."""
    now = timezone.now()
    window_start = datetime.combine(date_from, time.min, tzinfo=zone)
    window_end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    live_hold = Q(status=S.PENDING_PAYMENT) & (Q(hold_until__isnull=True) | Q(hold_until__gt=now))
    appointments = list(
        _appointment_rows_of(user)
        .filter(
            Q(status__in=[S.CONFIRMED, S.COMPLETED, S.NO_SHOW]) | live_hold,
            start__gte=window_start,
            start__lt=window_end,
        )
        .order_by("start", "id")
    )
    appointment_cards_complete(appointments)
    by_day: dict[date, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        by_day[appointment.start.astimezone(zone).date()].append(appointment)
    return [(day, by_day[day]) for day in sorted(by_day)]


def calendar_feed_appointments(*, token: str) -> tuple[object, QuerySet[Appointment]]:
    """The owner of a feed token and their appointments (from 90 days ago); unknown token -> 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise NotFoundError(_("Not found."), code=Code.NOT_FOUND)
    since = timezone.now() - timedelta(days=90)
    appointments = (
        _appointments_of(feed.user).filter(start__gte=since).exclude(status=S.EXPIRED).order_by("start", "id")
    )
    return feed.user, appointments


MAX_AVAILABILITY_DAYS = 31
MAX_CALENDAR_DAYS = 92


def availability_window(*, doctor: DoctorProfile, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The days an availability call covers: defaults to a week from the doctor's today; at most 31."""
    date_from = date_from or local_today(doctor=doctor)
    date_to = date_to or date_from + timedelta(days=6)
    _check_range(date_from, date_to, MAX_AVAILABILITY_DAYS)
    return date_from, date_to


def _check_range(date_from: date, date_to: date, max_days: int) -> None:
    if date_to < date_from:
        raise ApplicationError(_("`to` must not be before `from`."), code=Code.INVALID_RANGE, attr="to")
    if (date_to - date_from).days + 1 > max_days:
        raise ApplicationError(
            _("At most %(days)d days per request.") % {"days": max_days}, code=Code.RANGE_TOO_LONG, attr="to"
        )


def calendar_zone(*, user: User, tz: str | None) -> ZoneInfo:
    """`?tz=` when given (400 if unknown), else the user's saved zone."""
    if tz:
        zone = zone_or_none(tz)
        if zone is None:
            raise ApplicationError(_("Unknown time zone."), code=Code.INVALID_TIMEZONE, attr="tz")
        return zone
    return zone_or_none(user.timezone) or ZoneInfo("UTC")


def calendar_window(*, date_from: date, date_to: date) -> tuple[date, date]:
    _check_range(date_from, date_to, MAX_CALENDAR_DAYS)
    return date_from, date_to
