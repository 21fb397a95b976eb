"""What every WebSocket consumer shares: the user's group, revocation, token expiry, frame rate.

Each socket joins its user's group (`core.effects.user_group`), so a service can close every open
socket of one user after commit (logout, password change or reset, erasure, token reuse) with
`user_sockets_close`. A socket opened with an access token also stops at that token's expiry: a frame
arriving later closes it (the client reconnects with a fresh token). Frames count against a
per-account rate shared by all of that user's sockets.
"""

import time
from typing import Any, Literal, TypedDict
from urllib.parse import parse_qs

import jwt
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from core.effects import broadcast, user_group
from core.throttles import account_rate_allows

# The client must authenticate again (the close code our sockets already use for a bad token).
CLOSE_UNAUTHENTICATED = 4401
SOCKETS_CLOSE_EVENT = "user.sockets_close"


class ThrottledFrame(TypedDict):
    """Sent instead of handling a frame over the account's rate; the frame is dropped."""

    type: Literal["error"]
    code: Literal["throttled"]
    detail: str


def user_sockets_close(*, user_id: Any) -> None:
    """Close every open socket of one user, once the surrounding transaction commits."""
    broadcast([user_group(user_id)], {"type": SOCKETS_CLOSE_EVENT})


def access_token_expiry(scope) -> float | None:
    """Unix expiry of the `?token=` the socket was opened with (the auth middleware already checked
    its signature and expiry); None for a session socket."""
    token = (parse_qs(scope.get("query_string", b"").decode()).get("token") or [""])[0]
    if not token:
        return None
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.InvalidTokenError:
        return 0.0
    return float(exp) if isinstance(exp, int | float) else 0.0


class UserSocketMixin:
    """For AsyncJsonWebsocketConsumer subclasses. Call `join_user_group(user)` before accepting,
    `leave_user_group()` on disconnect, and `frame_allowed()` at the top of `receive`."""

    frame_scope: str = "socket_frame"
    _user_group: str | None = None
    _token_expiry: float | None = None
    _socket_user_id: Any = None

    async def dispatch(self, message) -> None:
        """Channels' `AsyncConsumer.dispatch` without its `aclose_old_connections()` before every
        event. That call runs in the one thread Channels keeps for thread-sensitive work, so every
        frame and every group event of every socket of the process queued for that thread in turn
        (at 1,000 sockets and 100 messages/s, seconds of delivery latency: bench/README.md). Nothing
        here leaves a connection in that thread: all our database work runs through
        `database_sync_to_async`, which closes the calling thread's connections before and after."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join_user_group(self, user) -> None:
        self._socket_user_id = user.pk
        self._token_expiry = access_token_expiry(self.scope)
        self._user_group = user_group(user.pk)
        await self.channel_layer.group_add(self._user_group, self.channel_name)

    async def leave_user_group(self) -> None:
        if self._user_group is not None:
            await self.channel_layer.group_discard(self._user_group, self.channel_name)

    async def frame_allowed(self) -> bool:
        """Whether to handle the frame that just arrived: not after the token's expiry (the socket is
        closed), nor over the account's frame rate (an error frame answers, the frame is dropped)."""
        if self._token_expiry is not None and time.time() >= self._token_expiry:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        allowed = await database_sync_to_async(account_rate_allows, thread_sensitive=False)(
            scope=self.frame_scope, account_id=self._socket_user_id
        )
        if not allowed:
            frame: ThrottledFrame = {
                "type": "error",
                "code": "throttled",
                "detail": _("Too many frames. Slow down and try again."),
            }
            await self.send_json(frame)
        return allowed

    async def user_sockets_close(self, event) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)
