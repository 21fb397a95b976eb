"""Notifications: the one entry point every app uses to tell a user something, and what follows.

`notification_send` stores the notification and, after the transaction commits, pushes it to the
user's open sockets and hands email and push to Celery, each honouring the user's preferences.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from push_notifications.models import GCMDevice, WebPushDevice

from core import metrics
from core.effects import broadcast, enqueue_task, user_group
from core.exceptions import ApplicationError
from core.models import SyncOp
from notifications.emails import email_build, notification_email_render
from notifications.events import notification_event
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Device,
    DevicePlatform,
    Notification,
    NotificationPreference,
    NotificationType,
)
from notifications.preferences import DEFAULT_PREFERENCES, LOCKED_ON
from notifications.push import (
    PushOutcome,
    PushTransientError,
    push_send,
    web_subscription_parse,
    webpush_endpoint_resolves_publicly,
)
from notifications.sync import notifications_sync_record

logger = logging.getLogger(__name__)


class DeliveryRetry(Exception):
    """A delivery attempt failed in a way worth retrying; the task decides whether to retry."""


# --- Rendering and sending ------------------------------------------------------------------------


def notification_render(*, template_key: str, context: dict[str, Any], locale: str) -> tuple[str, str]:
    """Title and body of `template_key` in `locale`, from `notifications/<key>/{title,body}.txt`."""
    with translation.override(locale):
        title = render_to_string(f"notifications/{template_key}/title.txt", context).strip()
        body = render_to_string(f"notifications/{template_key}/body.txt", context).strip()
    return title, body


def notification_preferences_effective(*, user: Any, type: str) -> dict[str, bool]:
    """The user's channels for one notification type: their choices over the defaults."""
    channels = dict(DEFAULT_PREFERENCES[type])
    for channel, enabled in NotificationPreference.objects.filter(user=user, type=type).values_list(
        "channel", "enabled"
    ):
        channels[channel] = enabled or (type, channel) in LOCKED_ON
    return channels


def notification_send(
    *,
    user: Any,
    type: str,
    template_key: str,
    context: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Notification:
    """Notify `user`: render `notifications/<template_key>/{title,body}.txt` in their locale, store the
    notification, and after commit push it to their sockets and queue email/push per preferences.

    `type` is a NotificationType value; `data` (JSON) travels with the notification to the client
    (e.g. `{"appointment_id": "..."}`). An optional `notifications/<key>/email.html` gives the email
    a richer HTML body. Call it inside the transaction that made the change: nothing leaves the
    process unless it commits.
    """
    if type not in NotificationType.values:
        raise ValueError(f"Unknown notification type {type!r}")
    context = context or {}
    channels = notification_preferences_effective(user=user, type=type)
    title, body = notification_render(template_key=template_key, context=context, locale=user.locale)
    notification = Notification.objects.create(
        user=user,
        type=type,
        template_key=template_key,
        title=title[:200],
        body=body,
        data=data or {},
        in_app=channels[Channel.IN_APP],
    )
    if notification.in_app:
        broadcast([user_group(user.pk)], notification_event(notification))
        notifications_sync_record(user_id=user.pk, notification_ids=[notification.pk])

    from notifications import tasks  # tasks import this module

    if channels[Channel.EMAIL] and user.email and user.is_active:
        payload = notification_email_render(
            template_key=template_key, title=notification.title, body=body, context=context, locale=user.locale
        )
        delivery = Delivery.objects.create(notification=notification, channel=Channel.EMAIL, payload=payload)
        enqueue_task(tasks.notification_email_deliver, str(delivery.pk))
    if channels[Channel.PUSH] and Device.objects.filter(user=user, active=True).exists():
        delivery = Delivery.objects.create(notification=notification, channel=Channel.PUSH)
        enqueue_task(tasks.notification_push_deliver, str(delivery.pk))
    return notification


def email_send(*, user: Any, type: str, template_key: str, title: str, builder: str, args: dict[str, Any]) -> Delivery:
    """Email `user` something that is not shown in the app (account emails, receipts), through the
    same `Delivery` pipeline as notification emails: queued after commit, retried with backoff,
    visible to support. It goes out whatever the notification settings say.

    The content is built by the registered `builder` (`notifications.emails`) from the JSON `args`
    when it is sent, so a secret link or a PDF is never stored, and no caller sends mail while it
    holds a row lock. The notification row (`in_app=False`) carries the recipient and `title`.
    """
    from notifications import tasks  # tasks import this module

    notification = Notification.objects.create(
        user=user, type=type, template_key=template_key, title=title[:200], body="", in_app=False
    )
    delivery = Delivery.objects.create(
        notification=notification, channel=Channel.EMAIL, payload={"builder": builder, "args": args}
    )
    enqueue_task(tasks.notification_email_deliver, str(delivery.pk))
    return delivery


# --- Deliveries (called by the Celery tasks) ---------------------------------------------------------


def _delivery_attempt_failed(*, delivery: Delivery, error: str, final: bool) -> None:
    delivery.attempts += 1
    delivery.last_error = error[:2000]
    if final:
        delivery.status = DeliveryStatus.FAILED
        metrics.notification_failed(channel=delivery.channel)
        logger.error(
            "notification delivery failed for good",
            extra={
                "delivery_id": str(delivery.pk),
                "channel": delivery.channel,
                "attempts": delivery.attempts,
                "error": delivery.last_error,
            },
        )
    delivery.save(update_fields=["attempts", "last_error", "status", "payload", "updated_at"])


def _delivery_sent(*, delivery: Delivery) -> None:
    delivery.attempts += 1
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = timezone.now()
    delivery.save(update_fields=["attempts", "status", "sent_at", "last_error", "payload", "updated_at"])


def delivery_email_send(*, delivery_id: str, final_attempt: bool) -> None:
    """One attempt at an email delivery. Raises DeliveryRetry when the SMTP server failed and this
    was not the last attempt; a delivery already sent or failed is left alone (safe to run twice)."""
    delivery = (
        Delivery.objects.select_related("notification__user").filter(pk=delivery_id, channel=Channel.EMAIL).first()
    )
    if delivery is None or delivery.status != DeliveryStatus.QUEUED:
        return
    user = delivery.notification.user
    if "builder" in delivery.payload:
        content = email_build(name=delivery.payload["builder"], args=delivery.payload["args"])
        if content is None:
            _delivery_attempt_failed(delivery=delivery, error="nothing to send any more", final=True)
            return
        subject, text, html, attachments = content.subject, content.text, content.html, content.attachments
    else:
        subject, text, html = delivery.payload["subject"], delivery.payload["text"], delivery.payload["html"]
        attachments = ()
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )
    if html:
        message.attach_alternative(html, "text/html")
    for name, content_bytes, mimetype in attachments:
        message.attach(name, content_bytes, mimetype)
    try:
        message.send()
    except Exception as exc:  # smtplib errors, refused connections, timeouts
        _delivery_attempt_failed(delivery=delivery, error=f"{type(exc).__name__}: {exc}", final=final_attempt)
        if not final_attempt:
            raise DeliveryRetry(str(exc)) from exc
        return
    _delivery_sent(delivery=delivery)


