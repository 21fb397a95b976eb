"""Browser tests: Playwright drives Debian's Chromium against a live server.

Run them alone: `.venv/bin/python -m pytest portal -m browser --reuse-db -q`.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, DoctorUserFactory
from appointments.tests.factories import AppointmentFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser_page():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/portal/")
    assert "/portal/login/" in page.url
    page.fill("#id_username", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/portal/")


def test_a_doctor_signs_in_sees_today_and_switches_to_french(live_server, browser_page):
    # given a doctor with an appointment later today
    doctor = DoctorProfileFactory(user=DoctorUserFactory(first_name="Ana", last_name="Dupont"))
    start = timezone.now() + timedelta(minutes=5)
    AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30), reason="Knee pain",
                       patient__first_name="Lucas", patient__last_name="Martin")
    page = browser_page
    # when they sign in
    _sign_in(page, live_server, doctor.user)
    # then Today shows the queue
    assert page.locator("h1").inner_text() == "Today"
    assert page.get_attribute("html", "lang") == "en"
    assert "Lucas Martin" in page.locator("#today-live").inner_text()
    # when they switch to French
    page.select_option("#locale-switch", "fr")
    page.click("text=Switch language")
    page.wait_for_load_state()
    # then the page is in French and the choice is saved on the account
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("h1").inner_text() == "Aujourd’hui"
    assert User.objects.get(pk=doctor.user.pk).locale == "fr"


def test_a_weekly_rule_added_in_the_browser_shows_in_the_preview(live_server, browser_page):
    doctor = DoctorProfileFactory(user=DoctorUserFactory())
    page = browser_page
    _sign_in(page, live_server, doctor.user)
    page.click("nav >> text=Schedule")
    page.select_option("#id_rules-0-weekday", "2")
    page.fill("#id_rules-0-start_time", "09:00")
    page.fill("#id_rules-0-end_time", "11:00")
    page.click("text=Save weekly hours")
    page.wait_for_selector("text=Weekly hours saved.")
    wednesdays = page.locator("table.preview tbody tr", has_text="Wed")
    assert wednesdays.count() >= 7
    assert wednesdays.last.locator("td").nth(1).inner_text() == "4"


def test_a_booking_made_through_the_api_appears_on_today_and_is_completed(live_server, browser_page, settings):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.tests.factories import PatientFactory
    from appointments.models import Appointment
    from appointments.slots import free_slots, local_today
    from appointments.tests.factories import open_every_day

    settings.PORTAL_POLL_SECONDS = 1
    doctor = DoctorProfileFactory(user=DoctorUserFactory())
    open_every_day(doctor)
    patient = PatientFactory(first_name="Inès", last_name="Moreau")
    page = browser_page
    _sign_in(page, live_server, doctor.user)
    assert "Inès Moreau" not in page.locator("#today-live").inner_text()
    # when the patient books through the API while the page stays open
    today = local_today(doctor=doctor)
    start = next(slots[0][0] for _day, slots in free_slots(doctor=doctor, date_from=today,
                                                           date_to=today + timedelta(days=2)) if slots)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(patient).access_token}")
    body = {"doctor_id": str(doctor.pk), "start": start.isoformat(), "payment_method": "clinic", "reason": "Fever"}
    # Another thread, as a phone would be: this one runs Playwright's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(api.post, "/api/v1/appointments", body, format="json").result()
    assert response.status_code == 201, response.content
    # then it shows up without a reload
    page.wait_for_selector("#today-live >> text=Inès Moreau")
    # and once it has started (time moved forward here), the doctor completes it from its page
    appointment = Appointment.objects.get(patient=patient)
    now = timezone.now()
    Appointment.objects.filter(pk=appointment.pk).update(start=now - timedelta(minutes=5),
                                                         end=now + timedelta(minutes=25))
    page.goto(f"{live_server.url}/portal/appointments/{appointment.pk}/")
    page.click("button:text('Complete')")
    page.wait_for_selector("text=Appointment marked completed.")
    assert page.locator("#status").inner_text() == "Completed"
    appointment.refresh_from_db()
    assert appointment.status == "completed"


def test_today_left_open_signs_itself_out_after_the_idle_timeout(live_server, browser_page, settings):
    # given a doctor who signs in and leaves Today open, polling every second
    settings.PORTAL_POLL_SECONDS = 1
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 2
    doctor = DoctorProfileFactory(user=DoctorUserFactory())
    page = browser_page
    _sign_in(page, live_server, doctor.user)
    # then, the polls not counting as activity, the page ends on the login page with the reason
    page.wait_for_selector("text=You were signed out after a period of inactivity.")
    assert "/portal/login/" in page.url
