"""Every write and rule of the waitlist: join, leave, accept, decline, tidy, erase, and the one
function every freeing path calls, `waitlist_offer_freed_slot`.

Fairness: freed time goes to the earliest `waiting` entry (by `created_at`) whose window holds
the local day of a free start for its visit (its visit type's duration plus buffer, the doctor's
default type when it names none, on the doctor's grid, overlapping the freed time: the slot engine
asked for that visit's length), decided inside the transaction that frees it, with the candidate
rows locked in that order (`select_for_update`, no skipping): two transactions freeing two slots of one doctor
queue on the first candidate, and the second one, once the first commits, no longer sees it as
`waiting` (PostgreSQL re-checks a locked row against the filter), so two slots never go to one
entry. One slot never goes to two entries because the offer is an appointment hold
(`appointment_hold_for_offer`), which the exclusion constraints allow once per time.

Lapsing: an offer is open while its hold is live; nothing needs to run for it to close. The next in
line gets the slot when something touches it: the freeing paths (which first settle the doctor's
ended offers), a booking flipping the lapsed hold, the waitlist list (`waitlist_offers_pass_lapsed`),
or at the latest the beat tasks (`appointments_expire_lapsed_holds` every minute, `waitlist_tidy`).

Visit types and relatives: an entry may name the visit it waits for and the relative who would
attend, checked at `waitlist_join` as booking checks them; the offer's hold is that visit (its
type, its buffer in `blocked_until`) for that person (the patient side is busy only when the
person attending is), and `waitlist_offer_accept` books it through `appointment_book` with both.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.models import Appointment, AppointmentStatus
from appointments.services import appointment_attendee_lock, appointment_book, appointment_hold_for_offer
from appointments.slots import (
    Schedule,
    SlotConflict,
    VisitLength,
    booking_policy,
    doctor_zone,
    local_today,
    schedule_for_days,
    schedule_free_slots,
    visit_length,
)
from appointments.status import appointment_transition
from appointments.zones import when_text
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.services import audit_record
from doctors.models import DoctorProfile, VisitType
from doctors.selectors import visit_type_for_booking
from notifications.models import NotificationType
from notifications.services import notification_send
from waitlist.errors import WaitlistErrorCode as Code
from waitlist.models import ACTIVE_STATUSES, WaitlistEntry, WaitlistStatus
from waitlist.sync import offer_open, waitlist_entry_sync_record

W = WaitlistStatus
MAX_ACTIVE_ENTRIES = 5
MAX_WINDOW_DAYS = 60
# No zone is further ahead of UTC than this: the bound for "a window that has passed somewhere".
_MAX_ZONE_AHEAD = timedelta(hours=14)

Interval = tuple[datetime, datetime]


# --- joining ------------------------------------------------------------------------------------


def waitlist_join(
    *,
    patient: User,
    doctor: DoctorProfile,
    earliest_date: date,
    latest_date: date,
    visit_type_id: Any = None,
    relative_id: Any = None,
) -> WaitlistEntry:
    """Put `patient` (or their relative `relative_id`) on `doctor`'s waitlist for a visit of type
    `visit_type_id` (None: the doctor's default when a slot frees) on the local days
    [earliest_date, latest_date].

    400 when the window starts before the doctor's today or beyond the booking horizon, ends before
    it starts or spans more than MAX_WINDOW_DAYS days; 400 `invalid_visit_type` / `invalid_relative`
    as booking answers them; 409 `waitlist_limit` at MAX_ACTIVE_ENTRIES waiting or offered entries
    of one account (the patient's row is locked first, so two concurrent joins count each other).
    """
    if not patient.is_patient:
        raise PermissionDeniedError(_("Only patients can join a waitlist."), code=Code.PATIENTS_ONLY)
    today = local_today(doctor=doctor)
    if earliest_date < today:
        raise ApplicationError(_("The window must not start in the past."), code=Code.IN_PAST, attr="earliest_date")
    horizon = booking_policy().horizon.days
    if earliest_date > today + timedelta(days=horizon):
        raise ApplicationError(
            _("Appointments can be booked at most %(days)d days ahead.") % {"days": horizon},
            code=Code.BEYOND_HORIZON,
            attr="earliest_date",
        )
    if latest_date < earliest_date:
        raise ApplicationError(
            _("The window must not end before it starts."), code=Code.INVALID_RANGE, attr="latest_date"
        )
    if (latest_date - earliest_date).days + 1 > MAX_WINDOW_DAYS:
        raise ApplicationError(
            _("A waitlist window spans at most %(days)d days.") % {"days": MAX_WINDOW_DAYS},
            code=Code.WINDOW_TOO_LONG,
            attr="latest_date",
        )
    visit_type = None if visit_type_id is None else visit_type_for_booking(doctor=doctor, visit_type_id=visit_type_id)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=patient.pk).first()
        # After the account's row lock, in booking's order; the entry then protects the relative.
        relative = appointment_attendee_lock(patient=patient, relative_id=relative_id)
        _expire_past_windows(WaitlistEntry.objects.filter(patient=patient), now=timezone.now())
        if WaitlistEntry.objects.filter(patient=patient, status__in=ACTIVE_STATUSES).count() >= MAX_ACTIVE_ENTRIES:
            raise ConflictError(
                _("You can wait for at most %(count)d slots at a time.") % {"count": MAX_ACTIVE_ENTRIES},
                code=Code.WAITLIST_LIMIT,
            )
        entry = WaitlistEntry.objects.create(
            patient=patient,
            doctor=doctor,
            visit_type=visit_type,
            relative=relative,
            earliest_date=earliest_date,
            latest_date=latest_date,
        )
        waitlist_entry_sync_record(entry)
        audit_record(action="waitlist.joined", actor=patient, target=entry, data={"doctor": str(doctor.pk)})
    return entry


# --- a freed slot ----------------------------------------------------------------------------------


def waitlist_offer_freed_slot(*, doctor: DoctorProfile, start: datetime, end: datetime) -> list[WaitlistEntry]:
    """[start, end) of `doctor`'s time was just freed, inside the caller's transaction (a cancellation,
    an expired or failed hold, a reschedule away, time off removed, an offer declined or left).

    First the doctor's offers that ended (lapsed, or their hold cancelled) go back to `waiting` and
    their time joins the freed time. Then, as long as someone fits, the first in line whose visit
    fits a free start in it that can still be accepted in time (beyond the minimum notice plus the
    hold) gets the earliest such start held and offered. Returns the entries that got an offer.
    """
    return _pass_on(doctor=doctor, freed=[(start, end)])


def _pass_on(*, doctor: DoctorProfile, freed: list[Interval]) -> list[WaitlistEntry]:
    now = timezone.now()
    freed = [*freed, *_settle_ended_offers(doctor=doctor, now=now)]
    if not freed:
        return []
    return _offer_in_line_order(doctor=doctor, freed=freed, now=now)


def _settle_ended_offers(*, doctor: DoctorProfile, now: datetime) -> list[Interval]:
    """Offers of `doctor` that are no longer open: the hold is expired, so the exclusion constraints
    stop counting it, and the entry waits again, never to be offered that start again. Locks the
    holds before the entries, the order every waitlist path uses."""
    ended = Q(offer_appointment__hold_until__lte=now) | ~Q(offer_appointment__status=AppointmentStatus.PENDING_PAYMENT)
    hold_ids = WaitlistEntry.objects.filter(ended, doctor=doctor, status=W.OFFERED).values("offer_appointment_id")
    holds: dict[Any, Appointment] = {
        hold.pk: hold
        for hold in Appointment.objects.select_for_update(of=("self",)).filter(pk__in=hold_ids).order_by("pk")
    }
    if not holds:
        return []
    entries = WaitlistEntry.objects.select_for_update(of=("self",)).filter(
        doctor=doctor, status=W.OFFERED, offer_appointment_id__in=list(holds)
    )
    freed = []
    for entry in entries.order_by("created_at", "id"):
        hold = holds[entry.offer_appointment_id]
        entry.offer_appointment = hold
        if offer_open(entry, now=now):
            continue
        _offer_close(entry=entry, hold=hold, to_status=W.WAITING, by=None, note="offer lapsed")
        freed.append(_hold_time(hold))
    return freed


def _hold_time(hold: Appointment) -> Interval:
    """The time a hold keeps the doctor busy: its visit and buffer."""
    return hold.start, hold.blocked_until or hold.end


def _free_slots_within(
    *,
    doctor: DoctorProfile,
    schedule: Schedule,
    days: tuple[date, date],
    intervals: list[Interval],
    visit: VisitLength,
    now: datetime,
) -> list[Interval]:
    """The doctor's free slots (from `schedule`, over the local `days`) for a visit of `visit`'s
    length whose visit or buffer overlaps any of `intervals` (the starts the freed time opened for
    it) and that an offer made now can still be accepted for: starting after the minimum notice plus
    the hold."""
    policy = booking_policy()
    earliest = now + policy.min_notice + policy.hold
    return [
        (slot_start, slot_end)
        for _day, slots in schedule_free_slots(
            doctor=doctor, schedule=schedule, date_from=days[0], date_to=days[1], now=now, policy=policy, visit=visit
        )
        for slot_start, slot_end in slots
        if slot_start >= earliest
        and any(slot_start < end and slot_start + visit.length > start for start, end in intervals)
    ]


def _offer_in_line_order(*, doctor: DoctorProfile, freed: list[Interval], now: datetime) -> list[WaitlistEntry]:
    """Walk the waiting entries in line order; each gets the earliest free start its visit fits in
    the freed time on a day of its window held and offered, skipping starts it passed on and times
    its attendee is busy. One pass is enough: a hold only takes time away, so an entry that did not
    fit does not fit after a later one's offer. Entries waiting for a visit type the doctor has
    since deactivated (it cannot be booked) are left out. Returns the entries offered."""
    zone = doctor_zone(doctor)
    # A visit may start the day before the freed time does (it must overlap it).
    days = (
        min(start for start, _end in freed).astimezone(zone).date() - timedelta(days=1),
        max(end for _start, end in freed).astimezone(zone).date(),
    )
    candidates = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("patient", "visit_type", "relative")
        .filter(
            Q(visit_type__isnull=True) | Q(visit_type__is_active=True),
            doctor=doctor,
            status=W.WAITING,
            earliest_date__lte=days[1],
            latest_date__gte=days[0],
            patient__is_active=True,
        )
        .order_by("created_at", "id")
    )
    if not candidates:
        return []
    default: VisitType | None = None
    if any(entry.visit_type_id is None for entry in candidates):
        default = visit_type_for_booking(doctor=doctor, visit_type_id=None)
    schedule = schedule_for_days(doctor=doctor, date_from=days[0], date_to=days[1], now=now)
    starts: dict[VisitLength, list[Interval]] = {}  # free starts per visit length until the next hold
    offered = []
    for entry in candidates:
        entry.doctor = doctor
        visit_type = entry.visit_type or default
        visit = visit_length(doctor=doctor, visit_type=visit_type)
        if visit not in starts:
            starts[visit] = _free_slots_within(
                doctor=doctor, schedule=schedule, days=days, intervals=freed, visit=visit, now=now
            )
        hold = _hold_first_fit(entry=entry, starts=starts[visit], visit_type=visit_type, visit=visit, now=now)
        if hold is None:
            continue
        schedule = schedule.with_busy(_hold_time(hold))
        starts.clear()
        entry.status = W.OFFERED
        entry.offer_appointment = hold
        entry.save(update_fields=["status", "offer_appointment", "updated_at"])
        waitlist_entry_sync_record(entry)
        audit_record(action="waitlist.offered", target=entry, data={"appointment": str(hold.pk)})
        _offer_notify(entry=entry, hold=hold)
        offered.append(entry)
    return offered


def _hold_first_fit(
    *, entry: WaitlistEntry, starts: list[Interval], visit_type: VisitType | None, visit: VisitLength, now: datetime
) -> Appointment | None:
    """Hold the first of `starts` on a day of the entry's window that it did not pass on, for the
    entry's visit and attendee; None when the attendee (or, taken meanwhile, the doctor) is busy at
    every one of them."""
    zone = doctor_zone(entry.doctor)
    for start, end in starts:
        if not entry.earliest_date <= start.astimezone(zone).date() <= entry.latest_date:
            continue
        if start.isoformat() in entry.passed_starts:
            continue
        hold = appointment_hold_for_offer(
            patient=entry.patient,
            doctor=entry.doctor,
            start=start,
            end=end,
            now=now,
            visit_type=visit_type,
            blocked_until=start + visit.length,
            relative=entry.relative,
        )
        if not isinstance(hold, SlotConflict):
            return hold
    return None


def _offer_notify(*, entry: WaitlistEntry, hold: Appointment) -> None:
    """The patient hears of the offer (in-app, socket, push, email per preferences, in their language)."""
    patient, doctor, expires_at = entry.patient, entry.doctor, hold.hold_until
    assert expires_at is not None  # every hold has its end
    with translation.override(patient.locale):
        when = when_text(moment=hold.start, clinic_zone=doctor.timezone, reader_zone=patient.timezone)
        expires = when_text(moment=expires_at, clinic_zone=doctor.timezone, reader_zone=patient.timezone)
    notification_send(
        user=patient,
        type=NotificationType.APPOINTMENT,
        template_key="waitlist_offer",
        context={
            "doctor_name": str(doctor),
            "clinic_name": doctor.clinic_name,
            "clinic_address": doctor.clinic_address,
            "when": when,
            "expires": expires,
            "hold_minutes": int(booking_policy().hold.total_seconds() // 60),
        },
        data={
            "waitlist_entry_id": str(entry.pk),
            "appointment_id": str(hold.pk),
            "start": hold.start.isoformat(),
            "end": hold.end.isoformat(),
            "expires_at": expires_at.isoformat(),
        },
    )


def _offer_close(*, entry: WaitlistEntry, hold: Appointment, to_status: str, by: Any, note: str) -> None:
    """End the entry's offer: the hold stops counting (if it still does) and the entry moves on; a
    start given back is never offered to this entry again. Caller holds both row locks."""
    if hold.status == AppointmentStatus.PENDING_PAYMENT:
        appointment_transition(
            appointment=hold, to_status=AppointmentStatus.EXPIRED, by=by, source="waitlist", note=note
        )
    entry.status = to_status
    if to_status == W.WAITING:
        entry.passed_starts = [*entry.passed_starts, hold.start.isoformat()]
    entry.save(update_fields=["status", "passed_starts", "updated_at"])
    waitlist_entry_sync_record(entry)
    audit_record(action=f"waitlist.{to_status}", actor=by, target=entry, data={"note": note})


# --- the patient's answers --------------------------------------------------------------------------


def _lock_own(*, patient: User, entry_id: Any) -> tuple[WaitlistEntry, Appointment | None]:
    """The patient's entry and its offer's hold, both locked (hold first), or 404."""
    hold_id = WaitlistEntry.objects.filter(pk=entry_id, patient=patient).values_list("offer_appointment_id", flat=True)
    if not hold_id.exists():
        raise NotFoundError(_("Not found."), code=Code.NOT_FOUND)
    hold = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor__user")
        .filter(pk__in=hold_id)
        .first()
    )
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "patient")
        .get(pk=entry_id, patient=patient)
    )
    if hold is not None and entry.offer_appointment_id != hold.pk:
        # A new offer replaced the one read above between the two statements: that one stays locked.
        return _lock_own(patient=patient, entry_id=entry_id)
    entry.offer_appointment = hold
    return entry, hold


def _open_offer_or_conflict(entry: WaitlistEntry, hold: Appointment | None, now: datetime) -> Appointment:
    if hold is not None and offer_open(entry, now=now):
        return hold
    if hold is not None and entry.status in ACTIVE_STATUSES:
        raise ConflictError(_("This offer has expired."), code=Code.OFFER_EXPIRED)
    raise ConflictError(_("There is no open offer on this waitlist entry."), code=Code.NO_OFFER)


def waitlist_offer_accept(*, patient: User, entry_id: Any, payment_method: str, reason: str = "") -> Appointment:
    """Book the offered slot through `appointment_book`, the normal booking (card -> a payment hold,
    clinic -> confirmed, same checks and notices), in one transaction with the release of the
    offer's hold: a booking refused leaves the offer as it was. 409 `offer_expired` once the offer
    lapsed, `no_offer` when there is none; someone else's entry -> 404."""
    now = timezone.now()
    with transaction.atomic():
        entry, hold = _lock_own(patient=patient, entry_id=entry_id)
        hold = _open_offer_or_conflict(entry, hold, now)
        appointment_transition(
            appointment=hold, to_status=AppointmentStatus.EXPIRED, by=patient, source="waitlist", note="offer accepted"
        )
        appointment = appointment_book(
            patient=patient,
            doctor=entry.doctor,
            start=hold.start,
            reason=reason,
            payment_method=payment_method,
            visit_type_id=entry.visit_type_id,
            relative_id=entry.relative_id,
        )
        entry.status = W.BOOKED
        entry.booked_appointment = appointment
        entry.save(update_fields=["status", "booked_appointment", "updated_at"])
        waitlist_entry_sync_record(entry)
        audit_record(action="waitlist.booked", actor=patient, target=entry, data={"appointment": str(appointment.pk)})
    return appointment


def waitlist_offer_decline(*, patient: User, entry_id: Any) -> WaitlistEntry:
    """Give the offered slot back: the entry keeps its place for other slots and the slot goes to
    the next in line. 409 as `waitlist_offer_accept`; someone else's entry -> 404."""
    now = timezone.now()
    with transaction.atomic():
        entry, hold = _lock_own(patient=patient, entry_id=entry_id)
        hold = _open_offer_or_conflict(entry, hold, now)
        _offer_close(entry=entry, hold=hold, to_status=W.WAITING, by=patient, note="offer declined")
        start, end = _hold_time(hold)
        waitlist_offer_freed_slot(doctor=entry.doctor, start=start, end=end)
    return entry


def waitlist_leave(*, patient: User, entry_id: Any) -> WaitlistEntry:
    """Leave the waitlist: the entry is cancelled, and a slot it was offered goes to the next in
    line. Leaving an entry that already ended changes nothing. Someone else's entry -> 404."""
    with transaction.atomic():
        entry, hold = _lock_own(patient=patient, entry_id=entry_id)
        _entry_cancel(entry=entry, hold=hold, by=patient)
    return entry


def _entry_cancel(*, entry: WaitlistEntry, hold: Appointment | None, by: Any) -> None:
    if entry.status not in ACTIVE_STATUSES:
        return
    if entry.status == W.OFFERED and hold is not None:
        _offer_close(entry=entry, hold=hold, to_status=W.CANCELLED, by=by, note="left the waitlist")
        start, end = _hold_time(hold)
        waitlist_offer_freed_slot(doctor=entry.doctor, start=start, end=end)
        return
    entry.status = W.CANCELLED
    entry.save(update_fields=["status", "updated_at"])
    waitlist_entry_sync_record(entry)
    audit_record(action="waitlist.cancelled", actor=by, target=entry)


def waitlist_entries_erase(*, patient: User) -> int:
    """GDPR erasure: the patient leaves every waitlist (open offers pass on) and the entries go."""
    with transaction.atomic():
        for entry_id in WaitlistEntry.objects.filter(patient=patient, status__in=ACTIVE_STATUSES).values_list(
            "pk", flat=True
        ):
            entry, hold = _lock_own(patient=patient, entry_id=entry_id)
            _entry_cancel(entry=entry, hold=hold, by=patient)
        deleted, _details = WaitlistEntry.objects.filter(patient=patient).delete()
    return deleted


# --- tidying ------------------------------------------------------------------------------------------


def waitlist_offers_pass_lapsed(*, doctor_ids: Iterable[Any] | None = None) -> int:
    """Pass every lapsed offer (of these doctors, or all) to the next in line now, rather than when
    the hold tidying runs. One query when there is none. Returns the number of doctors touched."""
    now = timezone.now()
    lapsed = WaitlistEntry.objects.filter(status=W.OFFERED).filter(
        Q(offer_appointment__hold_until__lte=now) | ~Q(offer_appointment__status=AppointmentStatus.PENDING_PAYMENT)
    )
    if doctor_ids is not None:
        lapsed = lapsed.filter(doctor_id__in=list(doctor_ids))
    touched = 0
    for doctor in DoctorProfile.objects.filter(pk__in=lapsed.values("doctor_id")).select_related("user"):
        with transaction.atomic():
            _pass_on(doctor=doctor, freed=[])
        touched += 1
    return touched


def _expire_past_windows(entries: Any, *, now: datetime) -> int:
    """Waiting entries among `entries` whose last day has passed in their doctor's zone -> `expired`."""
    candidates = entries.filter(status=W.WAITING, latest_date__lt=(now + _MAX_ZONE_AHEAD).date()).select_related(
        "doctor"
    )
    expired = 0
    for entry in candidates:
        if entry.latest_date < local_today(doctor=entry.doctor, now=now):
            entry.status = W.EXPIRED
            entry.save(update_fields=["status", "updated_at"])
            waitlist_entry_sync_record(entry)
            expired += 1
    return expired


def waitlist_tidy() -> dict[str, int]:
    """Beat task body: pass lapsed offers on, expire entries whose window has passed. Safe twice."""
    passed = waitlist_offers_pass_lapsed()
    with transaction.atomic():
        expired = _expire_past_windows(WaitlistEntry.objects.select_for_update(of=("self",)), now=timezone.now())
    return {"doctors_passed_on": passed, "entries_expired": expired}
