"""Every write of clinics: create and edit a clinic, attach a doctor, link staff."""

from typing import Any

from django.db import transaction

from clinics.models import Clinic
from core.services import audit_record
from doctors.directory_cache import directory_changed
from doctors.models import DoctorProfile

CLINIC_FIELDS = (
    "name",
    "address",
    "city",
    "country",
    "timezone",
    "phone",
    "languages",
    "description_en",
    "description_fr",
)


def _copy_to_doctors(clinic: Clinic) -> None:
    """The doctors' `clinic_name`/`clinic_address` columns follow their clinic (the API reads them)."""
    updated = DoctorProfile.objects.filter(clinic=clinic).update(clinic_name=clinic.name, clinic_address=clinic.address)
    if updated:
        directory_changed()


@transaction.atomic
def clinic_create(*, data: dict[str, Any], by: Any) -> Clinic:
    clinic = Clinic.objects.create(**{name: data[name] for name in CLINIC_FIELDS if name in data})
    audit_record(action="clinic.created", actor=by, target=clinic)
    return clinic


@transaction.atomic
def clinic_update(*, clinic: Clinic, data: dict[str, Any], by: Any) -> Clinic:
    changed = [name for name in CLINIC_FIELDS if name in data and getattr(clinic, name) != data[name]]
    for name in changed:
        setattr(clinic, name, data[name])
    if changed:
        clinic.save(update_fields=[*changed, "updated_at"])
        audit_record(action="clinic.updated", actor=by, target=clinic, data={"fields": changed})
    if {"name", "address"} & set(changed):
        _copy_to_doctors(clinic)
    return clinic


@transaction.atomic
def clinic_staff_set(*, clinic: Clinic, staff: list, by: Any) -> None:
    """The staff accounts of the clinic; each must be a staff user (`is_staff`)."""
    clinic.staff.set([user for user in staff if user.is_staff])
    audit_record(action="clinic.staff_set", actor=by, target=clinic, data={"staff": [str(u.pk) for u in staff]})


@transaction.atomic
def clinic_doctor_assign(*, clinic: Clinic | None, doctor: DoctorProfile, by: Any) -> DoctorProfile:
    """Attach the doctor to a clinic (or detach with None); their clinic name and address follow."""
    doctor.clinic = clinic
    fields = ["clinic", "updated_at"]
    if clinic is not None:
        doctor.clinic_name, doctor.clinic_address = clinic.name, clinic.address
        fields += ["clinic_name", "clinic_address"]
    doctor.save(update_fields=fields)
    audit_record(
        action="clinic.doctor_assigned", actor=by, target=doctor, data={"clinic": str(clinic.pk) if clinic else None}
    )
    directory_changed()
    return doctor
