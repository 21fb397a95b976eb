"""Every write of clinics: create and edit a clinic, attach a doctor, link staff; and the back-office
writes that depend on a staff member's clinics (who may take a support request)."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clinics.models import Clinic
from clinics.selectors import SUPPORT_REQUEST_SCOPE, clinic_scope_filter
from core.exceptions import ApplicationError, PermissionDeniedError
from core.services import audit_record
from doctors.directory_cache import directory_changed
from doctors.models import DoctorProfile
from support.models import SupportRequest

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


@transaction.atomic
def support_request_assign(*, support_request: SupportRequest, assignee: Any, by: Any) -> SupportRequest:
    """Hand a support request to a staff member (`by` takes it with `assignee=by`).

    Both must be active staff who may change support requests, and the request must be one of the
    assignee's clinics (a request about no appointment: platform admins only)."""
    if not (by.is_active and by.is_staff and by.has_perm("support.change_supportrequest")):
        raise PermissionDeniedError(_("You may not assign support requests."), code="permission_denied")
    visible = clinic_scope_filter(
        queryset=SupportRequest.objects.filter(pk=support_request.pk), user=assignee, scope=SUPPORT_REQUEST_SCOPE
    )
    if not (
        assignee.is_active
        and assignee.is_staff
        and assignee.has_perm("support.change_supportrequest")
        and visible.exists()
    ):
        raise ApplicationError(
            _("%(user)s cannot handle this request.") % {"user": assignee}, code="assignee_invalid", attr="assignee"
        )
    support_request = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
    previous = support_request.assignee_id
    if previous != assignee.pk:
        support_request.assignee = assignee
        support_request.save(update_fields=["assignee", "updated_at"])
        audit_record(
            action="support_request.assign",
            actor=by,
            target=support_request,
            data={"assignee": str(assignee.pk), "previous": str(previous) if previous else None},
        )
    return support_request
