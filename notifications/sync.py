"""What notifications contribute to the offline sync (`core.sync`).

TEMPORARY: the post_save/post_delete receivers below stand in until the notification services
(`notification_send`, mark read, mark all read, delete) call
`sync_record(users=[notification.user_id], resource="notifications", object_id=..., op=...)`
inside their transaction; a receiver misses queryset `.update()`/`.delete()` on querysets.
"""

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.models import SyncOp
from core.sync import register, sync_record
from notifications.events import notification_payload
from notifications.models import Notification

RESOURCE = "notifications"


def notifications_visible_to(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


register(RESOURCE, serialize=notification_payload, visible=notifications_visible_to)


@receiver(post_save, sender=Notification, dispatch_uid="notifications.sync.saved")
def _notification_saved(sender, instance: Notification, **kwargs) -> None:
    sync_record(users=[instance.user_id], resource=RESOURCE, object_id=instance.pk)


@receiver(post_delete, sender=Notification, dispatch_uid="notifications.sync.deleted")
def _notification_deleted(sender, instance: Notification, **kwargs) -> None:
    sync_record(users=[instance.user_id], resource=RESOURCE, object_id=instance.pk, op=SyncOp.DELETE)
