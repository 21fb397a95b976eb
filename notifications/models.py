from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class NotificationType(models.TextChoices):
    APPOINTMENT = "appointment", _("Appointment")
    CHAT = "chat", _("Chat")
    PAYMENT = "payment", _("Payment")
    REMINDER = "reminder", _("Reminder")
    SYSTEM = "system", _("System")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("Email")
    PUSH = "push", _("Push")


class Notification(BaseModel):
    """A notification, rendered once in the recipient's locale when it was created.

    `in_app` is False when the user switched the in-app channel off for this type: the row still
    exists because email and push deliveries hang on it, but the in-app list and socket skip it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(_("type"), max_length=16, choices=NotificationType.choices, db_index=True)
    template_key = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    in_app = models.BooleanField(_("shown in the app"), default=True)
    is_read = models.BooleanField(_("read"), default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "is_read"]),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(BaseModel):
    """A user's explicit choice for one type on one channel; absent rows mean the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    type = models.CharField(_("type"), max_length=16, choices=NotificationType.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"))

    class Meta:
        ordering = ["user", "type", "channel"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "type", "channel"], name="notification_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.type}/{self.channel}={'on' if self.enabled else 'off'}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(BaseModel):
    """One notification on one outbound channel (email or push): what happened to it."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Email: subject/text/html rendered at creation in the recipient's locale (the template context
    # may hold model objects, so it is not kept for a later render).
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} ({self.attempts})"


class DevicePlatform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", _("Web")


class Device(BaseModel):
    """A signed-in app or browser. Pushes go through the django-push-notifications device it links
    to (FCM for ios/android, WebPush for web); `push_token` is unique across users."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(_("platform"), max_length=8, choices=DevicePlatform.choices)
    push_token = models.TextField(_("push token"), null=True, blank=True, unique=True)
    app_version = models.CharField(_("app version"), max_length=32, blank=True)
    os_version = models.CharField(_("OS version"), max_length=64, blank=True)
    model = models.CharField(_("model"), max_length=128, blank=True)
    locale = models.CharField(_("locale"), max_length=8, blank=True)
    active = models.BooleanField(_("active"), default=True)
    deactivated_reason = models.CharField(_("deactivated because"), max_length=255, blank=True)
    gcm_device = models.OneToOneField(
        "push_notifications.GCMDevice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    webpush_device = models.OneToOneField(
        "push_notifications.WebPushDevice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self) -> str:
        return f"{self.platform} {self.model} ({self.user})"


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "24h", _("24 hours before")
    HOUR_BEFORE = "1h", _("1 hour before")


class ReminderSent(models.Model):
    """The proof a reminder went out: one per appointment, kind and the start it was for, so a
    second beat run sends nothing and a rescheduled appointment is reminded at its new time."""

    id = models.BigAutoField(primary_key=True)
    appointment = models.ForeignKey("appointments.Appointment", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=ReminderKind.choices)
    start = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind", "start"], name="reminder_once_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.appointment_id} @ {self.start:%Y-%m-%d %H:%M}"
