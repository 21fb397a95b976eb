"""WebSocket authentication: a JWT access token in `?token=`, else the Django session (portal)."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware
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


class _TokenOrSessionAuth(AuthMiddleware):
    async def resolve_scope(self, scope):
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        if token:
            user = await user_from_token(token)
            scope["user"]._wrapped = user or AnonymousUser()
            scope["auth_failed"] = user is None
            return
        await super().resolve_scope(scope)


def WebSocketAuthMiddleware(inner):  # noqa: N802 - mirrors channels' AuthMiddlewareStack
    return CookieMiddleware(SessionMiddleware(_TokenOrSessionAuth(inner)))
