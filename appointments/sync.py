"""What appointments contribute to the offline sync (`core.sync`).

No signal receivers: the code that changes an appointment calls `appointment_sync_record` inside
its transaction. Every status change goes through `appointments.status` (which records it), and the
only other write, `appointment_reschedule`, records its move. A raw `.save()`, `.update()` or
factory bypasses the log on purpose: that is not how the application changes appointments.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from accounts.serializers import attendee_representation
from appointments.models import Appointment
from core.models import SyncOp
from core.sync import register, sync_record, sync_record_many
from doctors.models import DoctorProfile

RESOURCE = "appointments"


def appointment_sync_payload(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.id,
        "doctor_id": appointment.doctor_id,
        "patient_id": appointment.patient_id,
        "visit_type_id": appointment.visit_type_id,
        "attendee": attendee_representation(appointment.relative),
        "start": appointment.start,
        "end": appointment.end,
        "status": appointment.status,
        "updated_at": appointment.updated_at,
    }


def appointments_visible_to(user: Any) -> QuerySet[Appointment]:
    return Appointment.objects.filter(Q(patient=user) | Q(doctor__user=user)).select_related("relative")


def appointment_participant_ids(appointment: Appointment) -> list[Any]:
    """The patient's and the doctor's user ids (no query when the doctor is already loaded)."""
    doctor_user_id: Any
    if Appointment.doctor.is_cached(appointment):
        doctor_user_id = appointment.doctor.user_id
    else:
        doctor_user_id = (
            DoctorProfile.objects.filter(pk=appointment.doctor_id).values_list("user_id", flat=True).first()
        )
    return [appointment.patient_id, doctor_user_id]


def appointment_sync_record(appointment: Appointment, *, op: str = SyncOp.UPSERT) -> None:
    """Both participants' offline copies must pick up this appointment's change."""
    sync_record(users=appointment_participant_ids(appointment), resource=RESOURCE, object_id=appointment.pk, op=op)


def relative_appointments_sync_record(*, relative_ids: Sequence[Any]) -> None:
    """The appointments these relatives attend changed (their `attendee`), for both participants."""
    by_doctor: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
    for pk, patient_id, doctor_user_id in Appointment.objects.filter(relative_id__in=relative_ids).values_list(
        "pk", "patient_id", "doctor__user_id"
    ):
        by_doctor[(patient_id, doctor_user_id)].append(pk)
    for users, object_ids in by_doctor.items():
        sync_record_many(users=users, resource=RESOURCE, object_ids=object_ids)


register(RESOURCE, serialize=appointment_sync_payload, visible=appointments_visible_to)
