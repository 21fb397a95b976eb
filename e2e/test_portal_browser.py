"""One portal page in a real browser on the production-shaped stack: Playwright drives Debian's
Chromium (`/usr/bin/chromium`; `.ci/run` installs it) against Daphne A with DEBUG=False, where the
static files are the collectstatic'd, hashed ones WhiteNoise serves as deployed."""

import os
import uuid

import pytest
from playwright.sync_api import sync_playwright

from clients import book, doctor_create, patient_register
from stack import PASSWORD

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def test_a_doctor_signs_in_to_the_portal_and_sees_the_booking_a_patient_just_made(stack, page):
    doctor = doctor_create(stack)
    first_name = f"Zoe{uuid.uuid4().hex[:6]}"
    patient = patient_register(stack, first_name=first_name)
    appointment = book(stack, patient, doctor, payment_method="clinic")
    stylesheets: dict[str, int] = {}
    page.on("response", lambda r: r.request.resource_type == "stylesheet" and stylesheets.update({r.url: r.status}))

    page.goto(f"{stack.http}/portal/")
    assert page.url == f"{stack.http}/portal/login/?next=/portal/"
    page.fill("#id_username", doctor.email)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{stack.http}/portal/")

    assert page.locator("h1").inner_text() == "Today"
    booking = page.locator(f"#today-live a[href='/portal/appointments/{appointment['id']}/']")
    assert booking.count() == 1
    assert f"{first_name} Ient" in booking.locator("xpath=ancestor::*[self::li or self::tr][1]").inner_text()
    # The stylesheet is the hashed file collectstatic wrote, served with a 200 and applied.
    assert stylesheets, "the page loaded no stylesheet"
    assert all(status == 200 for status in stylesheets.values()), stylesheets
    assert all("/static/portal/portal." in url and not url.endswith("/portal.css") for url in stylesheets), stylesheets
    assert page.evaluate("document.styleSheets.length") >= 1
    assert page.evaluate("document.styleSheets[0].cssRules.length") > 0
