import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, StaffFactory
from clinics.models import Clinic
from clinics.tests.factories import ClinicFactory
from core.models import AuditLog
from core.testing.admin import admin_form_data
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def test_renaming_a_clinic_in_the_admin_renames_it_for_its_doctors(client, django_capture_on_commit_callbacks):
    clinic = ClinicFactory(name="Cabinet Moreau")
    doctor = DoctorProfileFactory(clinic=clinic, clinic_name="Cabinet Moreau")
    client.force_login(AdminFactory())
    url = reverse("admin:clinics_clinic_change", args=[clinic.pk])

    response = client.post(url, admin_form_data(client.get(url), name="Clinique Moreau", address="1 quai Voltaire"))

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert (doctor.clinic_name, doctor.clinic_address) == ("Clinique Moreau", "1 quai Voltaire")
    assert AuditLog.objects.filter(action="clinic.updated").exists()


def test_a_platform_admin_adds_a_clinic_with_its_staff(client):
    staff = StaffFactory()
    client.force_login(AdminFactory())
    url = reverse("admin:clinics_clinic_add")

    response = client.post(
        url,
        admin_form_data(
            client.get(url), name="Centre Nord", city="Lille", timezone="Europe/Paris", staff=[str(staff.pk)]
        ),
    )

    assert response.status_code == 302
    assert list(Clinic.objects.get(name="Centre Nord").staff.all()) == [staff]