def delivery_push_send(*, delivery_id: str, final_attempt: bool) -> None:
    """One attempt at a push delivery to each of the user's active devices. Devices already reached
    (kept in the payload) are skipped on a retry; a token the provider calls invalid is deactivated."""
    delivery = Delivery.objects.select_related("notification").filter(pk=delivery_id, channel=Channel.PUSH).first()
    if delivery is None or delivery.status != DeliveryStatus.QUEUED:
        return
    notification = delivery.notification
    reached: list[str] = list(delivery.payload.get("devices_reached", []))
    errors: list[str] = []
    devices = (
        Device.objects.filter(user_id=notification.user_id, active=True)
        .exclude(pk__in=reached)
        .select_related("gcm_device", "webpush_device")
    )
    data = {**notification.data, "notification_id": str(notification.pk), "type": notification.type}
    for device in devices:
        try:
            outcome = push_send(
                gcm_device=device.gcm_device,
                webpush_device=device.webpush_device,
                title=notification.title,
                body=notification.body,
                data=data,
            )
        except PushTransientError as exc:
            errors.append(str(exc))
            continue
        if outcome is PushOutcome.SENT:
            reached.append(str(device.pk))
        elif outcome is PushOutcome.INVALID:
            device.active = False
            device.deactivated_reason = "provider reported the token invalid"
            device.save(update_fields=["active", "deactivated_reason", "updated_at"])
        else:
            errors.append(f"{device.platform}: push provider not configured")
    delivery.payload = {**delivery.payload, "devices_reached": reached}
    if errors and not final_attempt:
        # Devices already reached are remembered in the payload: the retry tries only the others.
        _delivery_attempt_failed(delivery=delivery, error="; ".join(errors), final=False)
        raise DeliveryRetry("; ".join(errors))
    if not reached:
        error = "; ".join(errors) or "no device accepted the push (tokens invalid or unregistered)"
        _delivery_attempt_failed(delivery=delivery, error=error, final=True)
        return
    delivery.last_error = "; ".join(errors)[:2000]
    _delivery_sent(delivery=delivery)


# --- Reading state ------------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    if not notification.is_read:
        notification.is_read = True
        notification.read_at = timezone.now()
        notification.save(update_fields=["is_read", "read_at", "updated_at"])
        notifications_sync_record(user_id=notification.user_id, notification_ids=[notification.pk])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: Any) -> int:
    now = timezone.now()
    unread = Notification.objects.select_for_update().filter(user=user, in_app=True, is_read=False)
    unread_ids = list(unread.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=unread_ids).update(is_read=True, read_at=now, updated_at=now)
    notifications_sync_record(user_id=user.pk, notification_ids=unread_ids)
    return len(unread_ids)


