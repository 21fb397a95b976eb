"""Every write and business rule of scheduling: availability, time off, booking, reschedule,
cancel, complete, no-show, a payment confirming its appointment, calendar feeds, hold tidying,
reminders, `next_available_at`, and the one fan-out that tells an appointment's participants."""

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Relative, User
from accounts.selectors import relative_get_for_user
from appointments.availability_cache import schedule_version_bump
from appointments.errors import AppointmentErrorCode as Code
from appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AvailabilityRule,
    CalendarFeed,
    TimeOff,
)
from appointments.slots import (
    SlotConflict,
    VisitLength,
    active_appointments_q,
    booking_policy,
    busy_until,
    doctor_zone,
    next_free_slot,
    schedule_slots,
    slot_conflict,
    visit_length,
)
from appointments.status import appointment_status_start, appointment_transition
from appointments.sync import appointment_sync_record
from appointments.zones import when_text
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.services import audit_record
from doctors.directory_cache import directory_changed
from doctors.models import DoctorProfile, PaymentMethod, VisitType
from doctors.selectors import visit_type_for_booking
from notifications.models import NotificationType, ReminderKind, ReminderSent
from notifications.services import notification_send

S = AppointmentStatus
DOCTOR_CONSTRAINT = "appointment_no_doctor_overlap"
# Per person attending (migration 0005): its name still contains the per-patient one's.
PATIENT_CONSTRAINT = "appointment_no_patient_overlap"


# --- schedule changes ---------------------------------------------------------------------------


def doctor_refresh_next_available(*, doctor: DoctorProfile) -> datetime | None:
    """Store the doctor's first free slot in `DoctorProfile.next_available_at` (search sorts on it)."""
    next_at = next_free_slot(doctor=doctor)
    if doctor.next_available_at != next_at:
        DoctorProfile.objects.filter(pk=doctor.pk).update(next_available_at=next_at)
        doctor.next_available_at = next_at
        directory_changed()
    return next_at


def doctors_refresh_next_available() -> int:
    """Refresh `next_available_at` of every verified doctor (time passes: slots run out by themselves)."""
    from doctors.models import VerificationStatus

    count = 0
    for doctor in DoctorProfile.objects.filter(verification_status=VerificationStatus.VERIFIED).iterator():
        doctor_refresh_next_available(doctor=doctor)
        count += 1
    return count


def _schedule_changed(*, doctor: DoctorProfile) -> None:
    """After commit: drop cached availability and search pages (a window filter may have lost its
    last slot), and recompute `next_available_at`."""
    schedule_version_bump(doctor_id=doctor.pk)
    directory_changed()
    transaction.on_commit(lambda: doctor_refresh_next_available(doctor=doctor))


# --- availability rules and time off --------------------------------------------------------------


def availability_rules_replace(*, doctor: DoctorProfile, rules: Iterable[dict[str, Any]]) -> list[AvailabilityRule]:
    """Replace the doctor's weekly rules. Each rule: weekday (0=Mon), start_time, end_time (wall clock
    in the doctor's zone). A rule ending before it starts, or two overlapping rules -> 400."""
    parsed: list[tuple[int, time, time]] = sorted(
        (int(rule["weekday"]), rule["start_time"], rule["end_time"]) for rule in rules
    )
    for index, (weekday, start_time, end_time) in enumerate(parsed):
        if not 0 <= weekday <= 6:
            raise ApplicationError(
                _("Weekday must be between 0 (Monday) and 6 (Sunday)."), code=Code.INVALID_RANGE, attr="weekday"
            )
        if start_time >= end_time:
            raise ApplicationError(_("A rule must end after it starts."), code=Code.INVALID_RANGE)
        if index and parsed[index - 1][0] == weekday and parsed[index - 1][2] > start_time:
            raise ApplicationError(_("Two availability rules overlap on the same day."), code=Code.OVERLAPPING_RULES)
    with transaction.atomic():
        AvailabilityRule.objects.filter(doctor=doctor).delete()
        created = AvailabilityRule.objects.bulk_create(
            AvailabilityRule(doctor=doctor, weekday=weekday, start_time=start_time, end_time=end_time)
            for weekday, start_time, end_time in parsed
        )
        audit_record(action="availability.replaced", actor=doctor.user, target=doctor, data={"rules": len(parsed)})
        _schedule_changed(doctor=doctor)
    return created


