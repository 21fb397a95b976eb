"""Emails: the base layout around a notification's title and body, per locale, and the builders of
emails that are built when they are sent (account emails with a secret link, receipts with a PDF).

Every email leaves through the `Delivery` pipeline (`notifications.services`): retries with backoff,
and a row support can read in the admin.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation


def notification_email_render(
    *, template_key: str, title: str, body: str, context: dict[str, Any], locale: str
) -> dict[str, str]:
    """Subject, text and HTML of a notification email in `locale`.

    A template may bring a richer HTML body in `notifications/<key>/email.html` (rendered with the
    notification's context plus `title` and `body`); otherwise the body's paragraphs are used.
    """
    email_context = {**context, "title": title, "body": body, "frontend_url": settings.FRONTEND_URL}
    with translation.override(locale):
        try:
            content_html = get_template(f"notifications/{template_key}/email.html").render(email_context)
        except TemplateDoesNotExist:
            content_html = None
        layout_context = {**email_context, "content_html": content_html, "locale": locale}
        text = render_to_string("notifications/email/base.txt", layout_context).strip() + "\n"
        html = render_to_string("notifications/email/base.html", layout_context)
    return {"subject": title, "text": text, "html": html}


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str = ""
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (file name, content, MIME type)


# Called with the delivery's `args` when the email is sent; None = nothing to send any more.
EmailBuilder = Callable[[dict[str, Any]], EmailContent | None]
_builders: dict[str, EmailBuilder] = {}


def email_builder_register(name: str, builder: EmailBuilder) -> None:
    """Declare how to build the emails named `name` (each app's email module does it on import)."""
    if _builders.get(name, builder) is not builder:
        raise ValueError(f"email builder {name!r} is already registered")
    _builders[name] = builder


def email_build(*, name: str, args: dict[str, Any]) -> EmailContent | None:
    return _builders[name](args)
