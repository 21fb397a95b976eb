"""Account emails (verification, password reset): text + HTML in the recipient's locale.

They leave through the notifications `Delivery` pipeline (retries with backoff, visible to
support): `account_email_queue` stores who and what; the builders below make the secret link when
the email is sent, so no key or reset token is ever stored.
"""

from typing import Any
from urllib.parse import urlencode

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from notifications.emails import EmailContent, email_builder_register
from notifications.models import NotificationType
from notifications.services import email_send

VERIFY_EMAIL = "accounts.verify_email"
PASSWORD_RESET = "accounts.password_reset"


def account_email_render(*, template_key: str, context: dict[str, Any], locale: str) -> EmailContent:
    """Subject, text body and HTML body of `accounts/emails/<template_key>/` in `locale`."""
    base = f"accounts/emails/{template_key}"
    with translation.override(locale):
        subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
        text = render_to_string(f"{base}/body.txt", context)
        html = render_to_string(f"{base}/body.html", context)
    return EmailContent(subject=subject, text=text, html=html)


def _render_for(user: User, template_key: str, context: dict[str, Any]) -> EmailContent:
    context = {"user": user, "site_url": settings.FRONTEND_URL.rstrip("/"), **context}
    return account_email_render(template_key=template_key, context=context, locale=user.locale)


def account_email_queue(*, user: User, builder: str, args: dict[str, Any] | None = None) -> None:
    """Queue one account email to `user` (after commit, through the Delivery pipeline)."""
    template_key = builder.removeprefix("accounts.")
    with translation.override(user.locale):
        title = " ".join(render_to_string(f"accounts/emails/{template_key}/subject.txt", {"user": user}).split())
    email_send(
        user=user,
        type=NotificationType.SYSTEM,
        template_key=template_key,
        title=title,
        builder=builder,
        args={"user_id": str(user.pk), **(args or {})},
    )


def verification_email_build(args: dict[str, Any]) -> EmailContent | None:
    """The verification key of the user's primary address; None once verified or gone."""
    user = User.objects.filter(pk=args["user_id"], is_active=True).first()
    if user is None:
        return None
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).first()
    if address is None:
        return None
    return _render_for(user, "verify_email", {"key": EmailConfirmationHMAC(address).key})


def password_reset_email_build(args: dict[str, Any]) -> EmailContent | None:
    """A password-reset link (Django's token generator: dies once the password changes). It opens
    the app (with the uid + token to type in) or, given `portal_url`, allauth's reset page."""
    user = User.objects.filter(pk=args["user_id"], is_active=True).first()
    if user is None:
        return None
    token = default_token_generator.make_token(user)
    portal_url = args.get("portal_url", "")
    if portal_url:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": token})
        context = {"reset_url": portal_url.rstrip("/") + path}
    else:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        query = urlencode({"uid": uid, "token": token})
        context = {
            "uid": uid,
            "token": token,
            "reset_url": f"{settings.FRONTEND_URL.rstrip('/')}/reset-password?{query}",
        }
    return _render_for(user, "password_reset", context)


email_builder_register(VERIFY_EMAIL, verification_email_build)
email_builder_register(PASSWORD_RESET, password_reset_email_build)
