"""Screenshots of the back-office with the demo data, for the README (`make screenshots`).

Serves the current database through a real Daphne process on `--port`, signs in as the first demo
clinic's staff member (then as the platform admin) and saves PNGs under `docs/screenshots/`.
Run `seed_demo` first; the staff member's saved language is restored afterwards.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from clinics.demo import CLINICS
from core.demo import DEMO_PASSWORD
from core.testing.browser import chromium_page
from core.testing.daphne import database_url, wait_for_port

VIEWPORT = {"width": 1360, "height": 900}

STAFF_PAGES = [
    ("admin-dashboard", "/admin/"),
    ("admin-appointments", "/admin/appointments/appointment/"),
    ("admin-payments", "/admin/payments/payment/"),
    ("admin-support-queue", "/admin/support/supportrequest/"),
    ("admin-doctors", "/admin/doctors/doctorprofile/"),
    ("admin-two-factor", "/admin/two-factor/"),
]


class Command(BaseCommand):
    help = "Save screenshots of the back-office (clinic staff, in EN and FR, and the platform admin)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "screenshots"))
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, out: str, port: int, **options):
        staff = User.objects.filter(email=CLINICS[0][3]).first()
        if staff is None:
            raise CommandError("No demo clinic staff: run `manage.py seed_demo` first.")
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        saved_locale = staff.locale
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE, "DATABASE_URL": database_url()}
        with tempfile.TemporaryFile() as log:
            server = subprocess.Popen(  # noqa: S603  (our own interpreter and fixed arguments)
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                env=environment,
                stdout=log,
                stderr=log,
            )
            try:
                wait_for_port(port, server, log)
                with chromium_page(viewport=VIEWPORT) as page:
                    self._shoot_all(page, f"http://127.0.0.1:{port}", staff.email, directory)
            finally:
                server.terminate()
                server.wait(timeout=10)
                User.objects.filter(pk=staff.pk).update(locale=saved_locale)
        self.stdout.write(self.style.SUCCESS(f"Screenshots saved in {directory}"))

    def _shoot_all(self, page, base: str, email: str, directory: Path) -> None:
        def shoot(name: str) -> None:
            page.screenshot(path=directory / f"{name}.png", full_page=True)
            self.stdout.write(f"  {name}.png")

        def sign_in(address: str) -> None:
            page.goto(f"{base}/admin/login/")
            page.fill("#id_username", address)
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("#login-form input[type=submit]")
            page.wait_for_url(f"{base}/admin/")

        page.goto(f"{base}/admin/login/")
        shoot("admin-login")
        sign_in(email)
        for name, path in STAFF_PAGES:
            page.goto(base + path)
            shoot(name)
        page.goto(f"{base}/admin/")
        page.select_option("#tabib-language-select", "fr")
        page.wait_for_load_state()
        page.goto(f"{base}/admin/")
        shoot("admin-dashboard-fr")
        page.select_option("#tabib-language-select", "en")
        page.wait_for_load_state()
        page.context.clear_cookies()
        sign_in("admin@demo.tabib.local")
        page.goto(f"{base}/admin/clinics/clinic/")
        shoot("admin-clinics-platform")
