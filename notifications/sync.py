"""What notifications contribute to the offline sync (`core.sync`)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from core.models import SyncOp
from core.sync import register, sync_record
from notifications.events import notification_payload
from notifications.models import Notification

RESOURCE = "notifications"


def notifications_visible_to(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, in_app=True)


def notifications_sync_record(*, user_id: Any, notification_ids: Iterable[Any], op: str = SyncOp.UPSERT) -> None:
    """Log changed (or deleted) notifications of one user; call inside the writing transaction."""
    for notification_id in notification_ids:
        sync_record(users=[user_id], resource=RESOURCE, object_id=notification_id, op=op)


register(RESOURCE, serialize=notification_payload, visible=notifications_visible_to)
