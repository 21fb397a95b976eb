"""Screenshots of every portal page with the demo data, for the README (`make screenshots`).

Serves the current database through a real Daphne process, signs in as the showcase doctor (the
first verified demo doctor) and saves one PNG per page under `docs/screenshots/`, plus Today in
French. Run `seed_demo` first; the doctor's saved language is restored afterwards.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from appointments.slots import local_today
from chat.models import Thread
from core.demo import DEMO_PASSWORD
from core.testing.browser import chromium_page
from core.testing.daphne import daphne_servers
from doctors.models import DoctorProfile

VIEWPORT = {"width": 1280, "height": 900}


def _showcase_doctor() -> DoctorProfile:
    doctor = (
        DoctorProfile.objects.select_related("user")
        .filter(verification_status="verified")
        .order_by("created_at")
        .first()
    )
    if doctor is None:
        raise CommandError("No verified doctor: run `manage.py seed_demo` first.")
    return doctor


def _pages(doctor: DoctorProfile) -> list[tuple[str, str]]:
    today = local_today(doctor=doctor)
    appointment = doctor.appointments.order_by("-start").filter(start__date__lte=today).first()
    thread = Thread.objects.filter(doctor=doctor).order_by("-updated_at").first()
    pages = [
        ("today", "/portal/"),
        ("schedule", "/portal/schedule/"),
        ("appointments", "/portal/appointments/"),
        ("messages", "/portal/messages/"),
        ("profile", "/portal/profile/"),
        ("profile-preview", "/portal/profile/preview/"),
        ("notifications", "/portal/notifications/"),
        ("insights", "/portal/insights/"),
    ]
    if appointment is not None:
        pages.append(("appointment-detail", f"/portal/appointments/{appointment.pk}/"))
    if thread is not None:
        pages.append(("thread", f"/portal/messages/{thread.pk}/"))
    return pages


class Command(BaseCommand):
    help = "Save a screenshot of each portal page (EN, and Today in FR) with the demo data."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "screenshots"))

    def handle(self, *args, out: str, **options):
        doctor = _showcase_doctor()
        pages = _pages(doctor)  # queried before Playwright's event loop runs in this thread
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        saved_locale = doctor.user.locale
        try:
            with (
                daphne_servers(settings_module=settings.SETTINGS_MODULE) as [port],
                chromium_page(viewport=VIEWPORT) as page,
            ):
                self._shoot_all(page, f"http://127.0.0.1:{port}", doctor.user.email, pages, directory)
        finally:
            type(doctor.user).objects.filter(pk=doctor.user.pk).update(locale=saved_locale)
        self.stdout.write(self.style.SUCCESS(f"Screenshots saved in {directory}"))

    def _shoot_all(self, page, base: str, email: str, pages: list[tuple[str, str]], directory: Path) -> None:
        def shoot(name: str) -> None:
            page.screenshot(path=directory / f"{name}.png", full_page=True)
            self.stdout.write(f"  {name}.png")

        page.goto(f"{base}/portal/login/")
        shoot("login")
        page.goto(f"{base}/accounts/password/reset/")
        shoot("password-reset")
        page.goto(f"{base}/portal/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{base}/portal/")
        for name, path in pages:
            page.goto(base + path)
            shoot(name)
        page.goto(f"{base}/portal/")
        page.select_option("#locale-switch", "fr")
        page.click("#locale-switch + button")
        page.wait_for_load_state()
        shoot("today-fr")
