from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, PatientFactory, RelativeFactory, StaffFactory
from appointments.tests.factories import AppointmentFactory
from clinics.tests.factories import ClinicFactory
from core.testing.admin import admin_form_data
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def test_admin_rename_of_a_doctor_goes_through_user_update(client):
    # user_update refreshes the doctor's accent-free search name; a plain save would not.
    doctor = DoctorProfileFactory()
    client.force_login(AdminFactory())
    url = reverse("admin:accounts_user_change", args=[doctor.user.pk])

    response = client.post(url, admin_form_data(client.get(url), last_name="Hélène-Dupré", is_active="on"))

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.user.last_name == "Hélène-Dupré"
    assert doctor.search_name.endswith("helene-dupre")


def test_a_patients_relatives_show_inline_and_a_save_keeps_them(client):
    relative = RelativeFactory(first_name="Léa")
    client.force_login(AdminFactory())
    url = reverse("admin:accounts_user_change", args=[relative.user.pk])

    page = client.get(url)
    saved = client.post(url, admin_form_data(page, first_name="Alice", is_active="on"))

    assert "Léa" in page.content.decode()
    assert saved.status_code == 302
    relative.refresh_from_db()
    assert relative.first_name == "Léa"


def test_clinic_staff_see_only_the_relatives_who_attend_their_clinic(client):
    clinic, elsewhere = ClinicFactory(), ClinicFactory()
    patient = PatientFactory()
    seen_here = RelativeFactory(user=patient, first_name="Léa")
    seen_elsewhere = RelativeFactory(user=patient, first_name="Noé")
    AppointmentFactory(patient=patient, relative=seen_here, doctor=DoctorProfileFactory(clinic=clinic))
    later = timezone.now() + timedelta(days=5)
    AppointmentFactory(
        patient=patient,
        relative=seen_elsewhere,
        doctor=DoctorProfileFactory(clinic=elsewhere),
        start=later,
        end=later + timedelta(minutes=30),
    )
    staff = StaffFactory(permissions=["accounts.view_user", "accounts.view_relative"])
    clinic.staff.add(staff)
    client.force_login(staff)

    html = client.get(reverse("admin:accounts_user_change", args=[patient.pk])).content.decode()

    assert "Léa" in html
    assert "Noé" not in html
