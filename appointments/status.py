"""The appointment status machine, in one place. Every status change goes through here, including
the first status of a new appointment: each one writes the status history row, the audit row and
the sync-log rows of both participants, and drops the doctor's cached availability."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.availability_cache import schedule_version_bump
from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange
from appointments.sync import appointment_sync_record
from core.exceptions import ConflictError
from core.services import audit_record

S = AppointmentStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.COMPLETED, S.NO_SHOW, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.NO_SHOW: frozenset(),
    S.CANCELLED: frozenset(),
    # A payment that succeeds after its hold ran out re-confirms the appointment; the database's
    # no-overlap constraint refuses it if the slot was given to someone else meanwhile.
    S.EXPIRED: frozenset({S.CONFIRMED}),
}


def can_transition(*, appointment: Appointment, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS[appointment.status]


def appointment_transition(
    *,
    appointment: Appointment,
    to_status: str,
    by: Any = None,
    source: str = "",
    note: str = "",
    extra_fields: tuple[str, ...] = (),
) -> Appointment:
    """Move `appointment` to `to_status` or raise 409 `invalid_transition`.

    Precondition: the caller holds the appointment row lock (select_for_update) inside a transaction,
    so two concurrent transitions cannot both start from the same status.
    """
    if not can_transition(appointment=appointment, to_status=to_status):
        raise ConflictError(
            _("This appointment cannot go from %(current)s to %(target)s.")
            % {"current": appointment.get_status_display(), "target": S(to_status).label},
            code="invalid_transition",
        )
    from_status = appointment.status
    appointment.status = to_status
    if to_status == S.CANCELLED:
        appointment.cancelled_at = timezone.now()
        appointment.cancelled_by = by if by is not None and getattr(by, "pk", None) else None
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at", *extra_fields])
    _status_recorded(appointment=appointment, from_status=from_status, by=by, source=source, note=note)
    return appointment


def appointment_status_start(*, appointment: Appointment, by: Any = None, source: str = "") -> Appointment:
    """Record the first status of an appointment the caller has just inserted (history "" -> status)."""
    _status_recorded(appointment=appointment, from_status="", by=by, source=source, note="")
    return appointment


def _status_recorded(*, appointment: Appointment, from_status: str, by: Any, source: str, note: str) -> None:
    AppointmentStatusChange.objects.create(
        appointment=appointment,
        from_status=from_status,
        to_status=appointment.status,
        changed_by=by if by is not None and getattr(by, "pk", None) else None,
        source=source,
        note=note[:500],
    )
    audit_record(
        action=f"appointment.{appointment.status}",
        actor=by,
        target=appointment,
        data={"from": from_status, "source": source},
    )
    appointment_sync_record(appointment)
    # Whoever moves it (a service, a payment webhook, the hold tidying), the doctor's free time may
    # have changed: cached availability must not outlive this.
    schedule_version_bump(doctor_id=appointment.doctor_id)
