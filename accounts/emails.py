"""Account emails (verification, password reset): text + HTML, rendered in the recipient's locale."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User


def account_email_render(*, template_key: str, context: dict[str, Any], locale: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body of `accounts/emails/<template_key>/` in `locale`."""
    base = f"accounts/emails/{template_key}"
    with translation.override(locale):
        subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
        text = render_to_string(f"{base}/body.txt", context)
        html = render_to_string(f"{base}/body.html", context)
    return subject, text, html


def account_email_send(*, user: User, template_key: str, context: dict[str, Any]) -> None:
    """Send one account email to `user` now (callers are Celery tasks, which retry on SMTP errors)."""
    context = {"user": user, "site_url": settings.FRONTEND_URL.rstrip("/"), **context}
    subject, text, html = account_email_render(template_key=template_key, context=context, locale=user.locale)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
