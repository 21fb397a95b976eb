"""`/ws/notifications?token=`: new notifications of the signed-in user, live."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.sockets import CLOSE_UNAUTHENTICATED, UserSocketMixin
from notifications.events import NotificationFrame


class NotificationConsumer(UserSocketMixin, AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if self.scope.get("auth_failed") or user is None or not user.is_authenticated:
            # Accept then close, as the chat socket does: a close before the handshake reaches a
            # real client only as an HTTP 403, so the app could not tell "refresh your token" apart.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # The user's group is also where notifications are sent (core.effects.user_group).
        await self.join_user_group(user)
        await self.accept()

    async def disconnect(self, code):
        await self.leave_user_group()

    async def receive_json(self, content, **kwargs):
        # The stream is server -> client only: what the client sends is ignored, but a frame after
        # the token's expiry closes the socket.
        await self.frame_allowed()

    async def notification_created(self, event):
        frame: NotificationFrame = {"type": "notification", "notification": event["notification"]}
        await self.send_json(frame)
