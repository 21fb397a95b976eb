"""Browser tests: Playwright drives Debian's Chromium against a live server.

Run them alone: `.venv/bin/python -m pytest portal -m browser --reuse-db -q`.
"""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import aiohttp
import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, DoctorUserFactory, PatientFactory
from appointments.tests.factories import AppointmentFactory
from chat.models import Message
from chat.tests.conftest import access_token
from chat.tests.factories import ThreadFactory
from core.testing.browser import chromium_available, chromium_page
from core.testing.daphne import daphne_servers
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser_page():
    if not chromium_available():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with chromium_page() as page:
        yield page


def _sign_in(page, base_url, user):
    page.goto(f"{base_url}/portal/")
    assert "/portal/login/" in page.url
    page.fill("#id_username", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base_url}/portal/")


def test_a_doctor_signs_in_sees_today_and_switches_to_french(live_server, browser_page):
    # given a doctor with an appointment later today
    doctor = DoctorProfileFactory(user=DoctorUserFactory(first_name="Ana", last_name="Dupont"))
    start = timezone.now() + timedelta(minutes=5)
    AppointmentFactory(
        doctor=doctor,
        start=start,
        end=start + timedelta(minutes=30),
        reason="Knee pain",
        patient__first_name="Lucas",
        patient__last_name="Martin",
    )
    page = browser_page
    # when they sign in
    _sign_in(page, live_server.url, doctor.user)
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
    _sign_in(page, live_server.url, doctor.user)
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
    _sign_in(page, live_server.url, doctor.user)
    assert "Inès Moreau" not in page.locator("#today-live").inner_text()
    # when the patient books through the API while the page stays open
    today = local_today(doctor=doctor)
    start = next(
        slots[0][0]
        for _day, slots in free_slots(doctor=doctor, date_from=today, date_to=today + timedelta(days=2))
        if slots
    )
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
    Appointment.objects.filter(pk=appointment.pk).update(
        start=now - timedelta(minutes=5), end=now + timedelta(minutes=25)
    )
    page.goto(f"{live_server.url}/portal/appointments/{appointment.pk}/")
    page.click("button:text('Complete')")
    page.wait_for_selector("text=Appointment marked completed.")
    assert page.locator("#status").inner_text() == "Completed"
    appointment.refresh_from_db()
    assert appointment.status == "completed"


