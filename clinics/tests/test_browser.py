"""Browser tests of the back-office: Playwright drives Debian's Chromium against a live server.

Run them alone: `.venv/bin/python -m pytest clinics -m browser --reuse-db -q`.
"""

import os

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, PatientFactory, StaffFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.tests.factories import AppointmentFactory
from clinics.demo import STAFF_PERMISSIONS
from clinics.tests.factories import ClinicFactory
from core.testing.browser import chromium_available, chromium_page
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser_page():
    if not chromium_available():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with chromium_page() as page:
        yield page


@pytest.fixture
def two_clinics():
    worlds = {}
    for name in ("Alpha", "Beta"):
        clinic = ClinicFactory(name=f"Clinique {name}")
        doctor = DoctorProfileFactory(clinic=clinic)
        patient = PatientFactory(first_name="Patient", last_name=name, email=f"patient.{name.lower()}@example.com")
        appointment = AppointmentFactory(doctor=doctor, patient=patient)
        worlds[name] = (clinic, appointment)
    return worlds


def sign_in(page, base_url, email):
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("#login-form input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def test_clinic_staff_see_their_clinic_and_cancel_an_appointment(live_server, browser_page, two_clinics):
    alpha, alpha_appointment = two_clinics["Alpha"]
    staff = StaffFactory(permissions=[*STAFF_PERMISSIONS, "appointments.change_appointment"])
    alpha.staff.add(staff)
    page = browser_page

    sign_in(page, live_server.url, staff.email)
    assert page.locator("#dashboard").is_visible()
    page.click("#dashboard-2 a.big")  # this month's bookings
    page.wait_for_url("**/admin/appointments/appointment/?*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "patient.alpha@example.com" in rows.first.inner_text()
    assert "patient.beta@example.com" not in page.content()

    page.goto(f"{live_server.url}/admin/appointments/appointment/")
    page.check("#result_list tbody tr input.action-select")
    page.select_option("select[name=action]", "cancel_appointments")
    page.click("button[name=index]")
    page.wait_for_selector("#id_reason")
    page.fill("#id_reason", "The doctor is ill.")
    page.click("input[type=submit]")
    page.wait_for_load_state()

    assert "the patient and the doctor were told" in page.content()
    cancelled = Appointment.objects.get(pk=alpha_appointment.pk)
    assert cancelled.status == AppointmentStatus.CANCELLED
    beta_appointment = two_clinics["Beta"][1]
    response = page.goto(f"{live_server.url}/admin/appointments/appointment/{beta_appointment.pk}/change/")
    assert response.status == 404


def test_platform_admin_sees_both_clinics(live_server, browser_page, two_clinics):
    admin = AdminFactory()
    page = browser_page

    sign_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/clinics/clinic/")

    text = page.locator("#result_list").inner_text()
    assert "Clinique Alpha" in text
    assert "Clinique Beta" in text
