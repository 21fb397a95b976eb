"""Reads of the accounts app shared by services and views."""

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp

from accounts.models import User


def user_find_by_email(*, email: str, active_only: bool = False) -> User | None:
    """The user with this email whatever its case (emails are unique case-insensitively)."""
    users = User.objects.filter(email__iexact=email.strip())
    if active_only:
        users = users.filter(is_active=True)
    return users.first()


def social_account_find(*, provider: str, uid: str) -> SocialAccount | None:
    return SocialAccount.objects.select_related("user").filter(provider=provider, uid=uid).first()


def social_app_credentials(*, provider: str) -> tuple[str, str]:
    """`(client_id, secret)` of a provider configured as an allauth SocialApp in the admin."""
    app = SocialApp.objects.filter(provider=provider).order_by("pk").first()
    return (app.client_id, app.secret) if app else ("", "")


def user_totp_authenticator(*, user: User) -> Authenticator | None:
    """The user's TOTP authenticator (allauth MFA) when they enrolled one."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
