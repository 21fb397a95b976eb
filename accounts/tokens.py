"""JWT pairs (simplejwt): issue, rotate, revoke. Refresh tokens are tracked as OutstandingToken rows
so one of them, or all of a user's, can be blacklisted.

Each access token names the refresh token it was issued with (`REFRESH_JTI_CLAIM`), so a password
change can keep the caller's own refresh token alive and revoke every other one.
"""

import time
from typing import TypedDict

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.errors import AccountsErrorCode
from accounts.models import User
from core.exceptions import ApplicationError
from core.services import audit_record
from core.sockets import user_sockets_close

REFRESH_JTI_CLAIM = "rjti"


class TokenPair(TypedDict):
    access: str
    refresh: str


def _token_error() -> ApplicationError:
    return ApplicationError(_("Token is invalid or expired."), code=AccountsErrorCode.TOKEN_NOT_VALID, status=401)


def _active_user_of(token) -> User:
    user_id = token.get(jwt_settings.USER_ID_CLAIM)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise _token_error()
    return user


def token_pair_issue(*, user: User) -> TokenPair:
    """A fresh access + refresh pair for `user` (the refresh is recorded as outstanding)."""
    refresh = RefreshToken.for_user(user)
    access = refresh.access_token
    access[REFRESH_JTI_CLAIM] = refresh[jwt_settings.JTI_CLAIM]
    return {"access": str(access), "refresh": str(refresh)}


def _rotated_key(jti: str) -> str:
    return f"auth:rotated-refresh:{jti}"


def _refresh_reused(refresh: str) -> User | None:
    """The user of a genuine, unexpired refresh token that was already rotated, else None.

    Only rotation counts: a token revoked by a logout or a password change elsewhere is just dead,
    and presenting it must not log out the device that changed the password."""
    try:
        # Signature and expiry checked, the blacklist deliberately not: that is what we look at.
        payload = token_backend.decode(refresh, verify=True)
    except TokenBackendError:
        return None
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != RefreshToken.token_type:
        return None
    jti = payload.get(jwt_settings.JTI_CLAIM)
    if not isinstance(jti, str) or not cache.get(_rotated_key(jti)):
        return None
    return User.objects.filter(pk=payload.get(jwt_settings.USER_ID_CLAIM)).first()


def token_pair_rotate(*, refresh: str) -> TokenPair:
    """Trade a refresh token for a new pair; the old refresh is blacklisted.

    Presenting a refresh token that was already rotated means two parties hold it, one of them a
    thief (OAuth 2.0 Security BCP, refresh token rotation): every refresh token of the user is
    revoked and their sockets closed, so both must sign in again. Which tokens were rotated is
    remembered in the cache (Redis in production) until they would have expired anyway."""
    try:
        old = RefreshToken(refresh)
    except TokenError as error:
        reused_by = _refresh_reused(refresh)
        if reused_by is not None:
            _family_revoke(user=reused_by)
        raise _token_error() from error
    user = _active_user_of(old)
    # get_or_create on a unique row: of two concurrent rotations of the same token, one loses.
    _blacklisted, created = old.blacklist()
    if not created:
        _family_revoke(user=user)
        raise _token_error()
    remaining = int(old["exp"] - time.time()) + 1
    cache.set(_rotated_key(old[jwt_settings.JTI_CLAIM]), True, timeout=max(remaining, 1))
    return token_pair_issue(user=user)


@transaction.atomic
def _family_revoke(*, user: User) -> None:
    revoked = user_access_revoke(user=user)
    audit_record(action="auth.refresh_reuse", actor=None, target=user, data={"revoked_tokens": revoked})


def user_access_revoke(*, user: User, keep_refresh_jti: str | None = None) -> int:
    """Sign the user out everywhere (but the caller's own refresh token `keep_refresh_jti`): every
    refresh token revoked, every open socket closed after commit. Access tokens die by themselves
    within JWT_ACCESS_MINUTES; Django sessions end with a password change (their auth hash) or
    deactivation. Returns how many refresh tokens were revoked."""
    revoked = token_revoke_all(user=user, keep_jti=keep_refresh_jti)
    user_sockets_close(user_id=user.pk)
    return revoked


def token_revoke(*, refresh: str) -> User:
    """Blacklist one refresh token (logout) and close the user's open sockets. Returns its user."""
    try:
        token = RefreshToken(refresh)
    except TokenError as error:
        raise _token_error() from error
    user = _active_user_of(token)
    token.blacklist()
    user_sockets_close(user_id=user.pk)
    return user


def token_revoke_all(*, user: User, keep_jti: str | None = None) -> int:
    """Blacklist every refresh token of `user` still outstanding (but `keep_jti`, the caller's own).
    Returns how many were revoked."""
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    if keep_jti:
        pending = pending.exclude(jti=keep_jti)
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


def access_token_refresh_jti(access) -> str | None:
    """The jti of the refresh token an (already validated) access token was issued with."""
    jti = access.get(REFRESH_JTI_CLAIM) if access is not None else None
    return jti if isinstance(jti, str) else None
