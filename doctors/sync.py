"""What the doctors app contributes to the offline sync (`core.sync`): the patient's favorites,
as doctor cards keyed by the doctor's id (a removed favorite is a tombstone of that id)."""

from typing import Any

from django.db.models import QuerySet

from core.models import SyncOp
from core.sync import register, sync_record
from doctors.models import DoctorProfile
from doctors.selectors import favorite_doctors
from doctors.serializers import DoctorCardSerializer

RESOURCE = "favorites"


def favorite_sync_payload(doctor: DoctorProfile) -> dict[str, Any]:
    return {**DoctorCardSerializer(doctor).data, "is_favorite": True}


def favorites_visible_to(user) -> QuerySet[DoctorProfile]:
    return favorite_doctors(patient=user)


def favorite_sync_record(*, patient, doctor: DoctorProfile, op: str = SyncOp.UPSERT) -> None:
    sync_record(users=[patient], resource=RESOURCE, object_id=doctor.pk, op=op)


register(RESOURCE, serialize=favorite_sync_payload, visible=favorites_visible_to)
