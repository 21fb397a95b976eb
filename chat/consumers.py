"""The chat socket `/ws/chat/{thread_id}?token=`: frames of chat/events.py, writes through chat.services."""

import asyncio
import functools
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from chat import events, selectors, services
from chat.presence import PRESENCE_TTL, presence_join, presence_leave, presence_touch
from core.exceptions import ApplicationError
from core.sockets import CLOSE_UNAUTHENTICATED, UserSocketMixin

logger = logging.getLogger(__name__)

# Frames of one socket are handled one at a time, but different sockets need not queue behind a
# single DB thread: each worker thread has its own connection, so sends of many threads overlap.
in_worker = functools.partial(database_sync_to_async, thread_sensitive=False)

CLOSE_FORBIDDEN = 4403


class ChatConsumer(UserSocketMixin, AsyncJsonWebsocketConsumer):
    thread = None
    group = None
    _presence_task = None

    async def connect(self):
        user = self.scope.get("user")
        if self.scope.get("auth_failed") or user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        self.thread = await database_sync_to_async(self._load_thread)(thread_id)
        if self.thread is None:
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.group = events.thread_group(self.thread.pk)
        # Join before accepting: once the client sees the handshake, nothing sent to the thread is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.join_user_group(self.user)
        await in_worker(presence_join)(thread_id=self.thread.pk, user_id=self.user.pk)
        self._presence_task = asyncio.ensure_future(self._keep_presence())
        await self.accept()

    async def _refuse(self, code: int) -> None:
        # Accept then close so the client sees our close code; a close before the handshake only
        # reaches it as an HTTP 403 without any reason.
        await self.accept()
        await self.close(code=code)

    def _load_thread(self, thread_id):
        try:
            return selectors.thread_get_for_user(user=self.user, thread_id=thread_id)
        except ApplicationError:
            return None

    async def disconnect(self, code):
        if self.group is None:
            return
        if self._presence_task is not None:
            self._presence_task.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.leave_user_group()
        await in_worker(presence_leave)(thread_id=self.thread.pk, user_id=self.user.pk)

    async def _keep_presence(self):
        while True:
            await asyncio.sleep(PRESENCE_TTL / 3)
            await in_worker(presence_touch)(thread_id=self.thread.pk, user_id=self.user.pk)

    # --- client -> server --------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.group is None or not await self.frame_allowed():
            return
        try:
            content = json.loads(text_data or "")
        except (TypeError, ValueError):
            await self.send_json(events.error_frame("invalid_json", _("Frames must be JSON objects.")))
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        handlers = {"message": self._on_message, "read": self._on_read, "typing": self._on_typing}
        handler = handlers.get(content.get("type")) if isinstance(content, dict) else None
        if handler is None:
            await self.send_json(events.error_frame("unknown_frame", _("Unknown frame type.")))
            return
        try:
            await handler(content)
        except ApplicationError as error:
            await self.send_json(events.error_frame(str(error.code), error.message))
        except Exception:
            logger.exception("chat frame failed", extra={"thread_id": str(self.thread.pk)})
            await self.send_json(events.error_frame("server_error", _("The frame could not be processed.")))

    async def _on_message(self, content: events.MessageIn) -> None:
        body, client_id = content.get("body", ""), content.get("client_id")
        if not isinstance(body, str) or not (client_id is None or isinstance(client_id, str | int)):
            await self.send_json(events.error_frame("invalid_frame", _("body must be text.")))
            return
        # The broadcast to the thread happens inside, after commit, before we ack.
        message, _created = await in_worker(services.message_send)(
            thread=self.thread, sender=self.user, body=body, client_id=None if client_id is None else str(client_id)
        )
        await self.send_json(events.ack_frame(message))

    async def _on_read(self, content: events.ReadIn) -> None:
        up_to = content.get("up_to")
        if not isinstance(up_to, str):
            await self.send_json(events.error_frame("invalid_frame", _("up_to must be a message id.")))
            return
        try:
            await in_worker(services.message_mark_read)(thread=self.thread, reader=self.user, up_to=up_to)
        except Exception as error:
            if isinstance(error, ApplicationError):
                raise
            # A malformed id is a bad frame, not a crash.
            raise ApplicationError(_("Message not found."), code="message_not_found") from error

    async def _on_typing(self, content: events.TypingIn) -> None:
        # Typing is ephemeral: not stored, so nothing to wait for a commit on.
        await self.channel_layer.group_send(self.group, events.typing_event(events.typing_frame(self.user.pk)))

    # --- channel-layer events -> frames ---------------------------------------------------------
    async def chat_message(self, event):
        await self.send_json(event["frame"])

    async def chat_read(self, event):
        await self.send_json(event["frame"])

    async def chat_typing(self, event):
        if event["frame"]["user_id"] != str(self.user.pk):
            await self.send_json(event["frame"])

    async def notification_created(self, event):
        """Pushed to the user's group for the notifications socket; this socket is in that group only
        to be closed on revocation, so it ignores them (channels would otherwise fail the socket)."""
