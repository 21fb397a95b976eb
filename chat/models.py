"""Patient-doctor conversations: one thread per pair, messages encrypted at rest."""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import BaseModel


def attachment_upload_to(message: "Message", filename: str) -> str:
    # The stored name never carries the uploader's file name (kept in `attachment_name` instead).
    extension = os.path.splitext(filename)[1].lower()[:8]
    return f"chat/{message.thread_id}/{uuid.uuid4().hex}{extension}"


class Thread(BaseModel):
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_threads")
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.CASCADE, related_name="chat_threads")
    # Denormalised on every send so the thread list needs no per-thread query.
    last_message = models.ForeignKey("chat.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-created_at"]
        verbose_name = _("chat thread")
        verbose_name_plural = _("chat threads")
        constraints = [
            models.UniqueConstraint(fields=["patient", "doctor"], name="chat_thread_one_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} / {self.doctor}"

    def participant_ids(self) -> tuple:
        return (self.patient_id, self.doctor.user_id)


class Message(BaseModel):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    body = EncryptedTextField(_("body"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to=attachment_upload_to, blank=True, max_length=255)
    attachment_content_type = models.CharField(max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    # Chosen by the client so a retried send is recognised instead of stored twice.
    client_id = models.CharField(max_length=64, null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="chat_message_client_id_unique_per_sender",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "-created_at"]),
            models.Index(fields=["thread", "read_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.sender} @ {self.created_at:%Y-%m-%d %H:%M}"


class ThreadState(BaseModel):
    """One participant's own view of a thread: read position and whether they archived it."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_thread_states")
    # Archived until the thread's next activity: a new message brings it back without a write here.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    last_read_at = models.DateTimeField(_("last read at"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="chat_thread_state_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.thread_id}"
