"""Account emails as Celery tasks: they take ids, rebuild the secret link at send time, and retry
with exponential backoff when the mail server is unreachable."""

from smtplib import SMTPException
from urllib.parse import urlencode
from uuid import UUID

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.emails import account_email_send
from accounts.models import User

RETRY_POLICY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(**RETRY_POLICY)
def send_verification_email(user_id: str | UUID) -> bool:
    """Email the verification key of the user's primary address (no-op once verified or gone)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).first()
    if address is None:
        return False
    key = EmailConfirmationHMAC(address).key
    account_email_send(user=user, template_key="verify_email", context={"key": key})
    return True


@shared_task(**RETRY_POLICY)
def send_password_reset_email(user_id: str | UUID, portal_url: str = "") -> bool:
    """Email a password-reset link (Django's token generator: dies once the password changes). It
    opens the app (with the uid + token to type in) or, given `portal_url`, allauth's reset page."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    token = default_token_generator.make_token(user)
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
    account_email_send(user=user, template_key="password_reset", context=context)
    return True


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def tokens_flush_expired_task() -> None:
    """Daily (beat): simplejwt's flushexpiredtokens drops refresh tokens past their expiry from the
    outstanding list, and their blacklist rows with them (idempotent). A token past its expiry is
    refused on its own, so forgetting it changes no answer."""
    call_command("flushexpiredtokens")
