"""Reads of the accounts app shared by services and views."""

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.errors import AccountsErrorCode
from accounts.models import Relative, User
from core.exceptions import NotFoundError, PermissionDeniedError


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


def relatives_of(*, user: User) -> QuerySet[Relative]:
    """The account's relatives (removed ones excluded), oldest first."""
    return Relative.objects.filter(user=user, removed_at__isnull=True).order_by("created_at", "id")


def relative_list_for_user(*, user: User) -> QuerySet[Relative]:
    """`/patients/me/relatives`: a patient's own relatives (403 for other roles)."""
    if not user.is_patient:
        raise PermissionDeniedError(_("Only patients book for relatives."), code=AccountsErrorCode.NOT_A_PATIENT)
    return relatives_of(user=user)


def relative_get_for_user(*, user: User, relative_id: Any, lock: bool = False) -> Relative:
    """One of the account's relatives, else 404 (someone else's is not found either). With `lock`,
    the row is locked for the caller's transaction."""
    relatives = relatives_of(user=user)
    if lock:
        relatives = relatives.select_for_update()
    relative = relatives.filter(pk=relative_id).first()
    if relative is None:
        raise NotFoundError(_("Not found."), code=AccountsErrorCode.NOT_FOUND)
    return relative
