"""Task names of the previous release, kept for one release so that emails it queued before a
rolling deploy still go out: each hands over to the Delivery pipeline (`accounts.emails`).
Delete this module in the release after."""

from typing import Any

from celery import shared_task
from django.core.management import call_command

from accounts.emails import PASSWORD_RESET, VERIFY_EMAIL, account_email_queue
from accounts.models import User


@shared_task
def send_verification_email(user_id: Any) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    account_email_queue(user=user, builder=VERIFY_EMAIL)
    return True


@shared_task
def send_password_reset_email(user_id: Any, portal_url: str = "") -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    account_email_queue(user=user, builder=PASSWORD_RESET, args={"portal_url": portal_url})
    return True


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def tokens_flush_expired_task() -> None:
    """Daily (beat): simplejwt's flushexpiredtokens drops refresh tokens past their expiry from the
    outstanding list, and their blacklist rows with them (idempotent). A token past its expiry is
    refused on its own, so forgetting it changes no answer."""
    call_command("flushexpiredtokens")
