"""WebSocket authentication: a JWT access token in `?token=`, else the Django session (portal).

Origin rule (API.md, Conventions): native apps send no `Origin` on their sockets, and a token is
not something a foreign page can ride on, so a socket that carries `?token=` is never
origin-checked (a bad token still closes with 4401 in the consumer). A socket that would be
authenticated by the session cookie is the browser's, and the cookie goes along to any site's
socket: it must come from an allowed origin (ALLOWED_HOSTS or CSRF_TRUSTED_ORIGINS), else it is
refused before the handshake completes (cross-site WebSocket hijacking).
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def user_from_token(raw_token: str):
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw_token)
        user = auth.get_user(validated)
    except (InvalidToken, TokenError, Exception):
        return None
    return user if user.is_active else None


def query_token(scope) -> str:
    query = parse_qs(scope.get("query_string", b"").decode())
    return (query.get("token") or [""])[0]


class _TokenOrSessionAuth(AuthMiddleware):
    async def resolve_scope(self, scope):
        token = query_token(scope)
        if token:
            user = await user_from_token(token)
            scope["user"]._wrapped = user or AnonymousUser()
            scope["auth_failed"] = user is None
            return
        await super().resolve_scope(scope)


class SessionSocketOriginValidator(OriginValidator):
    """Origin check for session-cookie sockets only; token sockets pass whatever their Origin."""

    def __init__(self, application):
        self.application = application

    @property
    def allowed_origins(self) -> list[str]:
        # Read at connect time, not import time, so the settings in force are the ones checked.
        return [*settings.ALLOWED_HOSTS, *settings.CSRF_TRUSTED_ORIGINS]

    async def __call__(self, scope, receive, send):
        if query_token(scope):
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)


def WebSocketAuthMiddleware(inner):  # noqa: N802 - mirrors channels' AuthMiddlewareStack
    return SessionSocketOriginValidator(CookieMiddleware(SessionMiddleware(_TokenOrSessionAuth(inner))))