def time_off_create(*, doctor: DoctorProfile, start: datetime, end: datetime, reason: str = "") -> TimeOff:
    if start >= end:
        raise ApplicationError(_("Time off must end after it starts."), code=Code.INVALID_RANGE)
    with transaction.atomic():
        time_off = TimeOff.objects.create(doctor=doctor, start=start, end=end, reason=reason[:255])
        _schedule_changed(doctor=doctor)
    return time_off


def time_off_delete(*, doctor: DoctorProfile, time_off_id: Any) -> None:
    with transaction.atomic():
        time_off = TimeOff.objects.select_for_update().filter(doctor=doctor, pk=time_off_id).first()
        if time_off is None:
            raise NotFoundError(_("Not found."), code=Code.NOT_FOUND)
        time_off.delete()
        _schedule_changed(doctor=doctor)
        _time_freed(doctor=doctor, start=time_off.start, end=time_off.end)


def _time_freed(*, doctor: DoctorProfile, start: datetime, end: datetime) -> None:
    """[start, end) of the doctor's time has just been freed inside the caller's transaction (a
    cancellation, an expired or failed hold, a reschedule away, time off removed): the waitlist's
    first in line gets each free slot in it before anybody else can book it."""
    # Up-call (see docs/architecture.md): the waitlist sits above appointments, and decides who gets
    # a freed slot inside the transaction that frees it.
    from waitlist.services import waitlist_offer_freed_slot

    waitlist_offer_freed_slot(doctor=doctor, start=start, end=end)


def _appointment_time_freed(appointment: Appointment) -> None:
    """`appointment` stopped counting: its time, buffer included, is freed (`_time_freed`)."""
    _time_freed(doctor=appointment.doctor, start=appointment.start, end=appointment.blocked_until or appointment.end)


# --- booking checks -------------------------------------------------------------------------------


