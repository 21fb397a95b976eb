"""Socket frames of the notifications stream, declared once."""

from typing import Any, TypedDict

from notifications.models import Notification


class NotificationPayload(TypedDict):
    id: str
    type: str
    title: str
    body: str
    data: dict[str, Any]
    is_read: bool
    created_at: str


class NotificationFrame(TypedDict):
    type: str  # "notification"
    notification: NotificationPayload


def notification_payload(notification: Notification) -> NotificationPayload:
    return {
        "id": str(notification.id),
        "type": notification.type,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "is_read": notification.is_read,
        "created_at": notification.created_at.isoformat().replace("+00:00", "Z"),
    }


def notification_event(notification: Notification) -> dict[str, Any]:
    """Channel-layer event: consumers handle `notification.created` and send a NotificationFrame."""
    return {"type": "notification.created", "notification": notification_payload(notification)}
