from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFoundError
from notifications.models import Device, Notification


def notification_list(*, user: Any, is_read: bool | None = None, type: str | None = None) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first."""
    notifications = Notification.objects.filter(user=user, in_app=True)
    if is_read is not None:
        notifications = notifications.filter(is_read=is_read)
    if type:
        notifications = notifications.filter(type=type)
    return notifications


def notification_unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, in_app=True, is_read=False).count()


def notification_get_for_user(*, user: Any, id: Any) -> Notification:
    notification = Notification.objects.filter(user=user, in_app=True, pk=id).first()
    if notification is None:
        raise NotFoundError(_("Notification not found."), code="not_found")
    return notification


def device_get_for_user(*, user: Any, id: Any) -> Device:
    device = Device.objects.filter(user=user, pk=id).select_related("gcm_device", "webpush_device").first()
    if device is None:
        raise NotFoundError(_("Device not found."), code="not_found")
    return device
