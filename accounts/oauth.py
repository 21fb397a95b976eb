"""Verifying what Google and Facebook hand the app, before we trust any identity in it.

Google: the ID token's RS256 signature against Google's JWKS (settings.GOOGLE_JWKS_URL), audience =
our client id, issuer, expiry, verified email. Facebook: the access token through the Graph API's
`debug_token` for our app id, then `/me` for the profile. Both answer a `SocialIdentity`.
"""

import hashlib
import hmac
from functools import lru_cache

import jwt
import requests
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.errors import AccountsErrorCode
from accounts.selectors import social_app_credentials
from accounts.services import SocialIdentity
from core.exceptions import ApplicationError

GOOGLE_ISSUERS = ["accounts.google.com", "https://accounts.google.com"]
HTTP_TIMEOUT_SECONDS = 5
MAX_TOKEN_LENGTH = 8192


def _invalid_token() -> ApplicationError:
    return ApplicationError(
        _("The sign-in token was rejected."), code=AccountsErrorCode.SOCIAL_TOKEN_INVALID, status=401
    )


def _unavailable() -> ApplicationError:
    return ApplicationError(
        _("The sign-in provider could not be reached. Please try again."),
        code=AccountsErrorCode.SOCIAL_PROVIDER_UNAVAILABLE,
        status=503,
    )


def _not_configured() -> ApplicationError:
    return ApplicationError(
        _("This sign-in method is not available."), code=AccountsErrorCode.SOCIAL_PROVIDER_NOT_CONFIGURED, status=400
    )


@lru_cache(maxsize=4)
def _google_jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL: it caches Google's keys (they rotate rarely) between requests.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=HTTP_TIMEOUT_SECONDS)


def _credentials(provider: str, client_id: str, secret: str = "") -> tuple[str, str]:
    """Settings first, else an allauth SocialApp configured by staff in the admin."""
    if client_id:
        return client_id, secret
    return social_app_credentials(provider=provider)


def google_identity_verify(*, id_token: str) -> SocialIdentity:
    client_id, _secret = _credentials("google", settings.GOOGLE_CLIENT_ID)
    if not client_id:
        raise _not_configured()
    if len(id_token) > MAX_TOKEN_LENGTH:
        raise _invalid_token()
    try:
        signing_key = _google_jwks_client(settings.GOOGLE_JWKS_URL).get_signing_key_from_jwt(id_token)
    except jwt.PyJWKClientConnectionError as error:
        raise _unavailable() from error
    except (jwt.PyJWKClientError, jwt.InvalidTokenError) as error:
        raise _invalid_token() from error
    try:
        claims = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=["RS256"],
            audience=client_id,
            issuer=GOOGLE_ISSUERS,
            leeway=30,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.InvalidTokenError as error:
        raise _invalid_token() from error
    verified = claims.get("email_verified") in (True, "true")
    return SocialIdentity(
        provider="google",
        uid=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        email_verified=verified,
        first_name=str(claims.get("given_name") or ""),
        last_name=str(claims.get("family_name") or ""),
        extra_data={
            key: claims[key] for key in ("sub", "email", "email_verified", "name", "picture", "hd") if key in claims
        },
    )


def _graph_get(path: str, params: dict[str, str]) -> dict:
    url = f"{settings.FACEBOOK_GRAPH_URL.rstrip('/')}/{path}"
    try:
        response = requests.get(url, params=params, timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise _unavailable() from error
    if response.status_code >= 500:
        raise _unavailable()
    try:
        body = response.json()
    except ValueError as error:
        raise _unavailable() from error
    if response.status_code != 200 or not isinstance(body, dict) or "error" in body:
        raise _invalid_token()
    return body


def facebook_identity_verify(*, access_token: str) -> SocialIdentity:
    app_id, app_secret = _credentials("facebook", settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET)
    if not app_id or not app_secret:
        raise _not_configured()
    if len(access_token) > MAX_TOKEN_LENGTH:
        raise _invalid_token()
    debug = _graph_get("debug_token", {"input_token": access_token, "access_token": f"{app_id}|{app_secret}"})
    data = debug.get("data")
    if not isinstance(data, dict) or data.get("is_valid") is not True or str(data.get("app_id")) != str(app_id):
        raise _invalid_token()
    user_id = str(data.get("user_id") or "")
    if not user_id:
        raise _invalid_token()
    proof = hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
    me = _graph_get(
        "me", {"fields": "id,email,first_name,last_name", "access_token": access_token, "appsecret_proof": proof}
    )
    if str(me.get("id")) != user_id:
        raise _invalid_token()
    # Never trusted as verified (allauth does the same): Facebook may hand out an address its user
    # has not confirmed, and trusting it would link the identity to whoever owns that address here.
    email = str(me.get("email") or "")
    return SocialIdentity(
        provider="facebook",
        uid=user_id,
        email=email,
        email_verified=False,
        first_name=str(me.get("first_name") or ""),
        last_name=str(me.get("last_name") or ""),
        extra_data={key: me[key] for key in ("id", "email", "first_name", "last_name") if key in me},
    )


PROVIDERS = {
    "google": ("id_token", google_identity_verify),
    "facebook": ("access_token", facebook_identity_verify),
}
