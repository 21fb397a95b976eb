"""Notifications: the one entry point every app uses to tell a user something, and what follows.

`notification_send` stores the notification and, after the transaction commits, pushes it to the
user's open sockets and hands email and push to Celery, each honouring the user's preferences.
"""

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from push_notifications.models import GCMDevice, WebPushDevice

from core import metrics
from core.effects import broadcast, enqueue_task, user_group
from core.exceptions import ApplicationError
from core.models import SyncOp
from notifications.emails import notification_email_render
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
    ReminderKind,
    ReminderSent,
)
from notifications.preferences import DEFAULT_PREFERENCES, LOCKED_ON
from notifications.push import PushOutcome, PushTransientError, push_send, web_subscription_parse
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


def notification_preferences_effective(*, user, type: str) -> dict[str, bool]:
    """The user's channels for one notification type: their choices over the defaults."""
    channels = dict(DEFAULT_PREFERENCES[type])
    for channel, enabled in NotificationPreference.objects.filter(user=user, type=type).values_list(
        "channel", "enabled"
    ):
        channels[channel] = enabled or (type, channel) in LOCKED_ON
    return channels


def notification_send(
    *, user, type: str, template_key: str, context: dict[str, Any] | None = None, data: dict[str, Any] | None = None
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
    message = EmailMultiAlternatives(
        subject=delivery.payload["subject"],
        body=delivery.payload["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(delivery.payload["html"], "text/html")
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
def notification_mark_all_read(*, user) -> int:
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


def notification_preferences_get(*, user) -> dict[str, dict[str, bool]]:
    matrix = {type_: dict(channels) for type_, channels in DEFAULT_PREFERENCES.items()}
    for type_, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
        "type", "channel", "enabled"
    ):
        matrix[type_][channel] = enabled or (type_, channel) in LOCKED_ON
    return {
        str(type_): {str(channel): value for channel, value in channels.items()} for type_, channels in matrix.items()
    }


@transaction.atomic
def notification_preferences_update(*, user, preferences: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
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
    user,
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
    *, user, platform: str, push_token: str | None, app_version: str, os_version: str, model: str, locale: str
) -> tuple[Device, bool]:
    subscription = None
    token = push_token or None
    if token and platform == DevicePlatform.WEB:
        subscription = web_subscription_parse(token)
        if subscription is None:
            raise ApplicationError(
                _("A web push token must be a push subscription with an https endpoint and its keys."),
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
        device.webpush_device = _provider_device_delete(device.webpush_device)
        gcm = device.gcm_device or GCMDevice(cloud_message_type="FCM")
        gcm.user, gcm.registration_id, gcm.name, gcm.active = user, token, model[:255], True
        gcm.save()
        device.gcm_device = gcm
    elif subscription is not None:
        device.gcm_device = _provider_device_delete(device.gcm_device)
        web = device.webpush_device or WebPushDevice()
        web.user, web.registration_id, web.name, web.active = user, subscription["endpoint"], model[:255], True
        web.p256dh, web.auth = subscription["p256dh"], subscription["auth"]
        web.save()
        device.webpush_device = web
    device.save()
    return device, created


def _provider_device_delete(provider_device) -> None:
    if provider_device is not None:
        provider_device.delete()
    return None


@transaction.atomic
def device_unregister(*, device: Device) -> None:
    for provider_device in (device.gcm_device, device.webpush_device):
        _provider_device_delete(provider_device)
    device.delete()


# --- Reminders -----------------------------------------------------------------------------------------

REMINDER_LEADS: dict[str, timedelta] = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}


def _local_time(moment: datetime, zone: str, locale: str) -> str:
    with translation.override(locale):
        return formats.date_format(moment.astimezone(ZoneInfo(zone)), "DATETIME_FORMAT")


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Send the 24 h and 1 h reminders that are due, each once per appointment, kind and start.

    A reminder is due when the appointment is confirmed, starts within its lead time, and was
    booked before the reminder time (a booking made 3 h ahead gets the 1 h reminder only). The 24 h
    window stops where the 1 h one begins, so a late beat never sends a stale "tomorrow" reminder.
    Safe to run twice or concurrently: the ReminderSent unique constraint decides who sends.
    """
    from appointments.models import Appointment, AppointmentStatus

    now = now or timezone.now()
    sent = 0
    windows = [
        (ReminderKind.DAY_BEFORE, now + REMINDER_LEADS[ReminderKind.HOUR_BEFORE], now + REMINDER_LEADS["24h"]),
        (ReminderKind.HOUR_BEFORE, now, now + REMINDER_LEADS[ReminderKind.HOUR_BEFORE]),
    ]
    for kind, after, until in windows:
        lead = REMINDER_LEADS[kind]
        due = (
            Appointment.objects.filter(
                status=AppointmentStatus.CONFIRMED,
                start__gt=after,
                start__lte=until,
            )
            .exclude(
                Exists(ReminderSent.objects.filter(appointment=OuterRef("pk"), kind=kind, start=OuterRef("start")))
            )
            .select_related("doctor__user", "patient")
        )
        for appointment in due:
            if appointment.created_at > appointment.start - lead:
                continue
            if _reminder_send(appointment=appointment, kind=kind):
                sent += 1
    return sent


def _reminder_send(*, appointment, kind: str) -> bool:
    try:
        with transaction.atomic():
            ReminderSent.objects.create(appointment=appointment, kind=kind, start=appointment.start)
            patient, doctor = appointment.patient, appointment.doctor
            context = {
                "kind": kind,
                "doctor_name": str(doctor),
                "clinic_name": doctor.clinic_name,
                "clinic_address": doctor.clinic_address,
                "clinic_time": _local_time(appointment.start, doctor.timezone, patient.locale),
                "clinic_timezone": doctor.timezone,
                "patient_time": (
                    _local_time(appointment.start, patient.timezone, patient.locale)
                    if patient.timezone != doctor.timezone
                    else ""
                ),
                "patient_timezone": patient.timezone,
            }
            notification_send(
                user=patient,
                type=NotificationType.REMINDER,
                template_key="appointment_reminder",
                context=context,
                data={"appointment_id": str(appointment.pk), "kind": kind},
            )
    except IntegrityError:
        return False  # another beat run sent it
    return True