def test_insights_put_tables_beside_the_charts_and_below_them_on_a_tablet(live_server, browser_page):
    from payments.models import Payment

    doctor = DoctorProfileFactory(user=DoctorUserFactory())
    start = timezone.now() - timedelta(hours=3)
    appointment = AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30), status="completed")
    Payment.objects.create(
        appointment=appointment,
        method="clinic",
        provider="clinic",
        amount=5000,
        currency="EUR",
        status="succeeded",
        paid_at=start,
    )
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server.url, doctor.user)
    page.click("nav >> text=Insights")
    page.wait_for_selector("h1:text('Insights')")
    chart, table = page.locator("svg[role=img]").first, page.locator("table.figures").first
    assert table.bounding_box()["x"] > chart.bounding_box()["x"] + chart.bounding_box()["width"]
    # when the tablet is held upright
    page.set_viewport_size({"width": 768, "height": 1024})
    # then each table goes under its chart and nothing scrolls sideways
    assert table.bounding_box()["y"] > chart.bounding_box()["y"] + chart.bounding_box()["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 768


@pytest.fixture
def daphne_url(transactional_db):
    """The whole ASGI app, pages and sockets, in a Daphne process (live_server has no WebSockets)."""
    with daphne_servers(1) as (port,):
        yield f"http://127.0.0.1:{port}"


async def _next_frame(socket, wanted) -> dict:
    while True:
        frame = await asyncio.wait_for(socket.receive_json(), timeout=10)
        if wanted(frame):
            return frame


def test_chat_between_the_portal_page_and_the_patients_app_both_ways(daphne_url, browser_page):
    # given a thread, the doctor's portal page on it, and the patient's app on its socket (JWT, as phones do)
    doctor = DoctorProfileFactory(user=DoctorUserFactory())
    thread = ThreadFactory(doctor=doctor, patient=PatientFactory(first_name="Nadia", last_name="Benali"))
    app_url = daphne_url.replace("http://", "ws://") + f"/ws/chat/{thread.pk}?token={access_token(thread.patient)}"
    app_ready = threading.Event()
    doctor_id = str(doctor.user.pk)

    async def patients_app():
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(app_url, headers={"Origin": daphne_url}) as socket,
        ):
            app_ready.set()
            from_portal = await _next_frame(socket, lambda f: f["type"] == "message")
            await socket.send_json({"type": "read", "up_to": from_portal["message"]["id"]})
            await socket.send_json({"type": "message", "body": "Thank you, doctor", "client_id": "app-1"})
            read_by_doctor = await _next_frame(socket, lambda f: f["type"] == "read" and f["reader_id"] == doctor_id)
            return from_portal, read_by_doctor

    page = browser_page
    _sign_in(page, daphne_url, doctor.user)
    page.goto(f"{daphne_url}/portal/messages/{thread.pk}/")
    page.wait_for_selector("#chat[data-state=open]")
    page.evaluate("window.stillTheSamePage = true")
    # Another thread runs the app's event loop: this one runs Playwright's.
    with ThreadPoolExecutor(max_workers=1) as pool:
        app = pool.submit(asyncio.run, patients_app())
        assert app_ready.wait(10)
        # when the doctor sends from the page
        page.fill("#id_message-body", "Take one tablet twice a day")
        page.click("#send button[type=submit]")
        # then the patient's reply and the read receipt appear on the page without a reload
        page.wait_for_selector("#chat-messages .theirs >> text=Thank you, doctor")
        page.wait_for_selector("#chat-messages .mine .receipt.read")
        from_portal, read_by_doctor = app.result(timeout=20)
    assert page.evaluate("window.stillTheSamePage") is True
    # and the app received the portal's message, and the doctor's read receipt for its reply
    sent = Message.objects.get(sender=doctor.user)
    assert from_portal["message"]["body"] == sent.body == "Take one tablet twice a day"
    assert from_portal["message"]["sender_id"] == doctor_id
    reply = Message.objects.get(sender=thread.patient)
    assert read_by_doctor["up_to"] == str(reply.pk)
    assert page.locator(f"#m-{sent.pk} .receipt").inner_text() == "Read"


def test_without_a_socket_the_portal_sends_by_posting_the_form(live_server, browser_page):
    # given the WSGI live server, which has no WebSockets: the page's socket never opens
    doctor = DoctorProfileFactory(user=DoctorUserFactory())
    thread = ThreadFactory(doctor=doctor)
    page = browser_page
    _sign_in(page, live_server.url, doctor.user)
    page.goto(f"{live_server.url}/portal/messages/{thread.pk}/")
    page.wait_for_selector("#chat[data-state=closed]")
    # when the doctor sends
    page.fill("#id_message-body", "Posted the old way")
    page.click("#send button[type=submit]")
    # then the form posted, and the reloaded page shows the message
    page.wait_for_url(f"{live_server.url}/portal/messages/{thread.pk}/#send")
    page.wait_for_selector("#chat-messages .mine >> text=Posted the old way")
    assert Message.objects.get().body == "Posted the old way"


def test_today_left_open_signs_itself_out_after_the_idle_timeout(live_server, browser_page, settings):
    # given a doctor who signs in and leaves Today open, polling every second
    settings.PORTAL_POLL_SECONDS = 1
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 2
    doctor = DoctorProfileFactory(user=DoctorUserFactory())
    page = browser_page
    _sign_in(page, live_server.url, doctor.user)
    # then, the polls not counting as activity, the page ends on the login page with the reason
    page.wait_for_selector("text=You were signed out after a period of inactivity.")
    assert "/portal/login/" in page.url
