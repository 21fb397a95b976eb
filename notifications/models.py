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


class Notification(BaseModel):
    """An in-app notification, rendered once in the recipient's locale when it was created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(_("type"), max_length=16, choices=NotificationType.choices, db_index=True)
    template_key = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_read = models.BooleanField(_("read"), default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "is_read"]),
        ]

    def __str__(self) -> str:
        return self.title
