"""Browser tests of the back-office: Playwright drives Debian's Chromium against a live server.

Run them alone: `.venv/bin/python -m pytest clinics -m browser --reuse-db -q`.
"""

import os
import re
from dataclasses import dataclass

import pytest
import stripe

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, PatientFactory, StaffFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.tests.factories import AppointmentFactory, open_every_day
from clinics.demo import STAFF_PERMISSIONS
from clinics.models import Clinic
from clinics.tests.factories import ClinicFactory
from core.testing.browser import chromium_available, chromium_page
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory
from payments.models import Payment, PaymentStatus
from payments.services import payment_intent_create, payment_mark_clinic_paid, payment_stripe_succeeded
from payments.tests.conftest import TEST_SECRET_KEY, localstripe_pay
from payments.tests.factories import PendingCardAppointmentFactory
from support.tests.factories import SupportRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHANGELIST = re.compile(r"^/admin/[a-z_]+/[a-z_]+/$")


@pytest.fixture
def browser_page():
    if not chromium_available():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with chromium_page() as page:
        yield page


@dataclass
class World:
    clinic: Clinic
    doctor: DoctorProfile
    patient: User
    appointment: Appointment

    @property
    def markers(self) -> list[str]:
        """What gives this clinic away on a page."""
        return [self.clinic.name, self.patient.email, self.doctor.user.email, f"Question {self.clinic.name}"]


@pytest.fixture
def two_clinics():
    """Two clinics, each with a doctor open every day, a patient, an appointment paid at the desk
    and a support request about it."""
    worlds = {}
    for name in ("Alpha", "Beta"):
        clinic = ClinicFactory(name=f"Clinique {name}")
        doctor = DoctorProfileFactory(clinic=clinic, user__email=f"dr.{name.lower()}@example.com")
        open_every_day(doctor)
        patient = PatientFactory(first_name="Patient", last_name=name, email=f"patient.{name.lower()}@example.com")
        appointment = AppointmentFactory(doctor=doctor, patient=patient)
        payment_mark_clinic_paid(appointment=appointment, by=doctor.user)
        SupportRequestFactory(requester=patient, appointment=appointment, subject=f"Question Clinique {name}")
        worlds[name] = World(clinic, doctor, patient, appointment)
    return worlds