def _check_policy(*, doctor: DoctorProfile, start: datetime, now: datetime) -> None:
    policy = booking_policy()
    if start <= now:
        raise ApplicationError(_("That time is in the past."), code=Code.IN_PAST, attr="start")
    if start < now + policy.min_notice:
        raise ApplicationError(
            _("Appointments must be booked at least %(minutes)d minutes ahead.")
            % {"minutes": policy.min_notice.total_seconds() // 60},
            code=Code.INSIDE_MIN_NOTICE,
            attr="start",
        )
    if start > now + policy.horizon:
        raise ApplicationError(
            _("Appointments can be booked at most %(days)d days ahead.") % {"days": policy.horizon.days},
            code=Code.BEYOND_HORIZON,
            attr="start",
        )


def _schedule_slot(
    *, doctor: DoctorProfile, start: datetime, now: datetime, visit: VisitLength
) -> tuple[datetime, datetime]:
    """The doctor's slot for a visit of `visit`'s length starting at `start` (ignoring
    appointments), or 400 `slot_unavailable`."""
    day = start.astimezone(doctor_zone(doctor)).date()
    for _day, slots in schedule_slots(doctor=doctor, date_from=day, date_to=day, now=now, visit=visit):
        for slot_start, slot_end in slots:
            if slot_start == start:
                return slot_start, slot_end
    raise ApplicationError(
        _("That time is not one of the doctor's free slots."), code=Code.SLOT_UNAVAILABLE, attr="start"
    )


def _slot_taken() -> ConflictError:
    return ConflictError(_("That time is no longer available."), code=Code.SLOT_UNAVAILABLE)


def _patient_overlap() -> ConflictError:
    return ConflictError(_("The person attending already has an appointment at that time."), code=Code.PATIENT_OVERLAP)


def _conflict_from(error: IntegrityError) -> ConflictError:
    diag = getattr(error.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(error)
    return _patient_overlap() if PATIENT_CONSTRAINT in name else _slot_taken()


DEADLOCK_RETRIES = 3


def _write_or_conflict(write: Callable[[], Appointment]) -> Appointment:
    """Run one insert/update that the no-overlap constraints guard, in a savepoint.

    A constraint violation is a 409. Two transactions inserting overlapping rows at the same moment
    can also deadlock while each checks the other's uncommitted row (exclusion constraints, unlike
    unique indexes, have no special wait order); PostgreSQL aborts one of them. That statement is
    retried: it then waits for the survivor and gets a clean answer.
    """
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError as error:
            raise _conflict_from(error) from error
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "40P01":
                raise
            if attempt == DEADLOCK_RETRIES - 1:
                raise _slot_taken() from error
    raise AssertionError("unreachable")


def _expire_lapsed_holds(
    *, doctor: DoctorProfile, patient: Any, start: datetime, end: datetime, now: datetime
) -> list[Appointment]:
    """Flip the lapsed holds overlapping [start, end) (`end` with the buffer) of this doctor or
    patient, buffers included, to `expired` so that the database's exclusion constraints (which
    cannot read the clock) stop counting them. Returns them: the caller hands their time to the
    waitlist (`_time_freed`) once its own write is done."""
    lapsed: list[Appointment] = list(
        Appointment.objects.select_for_update()
        .select_related("doctor")
        .alias(busy_until=busy_until())
        .filter(
            Q(doctor=doctor) | Q(patient=patient),
            status=S.PENDING_PAYMENT,
            hold_until__lte=now,
            start__lt=end,
            busy_until__gt=start,
        )
    )
    for appointment in lapsed:
        appointment_transition(appointment=appointment, to_status=S.EXPIRED, source="booking", note="hold ran out")
    return lapsed


def _holds_freed(holds: Iterable[Appointment]) -> None:
    for hold in holds:
        _appointment_time_freed(hold)


def _claim_free_time(
    *,
    doctor: DoctorProfile,
    patient: Any,
    start: datetime,
    end: datetime,
    blocked_until: datetime,
    now: datetime,
    exclude_id: Any = None,
    relative_id: Any = None,
) -> list[Appointment]:
    """Before a write that takes [start, end) (the doctor until `blocked_until`): 409
    `slot_unavailable` when the doctor is busy then, 409 `patient_overlap` when the person attending
    (`relative_id`, or the account holder) is; else the lapsed holds in the way, expired
    (`_expire_lapsed_holds`), for the caller to hand to the waitlist after its write.

    The check comes first: `slot_conflict` ignores lapsed holds already, so the answer is the same,
    and a refused request (every loser of a race for one slot) never runs the locking query."""
    conflict = slot_conflict(
        doctor_id=doctor.pk,
        patient_id=patient.pk,
        relative_id=relative_id,
        start=start,
        end=end,
        now=now,
        exclude_id=exclude_id,
        blocked_until=blocked_until,
    )
    if conflict is SlotConflict.DOCTOR_BUSY:
        raise _slot_taken()
    if conflict is SlotConflict.PATIENT_BUSY:
        raise _patient_overlap()
    return _expire_lapsed_holds(doctor=doctor, patient=patient, start=start, end=blocked_until, now=now)


# --- booking ----------------------------------------------------------------------------------------


def appointment_booking_limits_check(*, patient: User, doctor: Any, is_card: bool, now: datetime) -> None:
    """Slot hoarding (issue 17, item 7): at most TABIB["MAX_UPCOMING_PER_DOCTOR"] active upcoming
    appointments of one patient with one doctor, and TABIB["MAX_UNPAID_HOLDS"] unpaid card holds
    of one patient in all. Locks the patient's row first, so two concurrent bookings of one patient
    count each other. Caller holds the transaction."""
    User.objects.select_for_update().filter(pk=patient.pk).first()
    counts = Appointment.objects.filter(active_appointments_q(now=now), patient=patient).aggregate(
        with_doctor=Count("pk", filter=Q(doctor=doctor, end__gt=now)),
        unpaid=Count("pk", filter=Q(status=S.PENDING_PAYMENT)),
    )
    if counts["with_doctor"] >= settings.TABIB["MAX_UPCOMING_PER_DOCTOR"]:
        raise ConflictError(
            _("You already have %(count)d upcoming appointments with this doctor.")
            % {"count": settings.TABIB["MAX_UPCOMING_PER_DOCTOR"]},
            code=Code.TOO_MANY_UPCOMING_WITH_DOCTOR,
        )
    if is_card and counts["unpaid"] >= settings.TABIB["MAX_UNPAID_HOLDS"]:
        raise ConflictError(
            _("Pay for or cancel your unpaid bookings before booking another one."), code=Code.TOO_MANY_UNPAID_HOLDS
        )


def _check_new_patient(*, visit_type: VisitType | None, patient: Any, doctor: DoctorProfile) -> None:
    """A `new_patients_only` visit type is not for a patient who already had a completed visit with
    this doctor (409 `not_a_new_patient`)."""
    if visit_type is None or not visit_type.new_patients_only:
        return
    if Appointment.objects.filter(patient=patient, doctor=doctor, status=S.COMPLETED).exists():
        raise ConflictError(_("This visit type is for new patients; choose another one."), code=Code.NOT_A_NEW_PATIENT)


def appointment_attendee_lock(*, patient: Any, relative_id: Any) -> Relative | None:
    """The relative of `patient` a booking (or a waitlist entry) is for (None: the account holder
    attends), locked so that it cannot be removed meanwhile; someone else's or a removed one -> 400
    naming `relative_id`. Caller holds the transaction, after the account's row lock."""
    if relative_id is None:
        return None
    try:
        return relative_get_for_user(user=patient, relative_id=relative_id, lock=True)
    except NotFoundError as error:
        raise ApplicationError(
            _("This relative is not one of yours."), code=Code.INVALID_RELATIVE, attr="relative_id"
        ) from error


def appointment_book(
    *,
    patient: Any,
    doctor: DoctorProfile,
    start: datetime,
    reason: str = "",
    payment_method: str,
    visit_type_id: Any = None,
    relative_id: Any = None,
) -> Appointment:
    """Book `start` (one of the doctor's free slots for the visit type) for `patient`, or for their
    relative `relative_id` (the account holder still books, pays and is told).

    `visit_type_id`: one of the doctor's active visit types (400 `invalid_visit_type` otherwise),
    the default when None; the appointment lasts its duration, keeps the doctor busy for its buffer
    too (`blocked_until`), costs its fee and takes its payment methods. A `new_patients_only` one
    for a patient with a completed visit with this doctor -> 409 `not_a_new_patient`.

    `card` -> `pending_payment` holding the slot until `hold_until`; `clinic` -> `confirmed`.
    400 for a time that is not a slot, in the past, inside the notice or beyond the horizon, or an
    unaccepted payment method; 409 `slot_unavailable` when taken meanwhile (the database decides on
    PostgreSQL), 409 `patient_overlap` when the person attending already has an appointment then.
    Retries are the API's business (its `Idempotency-Key` layer in the view).

    The patient is told at once; the doctor only once the booking is confirmed (now for `clinic`,
    when the payment arrives for `card`: an unpaid hold that lapses is nothing to tell a doctor).
    """
    if not patient.is_patient:
        raise PermissionDeniedError(_("Only patients can book appointments."), code=Code.PATIENTS_ONLY)
    now = timezone.now()
    visit_type = visit_type_for_booking(doctor=doctor, visit_type_id=visit_type_id)
    _check_policy(doctor=doctor, start=start, now=now)
    methods = visit_type.payment_methods(doctor) if visit_type else doctor.accepts_payment_methods
    if payment_method not in (methods or []):
        raise ApplicationError(
            _("This doctor does not accept that payment method."),
            code=Code.PAYMENT_METHOD_NOT_ACCEPTED,
            attr="payment_method",
        )
    visit = visit_length(doctor=doctor, visit_type=visit_type)
    start, end = _schedule_slot(doctor=doctor, start=start, now=now, visit=visit)
    blocked_until = start + visit.length
    is_card = payment_method == PaymentMethod.CARD
    with transaction.atomic():
        lapsed = _claim_free_time(
            doctor=doctor,
            patient=patient,
            relative_id=relative_id,
            start=start,
            end=end,
            blocked_until=blocked_until,
            now=now,
        )
        appointment_booking_limits_check(patient=patient, doctor=doctor, is_card=is_card, now=now)
        _check_new_patient(visit_type=visit_type, patient=patient, doctor=doctor)
        # After the account's row lock (the limits check): relative writes and erasure also lock the
        # account first, then the relative, so they queue behind each other instead of deadlocking.
        relative = appointment_attendee_lock(patient=patient, relative_id=relative_id)
        appointment = _write_or_conflict(
            lambda: Appointment.objects.create(
                doctor=doctor,
                patient=patient,
                visit_type=visit_type,
                relative=relative,
                start=start,
                end=end,
                blocked_until=blocked_until,
                reason=reason,
                payment_method=payment_method,
                status=S.PENDING_PAYMENT if is_card else S.CONFIRMED,
                hold_until=now + booking_policy().hold if is_card else None,
            )
        )
        appointment_status_start(appointment=appointment, by=patient, source="booking")
        appointment_participants_notify(
            appointment=appointment,
            template_key="appointment_booked",
            recipients=(PATIENT,) if is_card else (PATIENT, DOCTOR),
        )
        _schedule_changed(doctor=doctor)
        _holds_freed(lapsed)
    return appointment


def appointment_hold_for_offer(
    *,
    patient: Any,
    doctor: DoctorProfile,
    start: datetime,
    end: datetime,
    now: datetime,
    visit_type: VisitType | None = None,
    blocked_until: datetime | None = None,
    relative: Relative | None = None,
) -> Appointment | SlotConflict:
    """Hold the free slot [start, end) for `patient` (a waitlist offer), as a card booking holds its
    slot: `pending_payment` until `hold_until`, so the exclusion constraints and `slot_conflict`
    count it, availability hides it, and it lapses by itself. Its payment method is `clinic`: no
    PaymentIntent can pay it, it becomes a booking only when the waitlist entry is accepted.

    The hold is for the entry's visit: `visit_type`, the doctor busy until `blocked_until` (the
    visit's buffer; `end` when not given) and `relative` attending (None: the account holder), whose
    own appointments are the ones that make the patient side busy.

    Returns the hold, or which side is busy then (the caller offers the slot to the next patient
    when this one is busy). Neither participant is told here; the waitlist tells the patient.
    Precondition: inside the transaction that freed the slot.
    """
    blocked_until = blocked_until or end
    relative_id = relative.pk if relative is not None else None
    try:
        _claim_free_time(
            doctor=doctor,
            patient=patient,
            relative_id=relative_id,
            start=start,
            end=end,
            blocked_until=blocked_until,
            now=now,
        )
        hold = _write_or_conflict(
            lambda: Appointment.objects.create(
                doctor=doctor,
                patient=patient,
                visit_type=visit_type,
                relative=relative,
                start=start,
                end=end,
                blocked_until=blocked_until,
                payment_method=PaymentMethod.CLINIC,
                status=S.PENDING_PAYMENT,
                hold_until=now + booking_policy().hold,
            )
        )
    except ConflictError as error:
        return SlotConflict(error.code)
    appointment_status_start(appointment=hold, source="waitlist")
    _schedule_changed(doctor=doctor)
    return hold


def _lock(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("doctor__user", "patient").get(pk=appointment.pk)


def _is_active(appointment: Appointment, now: datetime) -> bool:
    if appointment.status == S.CONFIRMED:
        return True
    return appointment.status == S.PENDING_PAYMENT and (appointment.hold_until is None or appointment.hold_until > now)


def appointment_reschedule(
    *, appointment: Appointment, by: Any, start: datetime, on_behalf_of_clinic: bool = False
) -> Appointment:
    """Move the patient's active appointment to another free slot of the same doctor, atomically
    (by the patient, or by clinic staff for a patient who phoned).

    One row changes its times in one statement: the new slot is taken (the constraints check it)
    before the old one is released, and a refusal leaves everything as it was. Refused (409
    `cutoff_passed`) within the cancellation cut-off before the current start. The appointment keeps
    its visit type: the new time lasts its duration and buffer.
    """
    now = timezone.now()
    with transaction.atomic():
        appointment = _lock(appointment)
        for_clinic = on_behalf_of_clinic and getattr(by, "is_staff", False)
        if not for_clinic and by.pk != appointment.patient_id:
            raise PermissionDeniedError(_("Only the patient can reschedule an appointment."), code=Code.PATIENTS_ONLY)
        if not _is_active(appointment, now):
            raise ConflictError(_("Only an upcoming active appointment can be rescheduled."), code=Code.NOT_ACTIVE)
        if now > appointment.start - booking_policy().cancellation_cutoff:
            raise ConflictError(_("It is too late to reschedule this appointment."), code=Code.CUTOFF_PASSED)
        doctor = appointment.doctor
        _check_policy(doctor=doctor, start=start, now=now)
        visit = visit_length(doctor=doctor, visit_type=appointment.visit_type)
        start, end = _schedule_slot(doctor=doctor, start=start, now=now, visit=visit)
        if start == appointment.start:
            return appointment
        blocked_until = start + visit.length
        lapsed = _claim_free_time(
            doctor=doctor,
            patient=appointment.patient,
            relative_id=appointment.relative_id,
            start=start,
            end=end,
            blocked_until=blocked_until,
            now=now,
            exclude_id=appointment.pk,
        )
        previous = appointment.start, appointment.end, appointment.blocked_until
        previous_start, previous_busy_until = previous[0], previous[2] or previous[1]
        appointment.start, appointment.end, appointment.blocked_until = start, end, blocked_until

        def move() -> Appointment:
            appointment.save(update_fields=["start", "end", "blocked_until", "updated_at"])
            return appointment

        try:
            _write_or_conflict(move)
        except ConflictError:
            appointment.start, appointment.end, appointment.blocked_until = previous
            raise
        appointment_sync_record(appointment)
        audit_record(
            action="appointment.rescheduled",
            actor=by,
            target=appointment,
            data={"from": previous_start.isoformat(), "to": start.isoformat()},
        )
        appointment_participants_notify(
            appointment=appointment,
            template_key="appointment_rescheduled",
            context={"previous_start": previous_start},
        )
        _schedule_changed(doctor=doctor)
        _time_freed(doctor=doctor, start=previous_start, end=previous_busy_until)
        _holds_freed(lapsed)
    return appointment


# --- cancel, complete, no-show ------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentCancellation:
    appointment: Appointment
    # Decided by `appointment_full_refund_due`; when True, `appointment_cancel` has already asked
    # payments (`payment_refund_for_cancellation`) to refund a paid card appointment in full, inside
    # the cancelling transaction. Callers read it to tell the user a refund is on its way.
    full_refund_due: bool


def appointment_full_refund_due(*, appointment: Appointment, by: Any, at: datetime) -> bool:
    """A full refund is due when the doctor cancels, or the patient cancels before the cut-off."""
    if by.pk == appointment.doctor.user_id:
        return True
    return by.pk == appointment.patient_id and at <= appointment.start - booking_policy().cancellation_cutoff


def _participant(appointment: Appointment, user: Any) -> None:
    if user.pk not in (appointment.patient_id, appointment.doctor.user_id):
        raise NotFoundError(_("Not found."), code=Code.NOT_FOUND)


def _acting_for_clinic(appointment: Appointment, by: Any, on_behalf_of_clinic: bool) -> bool:
    """Clinic staff act for the doctor's practice (the caller checked the appointment is in their
    clinics: the admin's scope); anybody else must take part in the appointment."""
    if on_behalf_of_clinic and getattr(by, "is_staff", False):
        return True
    _participant(appointment, by)
    return False


def appointment_cancel(
    *, appointment: Appointment, by: Any, reason: str = "", source: str = "api", on_behalf_of_clinic: bool = False
) -> AppointmentCancellation:
    """Cancel by either participant, or by clinic staff for the practice (a full refund is then due,
    as when the doctor cancels), before the start (409 `already_started` after it)."""
    # Up-call (see docs/architecture.md): payments sits above appointments in the dependency order.
    from payments.refunds import payment_refund_for_cancellation

    now = timezone.now()
    with transaction.atomic():
        appointment = _lock(appointment)
        for_clinic = _acting_for_clinic(appointment, by, on_behalf_of_clinic)
        if appointment.status in ACTIVE_STATUSES and now >= appointment.start:
            raise ConflictError(_("This appointment has already started."), code=Code.ALREADY_STARTED)
        full_refund_due = for_clinic or appointment_full_refund_due(appointment=appointment, by=by, at=now)
        was_confirmed = appointment.status == S.CONFIRMED
        appointment.cancellation_reason = (reason or "")[:500]
        appointment_transition(
            appointment=appointment,
            to_status=S.CANCELLED,
            by=by,
            source=source,
            note=reason or "",
            extra_fields=("cancellation_reason",),
        )
        if full_refund_due:
            # Inside the transaction: if Stripe refuses the refund, the cancellation rolls back too.
            payment_refund_for_cancellation(appointment=appointment, by=by)
        appointment_participants_notify(
            appointment=appointment,
            template_key="appointment_cancelled",
            # A hold that was never paid was never announced to the doctor.
            recipients=(PATIENT, DOCTOR) if was_confirmed else (PATIENT,),
            context={"cancelled_by_doctor": for_clinic or by.pk == appointment.doctor.user_id},
        )
        _schedule_changed(doctor=appointment.doctor)
        _appointment_time_freed(appointment)
    return AppointmentCancellation(appointment=appointment, full_refund_due=full_refund_due)


def _doctor_closes(
    *, appointment: Appointment, by: Any, to_status: str, template_key: str, on_behalf_of_clinic: bool
) -> Appointment:
    now = timezone.now()
    with transaction.atomic():
        appointment = _lock(appointment)
        for_clinic = _acting_for_clinic(appointment, by, on_behalf_of_clinic)
        if not for_clinic and by.pk != appointment.doctor.user_id:
            raise PermissionDeniedError(_("Only the doctor can do this."), code=Code.DOCTORS_ONLY)
        if now < appointment.start:
            raise ConflictError(_("This appointment has not started yet."), code=Code.NOT_STARTED)
        appointment_transition(
            appointment=appointment, to_status=to_status, by=by, source="admin" if for_clinic else "api"
        )
        appointment_participants_notify(appointment=appointment, template_key=template_key)
    return appointment


def appointment_complete(*, appointment: Appointment, by: Any, on_behalf_of_clinic: bool = False) -> Appointment:
    """The doctor (or clinic staff) marks a confirmed appointment completed, once it has started (409 before)."""
    return _doctor_closes(
        appointment=appointment,
        by=by,
        to_status=S.COMPLETED,
        template_key="appointment_completed",
        on_behalf_of_clinic=on_behalf_of_clinic,
    )


def appointment_mark_no_show(*, appointment: Appointment, by: Any, on_behalf_of_clinic: bool = False) -> Appointment:
    """The doctor (or clinic staff) marks that the patient did not come, once it has started (409 before)."""
    return _doctor_closes(
        appointment=appointment,
        by=by,
        to_status=S.NO_SHOW,
        template_key="appointment_no_show",
        on_behalf_of_clinic=on_behalf_of_clinic,
    )


def appointment_expire_lapsed_holds(*, now: datetime | None = None) -> int:
    """Tidy: move every `pending_payment` whose hold ran out to `expired`, and hand each freed slot
    to the waitlist (a lapsed waitlist offer passes to the next in line). Safe to run any time, twice.

    Correctness never depends on it: slot queries and booking already treat a lapsed hold as free;
    it is how a lapsed hold reaches the waitlist within a beat period when no booking touches it.
    """
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        lapsed = (
            Appointment.objects.select_for_update(skip_locked=True)
            .select_related("doctor")
            .filter(status=S.PENDING_PAYMENT, hold_until__lte=now)
        )
        for appointment in lapsed:
            appointment_transition(
                appointment=appointment, to_status=S.EXPIRED, source="task:expire_holds", note="hold ran out"
            )
            _appointment_time_freed(appointment)
            count += 1
    return count


# --- payment ---------------------------------------------------------------------------------------


def appointment_confirm_paid(*, appointment: Appointment, source: str) -> bool:
    """A card payment for `appointment` succeeded: confirm it if its time is still free. Returns
    whether the appointment stands (confirmed or already past confirmation); False tells payments
    to give the money back.

    Precondition: the caller holds the appointment row lock, inside a transaction. A pending or
    expired (hold ran out) appointment is confirmed only if `slot_conflict` finds neither the doctor
    nor the patient busy then; on PostgreSQL the exclusion constraints have the last word, hence the
    savepoint. The doctor hears about the booking now, not when the unpaid hold was taken.
    """
    if appointment.status in (S.CONFIRMED, S.COMPLETED):
        return True
    if appointment.status not in (S.PENDING_PAYMENT, S.EXPIRED):
        return False
    late = appointment.status == S.EXPIRED
    conflict = slot_conflict(
        doctor_id=appointment.doctor_id,
        patient_id=appointment.patient_id,
        relative_id=appointment.relative_id,
        start=appointment.start,
        end=appointment.end,
        now=timezone.now(),
        exclude_id=appointment.pk,
        blocked_until=appointment.blocked_until,
    )
    if conflict is not None:
        if not late:
            appointment_transition(appointment=appointment, to_status=S.EXPIRED, source=source, note=str(conflict))
            _appointment_time_freed(appointment)
        return False
    try:
        with transaction.atomic():
            appointment_transition(
                appointment=appointment, to_status=S.CONFIRMED, source=source, note="late payment" if late else ""
            )
    except IntegrityError:
        appointment.refresh_from_db(fields=["status", "cancelled_at", "cancelled_by"])
        return False
    appointment_participants_notify(appointment=appointment, template_key="appointment_booked", recipients=(DOCTOR,))
    return True


# --- calendar feed ------------------------------------------------------------------------------------


def calendar_feed_get_or_create(*, user: Any) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return feed


def calendar_feed_rotate(*, user: Any) -> CalendarFeed:
    """A new secret feed URL; the old one stops working at once."""
    with transaction.atomic():
        feed = calendar_feed_get_or_create(user=user)
        feed.token = secrets.token_urlsafe(32)
        feed.save(update_fields=["token", "updated_at"])
        audit_record(action="calendar_feed.rotated", actor=user, target=feed)
    return feed


# --- telling the participants --------------------------------------------------------------------

PATIENT = "patient"
DOCTOR = "doctor"


def appointment_participants_notify(
    *,
    appointment: Appointment,
    template_key: str,
    type: str = NotificationType.APPOINTMENT,
    recipients: Sequence[str] = (PATIENT, DOCTOR),
    context: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Tell an appointment's participants something: the one fan-out every app uses (appointments,
    payments, reminders). Each recipient gets `notifications/<template_key>/` rendered in their
    locale with the common context (`recipient_is_doctor`, names, the attendee's, clinic, and `when`:
    the start as `when_text` writes it for that reader, naming the zone) plus `context`; datetimes in
    `context` whose key ends in `_start` are turned into `when_text` too (`previous_start` -> `previous`).
    `recipients` is explicit: (PATIENT,), (DOCTOR,) or both. Call it inside the changing transaction.
    """
    doctor = appointment.doctor
    doctor_user = doctor.user
    patient = appointment.patient
    attendee = appointment.relative
    extra = dict(context or {})
    moments = {key: extra.pop(key) for key in list(extra) if key.endswith("_start")}
    people = {PATIENT: patient, DOCTOR: doctor_user}
    for role in recipients:
        recipient = people[role]
        with translation.override(recipient.locale):
            when = when_text(moment=appointment.start, clinic_zone=doctor.timezone, reader_zone=recipient.timezone)
            whens = {
                key.removesuffix("_start"): when_text(
                    moment=moment, clinic_zone=doctor.timezone, reader_zone=recipient.timezone
                )
                for key, moment in moments.items()
                if moment is not None
            }
        reader_context = {
            "recipient_is_doctor": role == DOCTOR,
            "doctor_name": str(doctor),
            "patient_name": patient.full_name,
            # The relative attending (`appointments/attendee.txt` adds "For: ..."); "" when the holder attends.
            "attendee_name": attendee.full_name if attendee is not None else "",
            "clinic_name": doctor.clinic_name,
            "clinic_address": doctor.clinic_address,
            "reason": appointment.cancellation_reason,
            "when": when,
            **whens,
            **extra,
        }
        notification_send(
            user=recipient,
            type=type,
            template_key=template_key,
            context=reader_context,
            data={
                "appointment_id": str(appointment.pk),
                "status": appointment.status,
                "start": appointment.start.isoformat(),
                **(data or {}),
            },
        )


# --- reminders ---------------------------------------------------------------------------------------

REMINDER_LEADS: dict[str, timedelta] = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}


def appointment_reminders_send_due(*, now: datetime | None = None) -> int:
    """Send the 24 h and 1 h reminders that are due, each once per appointment, kind and start.

    A reminder is due when the appointment is confirmed, starts within its lead time, and was
    booked before the reminder time (a booking made 3 h ahead gets the 1 h reminder only). The 24 h
    window stops where the 1 h one begins, so a late beat never sends a stale "tomorrow" reminder.
    Safe to run twice or concurrently: the ReminderSent unique constraint decides who sends.
    """
    now = now or timezone.now()
    sent = 0
    windows = [
        (ReminderKind.DAY_BEFORE, now + REMINDER_LEADS[ReminderKind.HOUR_BEFORE], now + REMINDER_LEADS["24h"]),
        (ReminderKind.HOUR_BEFORE, now, now + REMINDER_LEADS[ReminderKind.HOUR_BEFORE]),
    ]
    for kind, after, until in windows:
        lead = REMINDER_LEADS[kind]
        due = (
            Appointment.objects.filter(status=S.CONFIRMED, start__gt=after, start__lte=until)
            .exclude(
                Exists(ReminderSent.objects.filter(appointment=OuterRef("pk"), kind=kind, start=OuterRef("start")))
            )
            .select_related("doctor__user", "patient")
        )
        for appointment in due:
            if appointment.created_at > appointment.start - lead:
                continue
            if _reminder_send(appointment=appointment, kind=kind):
                sent += 1
    return sent


def _reminder_send(*, appointment: Appointment, kind: str) -> bool:
    try:
        with transaction.atomic():
            ReminderSent.objects.create(appointment=appointment, kind=kind, start=appointment.start)
            appointment_participants_notify(
                appointment=appointment,
                template_key="appointment_reminder",
                type=NotificationType.REMINDER,
                recipients=(PATIENT,),
                context={"kind": kind},
                data={"kind": kind},
            )
    except IntegrityError:
        return False  # another beat run sent it
    return True
