"""Idempotent demo data for every app, printed with the logins to try.

Each app that has demo data exposes `<app>.demo.seed(out)`; they run in dependency order. Seeding
goes through the real services, which notify; no email leaves for the demo addresses.
"""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

SEEDERS = (
    "accounts.demo",
    "doctors.demo",
    "appointments.demo",
    "payments.demo",
    "chat.demo",
    "notifications.demo",
    "support.demo",
    "clinics.demo",
)


class Command(BaseCommand):
    help = "Create or refresh the demo data (safe to run again)."

    @override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
    def handle(self, *args, **options):
        for module_name in SEEDERS:
            try:
                module = import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
