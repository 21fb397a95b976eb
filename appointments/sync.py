"""What appointments contribute to the offline sync (`core.sync`).

TEMPORARY: the post_save/post_delete receivers below stand in until the appointment services
(`appointment_book`, `appointment_reschedule`, `appointment_cancel`, `appointment_transition`, the
hold-expiry task...) call `appointment_sync_record(appointment)` themselves inside their
transaction; a receiver misses queryset `.update()` calls.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from appointments.models import Appointment
from core.models import SyncOp
from core.sync import register, sync_record
from doctors.models import DoctorProfile

RESOURCE = "appointments"


def appointment_sync_payload(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.id,
        "doctor_id": appointment.doctor_id,
        "patient_id": appointment.patient_id,
        "start": appointment.start,
        "end": appointment.end,
        "status": appointment.status,
        "updated_at": appointment.updated_at,
    }


def appointments_visible_to(user) -> QuerySet[Appointment]:
    return Appointment.objects.filter(Q(patient=user) | Q(doctor__user=user))


def appointment_participant_ids(appointment: Appointment) -> list[Any]:
    doctor_user_id = DoctorProfile.objects.filter(pk=appointment.doctor_id).values_list("user_id", flat=True).first()
    return [appointment.patient_id, doctor_user_id]


def appointment_sync_record(appointment: Appointment, *, op: str = SyncOp.UPSERT) -> None:
    """Both participants' offline copies must pick up this appointment's change."""
    sync_record(users=appointment_participant_ids(appointment), resource=RESOURCE, object_id=appointment.pk, op=op)


register(RESOURCE, serialize=appointment_sync_payload, visible=appointments_visible_to)


@receiver(post_save, sender=Appointment, dispatch_uid="appointments.sync.saved")
def _appointment_saved(sender, instance: Appointment, **kwargs) -> None:
    appointment_sync_record(instance)


@receiver(post_delete, sender=Appointment, dispatch_uid="appointments.sync.deleted")
def _appointment_deleted(sender, instance: Appointment, **kwargs) -> None:
    appointment_sync_record(instance, op=SyncOp.DELETE)
