"""The support queue in the admin: age and assignee of each request; staff take one with "Assign to
me" (support_request_assign: permission-checked, scoped to the assignee's clinics, audited)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory
from appointments.tests.factories import AppointmentFactory
from clinics.services import support_request_assign
from clinics.tests.factories import ClinicFactory
from core.exceptions import ApplicationError, PermissionDeniedError
from core.models import AuditLog
from doctors.tests.factories import DoctorProfileFactory
from support.models import SupportRequest
from support.tests.factories import SupportRequestFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:support_supportrequest_changelist"
DESK = ["support.view_supportrequest", "support.change_supportrequest"]


def request_at(clinic, **kwargs) -> SupportRequest:
    appointment = AppointmentFactory(doctor=DoctorProfileFactory(clinic=clinic))
    return SupportRequestFactory(requester=appointment.patient, appointment=appointment, **kwargs)


def desk_staff(clinic, permissions=DESK):
    staff = StaffFactory(permissions=permissions, first_name="Sam", last_name="Desk")
    clinic.staff.add(staff)
    return staff


def test_staff_assign_a_request_to_themselves_and_the_queue_shows_age_and_assignee(client):
    clinic = ClinicFactory()
    support_request = request_at(clinic, subject="Refund missing")
    SupportRequest.objects.filter(pk=support_request.pk).update(created_at=timezone.now() - timedelta(days=2))
    staff = desk_staff(clinic)
    client.force_login(staff)

    response = client.post(reverse(CHANGELIST), {"action": "assign_to_me", "_selected_action": [support_request.pk]})
    queue = client.get(reverse(CHANGELIST)).content.decode()
    mine = client.get(reverse(CHANGELIST), {"assigned": "me"}).context["cl"].result_count
    nobody = client.get(reverse(CHANGELIST), {"assigned": "nobody"}).context["cl"].result_count

    assert response.status_code == 302
    assert SupportRequest.objects.get(pk=support_request.pk).assignee == staff
    assert "2\xa0days" in queue  # age
    assert f'<td class="field-assigned_to">{staff.full_name}</td>' in queue
    assert (mine, nobody) == (1, 0)
    audit = AuditLog.objects.get(action="support_request.assign")
    assert (audit.actor, audit.target_id, audit.data["previous"]) == (staff, str(support_request.pk), None)


def test_assigning_to_the_same_person_again_changes_nothing():
    clinic = ClinicFactory()
    support_request = request_at(clinic)
    staff = desk_staff(clinic)

    support_request_assign(support_request=support_request, assignee=staff, by=staff)
    support_request_assign(support_request=support_request, assignee=staff, by=staff)

    assert AuditLog.objects.filter(action="support_request.assign").count() == 1


def test_a_colleague_takes_over_and_the_audit_names_the_previous_assignee():
    clinic = ClinicFactory()
    first, second = desk_staff(clinic), desk_staff(clinic)
    support_request = request_at(clinic)
    support_request_assign(support_request=support_request, assignee=first, by=first)

    support_request_assign(support_request=support_request, assignee=second, by=second)

    assert SupportRequest.objects.get(pk=support_request.pk).assignee == second
    assert AuditLog.objects.filter(action="support_request.assign").first().data["previous"] == str(first.pk)


def test_view_only_staff_may_not_assign():
    clinic = ClinicFactory()
    support_request = request_at(clinic)
    viewer = desk_staff(clinic, permissions=["support.view_supportrequest"])

    with pytest.raises(PermissionDeniedError):
        support_request_assign(support_request=support_request, assignee=viewer, by=viewer)

    assert SupportRequest.objects.get(pk=support_request.pk).assignee is None
    assert not AuditLog.objects.filter(action="support_request.assign").exists()


def test_a_request_of_another_clinic_cannot_be_given_to_its_staff():
    alpha, beta = ClinicFactory(), ClinicFactory()
    support_request = request_at(beta)
    alpha_staff = desk_staff(alpha)

    with pytest.raises(ApplicationError) as refused:
        support_request_assign(support_request=support_request, assignee=alpha_staff, by=alpha_staff)

    assert refused.value.code == "assignee_invalid"
    assert SupportRequest.objects.get(pk=support_request.pk).assignee is None


def test_an_action_forged_on_another_clinics_request_does_nothing(client):
    alpha, beta = ClinicFactory(), ClinicFactory()
    theirs = request_at(beta)
    client.force_login(desk_staff(alpha))

    client.post(reverse(CHANGELIST), {"action": "assign_to_me", "_selected_action": [theirs.pk]})

    assert SupportRequest.objects.get(pk=theirs.pk).assignee is None


@pytest.mark.parametrize("extra", [0, 10])
def test_the_queue_takes_a_fixed_number_of_queries(client, extra, django_assert_max_num_queries):
    clinic = ClinicFactory()
    staff = desk_staff(clinic)
    for _index in range(extra + 1):
        support_request_assign(support_request=request_at(clinic), assignee=staff, by=staff)
    client.force_login(staff)

    with django_assert_max_num_queries(12):
        assert client.get(reverse(CHANGELIST)).status_code == 200
