"""Email is how patients verify their address, reset passwords and get receipts: production needs a
backend that really sends, from an address of ours."""

from django.conf import settings
from django.core.checks import Error, Tags, register

NON_DELIVERING_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)
PLACEHOLDER_FROM_DOMAINS = (".local", ".invalid", ".example", ".test", "localhost")


@register(Tags.compatibility, deploy=True)
def check_email_settings(app_configs, **kwargs) -> list:
    errors: list = []
    if settings.EMAIL_BACKEND in NON_DELIVERING_BACKENDS:
        errors.append(
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: no email leaves (address verification, password "
                "reset, receipts, reminders).",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.net:587",
                id="tabib.E030",
            )
        )
    sender = settings.DEFAULT_FROM_EMAIL.rstrip(">").rsplit("@", 1)[-1].lower()
    if "@" not in settings.DEFAULT_FROM_EMAIL or sender.endswith(PLACEHOLDER_FROM_DOMAINS):
        errors.append(
            Error(
                f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}: mail from a placeholder domain is "
                "rejected or lands in spam.",
                hint="Set DEFAULT_FROM_EMAIL to an address of a domain you send from, e.g. "
                "Tabib <no-reply@tabib.example.com>.",
                id="tabib.E031",
            )
        )
    return errors
