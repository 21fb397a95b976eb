"""Reads of the doctor portal; every query is scoped to the signed-in doctor (someone else's -> 404)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange
from appointments.selectors import time_off_of
from appointments.slots import doctor_zone, local_today, schedule_slots
from chat.models import Message, Thread
from chat.selectors import message_get_for_thread, message_list_for_thread
from core.exceptions import NotFoundError
from doctors.models import DoctorProfile, PaymentMethod
from notifications.models import Notification
from payments.models import PAID_STATUSES
from waitlist.selectors import waitlist_length_of

S = AppointmentStatus


def _doctor_appointments(doctor: DoctorProfile) -> QuerySet[Appointment]:
    return Appointment.objects.filter(doctor=doctor).select_related("patient", "relative", "payment")


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def portal_appointment_get(*, doctor: DoctorProfile, appointment_id: Any) -> Appointment:
    """One of the doctor's own appointments, else 404."""
    appointment = _doctor_appointments(doctor).select_related("doctor__user").filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFoundError(_("Not found."), code="not_found")
    return appointment


def portal_status_history(*, appointment: Appointment) -> QuerySet[AppointmentStatusChange]:
    return appointment.status_changes.select_related("changed_by").order_by("created_at", "id")


@dataclass(frozen=True)
class TodayBoard:
    today: date
    today_appointments: list[Appointment]
    upcoming: list[tuple[date, list[Appointment]]]
    count_today: int
    count_week: int
    pending_payments: int
    waitlist_length: int


def _unpaid_clinic_q() -> Q:
    return Q(payment_method=PaymentMethod.CLINIC, status__in=[S.CONFIRMED, S.COMPLETED]) & ~Q(
        payment__status__in=PAID_STATUSES
    )


def portal_today_board(*, doctor: DoctorProfile, now: datetime | None = None) -> TodayBoard:
    """Today's queue and the next 7 days (days in the doctor's zone), with counters (unpaid clinic
    appointments, patients on the waitlist). Four queries."""
    zone = doctor_zone(doctor)
    today = local_today(doctor=doctor, now=now)
    window_end = _day_start(today + timedelta(days=8), zone)
    appointments = list(
        _doctor_appointments(doctor)
        .filter(start__gte=_day_start(today, zone), start__lt=window_end)
        .exclude(status=S.EXPIRED)
        .order_by("start", "id")
    )
    by_day: dict[date, list[Appointment]] = {}
    for appointment in appointments:
        by_day.setdefault(appointment.start.astimezone(zone).date(), []).append(appointment)
    todays = by_day.pop(today, [])
    counted = (S.CONFIRMED, S.COMPLETED, S.NO_SHOW, S.PENDING_PAYMENT)
    week_end = today + timedelta(days=6)
    return TodayBoard(
        today=today,
        today_appointments=todays,
        upcoming=sorted(by_day.items()),
        count_today=sum(1 for a in todays if a.status in counted),
        count_week=sum(1 for a in appointments if a.status in counted and a.start.astimezone(zone).date() <= week_end),
        pending_payments=_doctor_appointments(doctor).filter(_unpaid_clinic_q()).count(),
        waitlist_length=waitlist_length_of(doctor=doctor),
    )


def portal_appointment_list(
    *,
    doctor: DoctorProfile,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str = "",
    search: str = "",
) -> QuerySet[Appointment]:
    """The doctor's appointments, newest first, filtered by local date range, status and patient name
    (the account holder's or the attending relative's)."""
    zone = doctor_zone(doctor)
    queryset = _doctor_appointments(doctor)
    if date_from:
        queryset = queryset.filter(start__gte=_day_start(date_from, zone))
    if date_to:
        queryset = queryset.filter(start__lt=_day_start(date_to + timedelta(days=1), zone))
    if status:
        queryset = queryset.filter(status=status)
    for word in search.split():
        queryset = queryset.filter(
            Q(patient__first_name__icontains=word)
            | Q(patient__last_name__icontains=word)
            | Q(relative__first_name__icontains=word)
            | Q(relative__last_name__icontains=word)
        )
    return queryset.order_by("-start", "-id")


@dataclass(frozen=True)
class PreviewDay:
    day: date
    slot_count: int
    dst_switch: bool
    time_off: bool


def portal_schedule_preview(*, doctor: DoctorProfile, weeks: int = 8, now: datetime | None = None) -> list[PreviewDay]:
    """Slots the doctor offers per local day for the next `weeks` weeks, flagging days on which the
    clock changes (DST) and days touched by time off."""
    zone = doctor_zone(doctor)
    today = local_today(doctor=doctor, now=now)
    last = today + timedelta(days=weeks * 7 - 1)
    days = schedule_slots(doctor=doctor, date_from=today, date_to=last, now=now)
    time_off = list(
        time_off_of(doctor=doctor).filter(
            end__gt=_day_start(today, zone), start__lt=_day_start(last + timedelta(days=1), zone)
        )
    )
    preview = []
    for day, slots in days:
        start, end = _day_start(day, zone), _day_start(day + timedelta(days=1), zone)
        preview.append(
            PreviewDay(
                day=day,
                slot_count=len(slots),
                dst_switch=start.utcoffset() != end.utcoffset(),
                time_off=any(off.start < end and off.end > start for off in time_off),
            )
        )
    return preview


def portal_notifications(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, in_app=True).order_by("-created_at")


def portal_notification_get(*, user: User, notification_id: Any) -> Notification:
    notification = portal_notifications(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFoundError(_("Not found."), code="not_found")
    return notification


def portal_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, in_app=True, is_read=False).count()


@dataclass(frozen=True)
class MessageWindow:
    messages: list[Message]  # oldest first
    has_older: bool


def portal_message_window(*, thread: Thread, before: Any = None, size: int = 50) -> MessageWindow:
    """Up to `size` messages of a thread the caller holds: the latest ones, or those just before the
    message `before` (someone else's thread's message -> not found). Keyed on that message, not on a
    page number, so messages arriving meanwhile do not shift the older pages."""
    messages = message_list_for_thread(thread=thread)
    if before is not None:
        anchor = message_get_for_thread(thread=thread, message_id=before)
        messages = messages.filter(
            Q(created_at__lt=anchor.created_at) | Q(created_at=anchor.created_at, pk__lt=anchor.pk)
        )
    newest_first = list(messages.order_by("-created_at", "-id")[: size + 1])
    return MessageWindow(messages=newest_first[:size][::-1], has_older=len(newest_first) > size)
