"""Account emails as Celery tasks: they take ids, rebuild the secret link at send time, and retry
with exponential backoff when the mail server is unreachable."""

from smtplib import SMTPException
from uuid import UUID

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from celery import shared_task
from django.contrib.auth.tokens import default_token_generator
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
def send_password_reset_email(user_id: str | UUID) -> bool:
    """Email a password-reset uid + token (Django's token generator: dies once the password changes)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    context = {"uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}
    account_email_send(user=user, template_key="password_reset", context=context)
    return True
