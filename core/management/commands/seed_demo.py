"""Idempotent demo data for every app, then the logins to try and where to go, printed last.

Each app that has demo data exposes `<app>.demo.seed(out)`; they run in dependency order. Seeding
goes through the real services, which notify; no email leaves for the demo addresses. The lines a
seeder writes with the demo password are the logins: they are held back and printed together at
the end, after the progress lines, so they do not scroll away.
"""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, OutputWrapper
from django.db import transaction
from django.test.utils import override_settings

from core.demo import DEMO_PASSWORD

SEEDERS = (
    "accounts.demo",
    "doctors.demo",
    "appointments.demo",
    "waitlist.demo",
    "payments.demo",
    "chat.demo",
    "notifications.demo",
    "support.demo",
    "clinics.demo",
)
PLACES = (
    ("/api/docs/", "API documentation (Swagger UI); the JSON API is under /api/v1/"),
    ("/portal/", "doctor portal"),
    ("/admin/", "clinic staff back-office"),
)


class SeedOutput:
    """What the seeders write to: progress goes straight out, login lines are kept for the end."""

    def __init__(self, out: OutputWrapper):
        self.out = out
        self.logins: list[str] = []

    def write(self, line: str = "", *args, **kwargs) -> None:
        if f"/ {DEMO_PASSWORD}" in line:
            self.logins.append(line.replace(f" / {DEMO_PASSWORD}", "").rstrip())
        else:
            self.out.write(line, *args, **kwargs)


class Command(BaseCommand):
    help = "Create or refresh the demo data (safe to run again), then print the logins and the URLs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default=settings.FRONTEND_URL, help="Where the server answers (default FRONTEND_URL)."
        )

    @override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
    def handle(self, *args, base_url: str, **options):
        output = SeedOutput(self.stdout)
        for module_name in SEEDERS:
            try:
                module = import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            self.stdout.write(f"Seeding {module_name.split('.')[0]}...")
            with transaction.atomic():
                module.seed(output)
        base_url = base_url.rstrip("/")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins (every password: {DEMO_PASSWORD})"))
        for line in output.logins:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Open"))
        for path, what in PLACES:
            self.stdout.write(f"  {base_url}{path:<12} {what}")
        self.stdout.write("")
