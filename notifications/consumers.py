"""`/ws/notifications?token=`: new notifications of the signed-in user, live."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.effects import user_group
from notifications.events import NotificationFrame

CLOSE_UNAUTHORIZED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if self.scope.get("auth_failed") or user is None or not user.is_authenticated:
            # Accept then close, as the chat socket does: a close before the handshake reaches a
            # real client only as an HTTP 403, so the app could not tell "refresh your token" apart.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The stream is server -> client only; anything the client sends is ignored.
        return

    async def notification_created(self, event):
        frame: NotificationFrame = {"type": "notification", "notification": event["notification"]}
        await self.send_json(frame)