def sign_in(page, base_url, email):
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("#login-form input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def changelists(page) -> list[str]:
    """Every changelist the admin index links to."""
    hrefs = page.eval_on_selector_all("#content-main a", "links => links.map(a => a.getAttribute('href'))")
    return sorted({href for href in hrefs if href and CHANGELIST.match(href)})


def card_paid_appointment(doctor: DoctorProfile) -> Appointment:
    """A card appointment the patient paid on Stripe (localstripe)."""
    appointment = PendingCardAppointmentFactory(doctor=doctor, patient__email="card.payer@example.com")
    payment, _secret, _created = payment_intent_create(patient=appointment.patient, appointment_id=appointment.pk)
    localstripe_pay(payment.provider_payment_id)
    payment_stripe_succeeded(intent_id=payment.provider_payment_id, stripe_event_id="evt_browser_paid")
    return appointment


def test_clinic_staff_see_only_their_clinic_book_a_phone_in_patient_and_cancel_with_a_refund(
    live_server, browser_page, two_clinics, stripe_on_localstripe, mailoutbox
):
    alpha, beta = two_clinics["Alpha"], two_clinics["Beta"]
    paid = card_paid_appointment(alpha.doctor)
    staff = StaffFactory(permissions=STAFF_PERMISSIONS)
    alpha.clinic.staff.add(staff)
    page = browser_page

    # The dashboard counts their clinic only: one open support request, Alpha's.
    sign_in(page, live_server.url, staff.email)
    assert page.locator("#dashboard").is_visible()
    assert not [marker for marker in beta.markers if marker in page.content()]
    page.click("#dashboard a[href$='/admin/support/supportrequest/?status__exact=open']")
    page.wait_for_url("**/admin/support/supportrequest/?status__exact=open")
    assert page.locator("#result_list tbody tr").count() == 1
    assert "Question Clinique Alpha" in page.locator("#result_list").inner_text()

    # Every changelist they reach shows Alpha's objects and nothing of Beta's.
    page.goto(f"{live_server.url}/admin/")
    urls = changelists(page)
    assert {"/admin/appointments/appointment/", "/admin/payments/payment/", "/admin/support/supportrequest/"} <= set(
        urls
    )
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response.status == 200, url
        leaked = [marker for marker in beta.markers if marker in page.content()]
        assert leaked == [], f"{url} shows {leaked}"
    page.goto(f"{live_server.url}/admin/appointments/appointment/")
    assert alpha.patient.email in page.locator("#result_list").inner_text()

    # A patient phones: staff book them into a free slot; the new account is invited by email.
    page.click("text=Book for a patient")
    doctors = page.eval_on_selector_all("#id_doctor option", "options => options.map(o => o.value)")
    assert str(beta.doctor.pk) not in doctors
    page.select_option("#id_doctor", str(alpha.doctor.pk))
    page.fill("#id_email", "nadia.phone@example.com")
    page.fill("#id_first_name", "Nadia")
    page.fill("#id_last_name", "Amrani")
    page.click("#book-form input[type=submit]")
    page.wait_for_selector("#id_start")
    chosen = page.eval_on_selector("#id_start", "select => select.options[2].value")
    page.select_option("#id_start", chosen)
    page.fill("#id_reason", "Back pain")
    page.click("#book-form input[type=submit]")
    page.wait_for_url("**/admin/appointments/appointment/*/change/")
    assert "the patient was told" in page.content()
    booked = Appointment.objects.select_related("patient").get(patient__email="nadia.phone@example.com")
    assert (booked.doctor_id, booked.start.isoformat(), booked.status) == (
        alpha.doctor.pk,
        chosen,
        AppointmentStatus.CONFIRMED,
    )
    assert not booked.patient.has_usable_password()
    assert any("nadia.phone@example.com" in message.to for message in mailoutbox)

    # Another patient's card appointment: cancelled for the clinic, refunded in full on Stripe.
    page.goto(f"{live_server.url}/admin/appointments/appointment/")
    page.check("#result_list tbody tr:has-text('card.payer@example.com') input.action-select")
    page.select_option("select[name=action]", "cancel_appointments")
    page.click("button[name=index]")
    page.wait_for_selector("#id_reason")
    page.fill("#id_reason", "The doctor is ill.")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert "the patient and the doctor were told" in page.content()
    assert Appointment.objects.get(pk=paid.pk).status == AppointmentStatus.CANCELLED
    payment = Payment.objects.get(appointment=paid)
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, payment.amount)
    refunds = stripe.Refund.list(payment_intent=payment.provider_payment_id, api_key=TEST_SECRET_KEY)
    assert [refund.amount for refund in refunds.data] == [payment.amount]
    page.goto(f"{live_server.url}/admin/payments/payment/")
    assert "Refunded" in page.locator("#result_list tbody tr:has-text('card.payer@example.com')").inner_text()

    # Beta's appointment is not there by URL either.
    response = page.goto(f"{live_server.url}/admin/appointments/appointment/{beta.appointment.pk}/change/")
    assert response.status == 404


def test_platform_admin_sees_both_clinics(live_server, browser_page, two_clinics):
    admin = AdminFactory()
    page = browser_page

    sign_in(page, live_server.url, admin.email)
    page.click("#dashboard a[href$='/admin/support/supportrequest/?status__exact=open']")
    page.wait_for_url("**/admin/support/supportrequest/?status__exact=open")
    requests = page.locator("#result_list").inner_text()
    page.goto(f"{live_server.url}/admin/clinics/clinic/")
    clinics = page.locator("#result_list").inner_text()
    page.goto(f"{live_server.url}/admin/appointments/appointment/")
    appointments = page.locator("#result_list").inner_text()

    assert "Question Clinique Alpha" in requests and "Question Clinique Beta" in requests
    assert "Clinique Alpha" in clinics and "Clinique Beta" in clinics
    assert "patient.alpha@example.com" in appointments and "patient.beta@example.com" in appointments