@transaction.atomic
def notification_delete(*, notification: Notification) -> None:
    notifications_sync_record(user_id=notification.user_id, notification_ids=[notification.pk], op=SyncOp.DELETE)
    notification.delete()


# --- Preferences --------------------------------------------------------------------------------------


def notification_preferences_get(*, user: Any) -> dict[str, dict[str, bool]]:
    matrix = {type_: dict(channels) for type_, channels in DEFAULT_PREFERENCES.items()}
    for type_, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
        "type", "channel", "enabled"
    ):
        matrix[type_][channel] = enabled or (type_, channel) in LOCKED_ON
    return {
        str(type_): {str(channel): value for channel, value in channels.items()} for type_, channels in matrix.items()
    }


@transaction.atomic
def notification_preferences_update(
    *, user: Any, preferences: dict[str, dict[str, bool]]
) -> dict[str, dict[str, bool]]:
    """Set the given type/channel switches (others keep their value). Locked ones stay on."""
    for type_, channels in preferences.items():
        for channel, enabled in channels.items():
            if (type_, channel) in LOCKED_ON:
                continue
            NotificationPreference.objects.update_or_create(
                user=user, type=type_, channel=channel, defaults={"enabled": enabled}
            )
    return notification_preferences_get(user=user)


# --- Devices --------------------------------------------------------------------------------------------


def device_register(
    *,
    user: Any,
    platform: str,
    push_token: str | None = None,
    app_version: str = "",
    os_version: str = "",
    model: str = "",
    locale: str = "",
) -> tuple[Device, bool]:
    """Register or refresh a device; idempotent on `push_token`. A token registered by another user
    (the phone changed hands, or someone signed in) moves to this user. Returns (device, created).

    For `web`, `push_token` is the browser's `JSON.stringify(PushSubscription)`; its endpoint is the
    identity of the device.
    """
    subscription = web_subscription_parse(push_token) if push_token and platform == DevicePlatform.WEB else None
    # Resolved before any transaction opens: DNS may take seconds.
    if subscription is not None and not webpush_endpoint_resolves_publicly(subscription["endpoint"]):
        raise ApplicationError(
            _("This push service address cannot be reached."), code="push_endpoint_not_allowed", attr="push_token"
        )
    fields = {
        "user": user,
        "platform": platform,
        "push_token": push_token,
        "app_version": app_version,
        "os_version": os_version,
        "model": model,
        "locale": locale,
    }
    try:
        with transaction.atomic():
            return _device_register(**fields)
    except IntegrityError:
        # Two first registrations of one token raced; the other one created it, so refresh that.
        with transaction.atomic():
            return _device_register(**fields)


def _device_register(
    *, user: Any, platform: str, push_token: str | None, app_version: str, os_version: str, model: str, locale: str
) -> tuple[Device, bool]:
    subscription = None
    token = push_token or None
    if token and platform == DevicePlatform.WEB:
        subscription = web_subscription_parse(token)
        if subscription is None:
            raise ApplicationError(
                _("A web push token must be a push subscription of a known push service, with its keys."),
                code="invalid_push_token",
                attr="push_token",
            )
        token = subscription["endpoint"]
    fields = {
        "user": user,
        "platform": platform,
        "app_version": app_version,
        "os_version": os_version,
        "model": model,
        "locale": locale,
        "active": True,
        "deactivated_reason": "",
    }
    device = Device.objects.select_for_update().filter(push_token=token).first() if token else None
    created = device is None
    if device is None:
        device = Device(push_token=token, **fields)
    else:
        for name, value in fields.items():
            setattr(device, name, value)
    if token and platform in (DevicePlatform.ANDROID, DevicePlatform.IOS):
        _provider_device_delete(device.webpush_device)
        device.webpush_device = None
        gcm = device.gcm_device or GCMDevice(cloud_message_type="FCM")
        gcm.user, gcm.registration_id, gcm.name, gcm.active = user, token, model[:255], True
        gcm.save()
        device.gcm_device = gcm
    elif subscription is not None:
        _provider_device_delete(device.gcm_device)
        device.gcm_device = None
        web = device.webpush_device or WebPushDevice()
        web.user, web.registration_id, web.name, web.active = user, subscription["endpoint"], model[:255], True
        web.p256dh, web.auth = subscription["p256dh"], subscription["auth"]
        web.save()
        device.webpush_device = web
    device.save()
    return device, created


def _provider_device_delete(provider_device: Any) -> None:
    if provider_device is not None:
        provider_device.delete()


@transaction.atomic
def device_unregister(*, device: Device) -> None:
    for provider_device in (device.gcm_device, device.webpush_device):
        _provider_device_delete(provider_device)
    device.delete()
