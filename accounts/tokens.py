"""JWT pairs (simplejwt): issue, rotate, revoke. Refresh tokens are tracked as OutstandingToken rows
so one of them, or all of a user's, can be blacklisted."""

from typing import TypedDict

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.errors import AccountsErrorCode
from accounts.models import User
from core.exceptions import ApplicationError


class TokenPair(TypedDict):
    access: str
    refresh: str


def _token_error() -> ApplicationError:
    return ApplicationError(_("Token is invalid or expired."), code=AccountsErrorCode.TOKEN_NOT_VALID, status=401)


def _active_user_of(token) -> User:
    user_id = token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise _token_error()
    return user


def token_pair_issue(*, user: User) -> TokenPair:
    """A fresh access + refresh pair for `user` (the refresh is recorded as outstanding)."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_pair_rotate(*, refresh: str) -> TokenPair:
    """Trade a refresh token for a new pair; the old refresh is blacklisted (reuse -> 401)."""
    try:
        old = RefreshToken(refresh)
    except TokenError as error:
        raise _token_error() from error
    user = _active_user_of(old)
    # get_or_create on a unique row: of two concurrent rotations of the same token, one loses.
    _blacklisted, created = old.blacklist()
    if not created:
        raise _token_error()
    return token_pair_issue(user=user)


def token_revoke(*, refresh: str) -> User:
    """Blacklist one refresh token (logout). Returns its user."""
    try:
        token = RefreshToken(refresh)
    except TokenError as error:
        raise _token_error() from error
    user = _active_user_of(token)
    token.blacklist()
    return user


def token_revoke_all(*, user: User) -> int:
    """Blacklist every refresh token of `user` still outstanding. Returns how many were revoked."""
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=outstanding) for outstanding in pending], ignore_conflicts=True
    )
    return len(revoked)


def access_token_user(*, token: str) -> User:
    """The active user an access token belongs to; 401 if the token is bad, expired or theirs is gone."""
    try:
        access = AccessToken(token)
    except TokenError as error:
        raise _token_error() from error
    return _active_user_of(access)
