"""The one entry point every app uses to tell a user something."""

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from core.effects import broadcast, user_group
from notifications.events import notification_event
from notifications.models import Notification


def notification_render(*, template_key: str, context: dict[str, Any], locale: str) -> tuple[str, str]:
    """Title and body of `template_key` in `locale`, from `notifications/<key>/{title,body}.txt`."""
    with translation.override(locale):
        title = render_to_string(f"notifications/{template_key}/title.txt", context).strip()
        body = render_to_string(f"notifications/{template_key}/body.txt", context).strip()
    return title, body


def notification_send(*, user, type: str, template_key: str, context: dict[str, Any] | None = None,
                      data: dict[str, Any] | None = None) -> Notification:
    """Store an in-app notification for `user` in their locale and push it to their open sockets
    once the transaction commits."""
    title, body = notification_render(template_key=template_key, context=context or {}, locale=user.locale)
    notification = Notification.objects.create(
        user=user, type=type, template_key=template_key, title=title[:200], body=body, data=data or {}
    )
    broadcast([user_group(user.pk)], notification_event(notification))
    return notification
