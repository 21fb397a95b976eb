"""Every write of the chat app. The REST views and the socket consumer call the same functions."""

import enum
import os
from datetime import datetime
from typing import Any

import filetype
from cryptography.fernet import InvalidToken
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounts.models import Role, User
from appointments.models import Appointment, AppointmentStatus
from chat.events import message_event, read_event, read_frame, thread_group
from chat.models import Message, Thread, ThreadState
from chat.presence import presence_is_online
from chat.sync import chat_sync_record
from core.effects import broadcast
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.fields import field_cipher
from doctors.models import DoctorProfile
from notifications.services import notification_send

MAX_BODY_LENGTH = 5000
MAX_CLIENT_ID_LENGTH = 64
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}
# A patient may open a thread with a doctor they have an appointment with that still stands.
CHAT_CLOSED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED)


class ChatErrorCode(enum.StrEnum):
    THREAD_NOT_ALLOWED = "thread_not_allowed"
    DOCTOR_NOT_FOUND = "doctor_not_found"
    PATIENT_NOT_FOUND = "patient_not_found"
    EMPTY_MESSAGE = "empty_message"
    BODY_TOO_LONG = "body_too_long"
    INVALID_CLIENT_ID = "invalid_client_id"
    CLIENT_ID_REUSED = "client_id_reused"
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    MESSAGE_NOT_FOUND = "message_not_found"


def thread_get_or_create(*, user: User, doctor_id: Any = None, patient_id: Any = None) -> tuple[Thread, bool]:
    """The thread between `user` and the other party, created if allowed. Returns (thread, created).

    A patient names a doctor they have a non-cancelled, non-expired appointment with; a doctor names
    any patient who ever booked them. Anyone else is not found (no leak of who exists).
    """
    if user.role == Role.PATIENT and doctor_id:
        doctor = DoctorProfile.objects.select_related("user").filter(pk=doctor_id).first()
        if doctor is None:
            raise NotFoundError(_("Doctor not found."), code=ChatErrorCode.DOCTOR_NOT_FOUND, attr="doctor_id")
        patient: User | None = user
        allowed = (
            Appointment.objects.filter(patient=patient, doctor=doctor).exclude(status__in=CHAT_CLOSED_STATUSES).exists()
        )
        if not allowed and not Thread.objects.filter(patient=patient, doctor=doctor).exists():
            raise PermissionDeniedError(
                _("You can message a doctor once you have an appointment with them."),
                code=ChatErrorCode.THREAD_NOT_ALLOWED,
            )
    elif user.role == Role.DOCTOR and patient_id and hasattr(user, "doctor_profile"):
        doctor = user.doctor_profile
        patient = (
            User.objects.filter(pk=patient_id, role=Role.PATIENT, is_active=True, appointments__doctor=doctor)
            .distinct()
            .first()
        )
        if patient is None:
            raise NotFoundError(_("Patient not found."), code=ChatErrorCode.PATIENT_NOT_FOUND, attr="patient_id")
    else:
        attr = "doctor_id" if user.role == Role.PATIENT else "patient_id"
        raise ApplicationError(
            _("Name the other participant: a patient gives doctor_id, a doctor gives patient_id."),
            code=ChatErrorCode.THREAD_NOT_ALLOWED,
            attr=attr,
        )
    # get_or_create re-reads after an IntegrityError, so two racing requests end on the same row.
    with transaction.atomic():
        thread, created = Thread.objects.get_or_create(patient=patient, doctor=doctor)
        if created:
            chat_sync_record(thread=thread)
    return thread, created


def _check_participant(thread: Thread, user: User) -> None:
    if user.pk not in thread.participant_ids():
        raise NotFoundError(_("Conversation not found."), code="thread_not_found")


def _other_participant(thread: Thread, user: User) -> User:
    return thread.doctor.user if user.pk == thread.patient_id else thread.patient


def _replay(existing: Message, thread: Thread) -> tuple[Message, bool]:
    if existing.thread_id != thread.pk:
        raise ConflictError(
            _("This client_id was already used for another message."),
            code=ChatErrorCode.CLIENT_ID_REUSED,
            attr="client_id",
        )
    return existing, False


def _notify_if_offline(*, message: Message, thread: Thread, sender: User, recipient: User) -> None:
    """Notify a recipient who has no socket on this thread, once per unread burst.

    Coalesced: only the first message the recipient has not read yet notifies; the following ones
    of the burst would just repeat it. The notification never carries the message body: it may go
    out by email or push, outside our encryption at rest.
    """
    if presence_is_online(thread_id=thread.pk, user_id=recipient.pk):
        return
    earlier_unread = (
        Message.objects.filter(thread=thread, read_at__isnull=True)
        .exclude(sender=recipient)
        .exclude(pk=message.pk)
        .exists()
    )
    if earlier_unread:
        return
    sender_name = str(thread.doctor) if sender.pk == thread.doctor.user_id else sender.full_name
    notification_send(
        user=recipient,
        type="chat",
        template_key="chat_message",
        context={"sender_name": sender_name, "has_attachment": bool(message.attachment)},
        data={"thread_id": str(thread.pk), "message_id": str(message.pk)},
    )


def message_send(
    *,
    thread: Thread,
    sender: User,
    body: str = "",
    client_id: str | None = None,
    attachment: UploadedFile | None = None,
    attachment_content_type: str = "",
) -> tuple[Message, bool]:
    """Store a message, then (after commit) broadcast it to the thread and notify an offline recipient.

    Idempotent on (sender, client_id): a retry returns the first message and `created=False`,
    and nothing is sent again. Returns (message, created).
    """
    _check_participant(thread, sender)
    body = (body or "").strip()
    if client_id is not None:
        client_id = str(client_id).strip()
        if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
            raise ApplicationError(
                _("client_id must be 1 to %(max)d characters.") % {"max": MAX_CLIENT_ID_LENGTH},
                code=ChatErrorCode.INVALID_CLIENT_ID,
                attr="client_id",
            )
    if not body and attachment is None:
        raise ApplicationError(_("A message needs some text or a file."), code=ChatErrorCode.EMPTY_MESSAGE, attr="body")
    if len(body) > MAX_BODY_LENGTH:
        raise ApplicationError(
            _("A message is at most %(max)d characters.") % {"max": MAX_BODY_LENGTH},
            code=ChatErrorCode.BODY_TOO_LONG,
            attr="body",
        )
    # No look-up first: the unique (sender, client_id) constraint detects a retry, which keeps the
    # common path at INSERT + UPDATE + COMMIT (this is the hot path of the socket).
    try:
        return _message_store(
            thread=thread,
            sender=sender,
            body=body,
            client_id=client_id,
            attachment=attachment,
            attachment_content_type=attachment_content_type,
        ), True
    except IntegrityError:
        existing = Message.objects.filter(sender=sender, client_id=client_id).first() if client_id else None
        if existing is None:
            raise
        return _replay(existing, thread)


@transaction.atomic
def _message_store(
    *,
    thread: Thread,
    sender: User,
    body: str,
    client_id: str | None,
    attachment: UploadedFile | None,
    attachment_content_type: str,
) -> Message:
    fields: dict[str, Any] = {"thread": thread, "sender": sender, "body": body, "client_id": client_id}
    if attachment is not None:
        name = get_valid_filename(os.path.basename(attachment.name or "file"))[-255:] or "file"
        fields.update(
            attachment=attachment,
            attachment_content_type=attachment_content_type,
            attachment_size=attachment.size,
            attachment_name=name,
        )
    message = Message.objects.create(**fields)
    # Conditional, so a slower concurrent send never moves last_message backwards.
    Thread.objects.filter(pk=thread.pk).filter(
        Q(last_message_at__isnull=True) | Q(last_message_at__lte=message.created_at)
    ).update(last_message=message, last_message_at=message.created_at, updated_at=message.created_at)
    chat_sync_record(thread=thread, message_ids=[message.pk])
    recipient = _other_participant(thread, sender)
    _notify_if_offline(message=message, thread=thread, sender=sender, recipient=recipient)
    broadcast([thread_group(thread.pk)], message_event(message))
    return message


def attachment_check(*, file: UploadedFile) -> str:
    """The detected content type of an upload (by its bytes, never its name or header), or 413/415."""
    if (file.size or 0) > MAX_ATTACHMENT_BYTES:
        raise ApplicationError(
            _("Files are limited to %(mb)d MB.") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            code=ChatErrorCode.FILE_TOO_LARGE,
            status=413,
            attr="file",
        )
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_ATTACHMENT_TYPES:
        raise ApplicationError(
            _("Only PNG, JPEG and PDF files can be sent."),
            code=ChatErrorCode.UNSUPPORTED_MEDIA_TYPE,
            status=415,
            attr="file",
        )
    return kind.mime


def message_send_attachment(
    *, thread: Thread, sender: User, file: UploadedFile, caption: str = "", client_id: str | None = None
) -> tuple[Message, bool]:
    """A message carrying a PNG, JPEG or PDF (checked by content, at most 10 MB) and an optional caption."""
    _check_participant(thread, sender)
    if client_id:
        existing = Message.objects.filter(sender=sender, client_id=str(client_id).strip()).first()
        if existing is not None:
            return _replay(existing, thread)
    content_type = attachment_check(file=file)
    return message_send(
        thread=thread,
        sender=sender,
        body=caption,
        client_id=client_id,
        attachment=file,
        attachment_content_type=content_type,
    )


@transaction.atomic
def message_mark_read(*, thread: Thread, reader: User, up_to: Any) -> tuple[int, datetime]:
    """Mark the other side's messages up to and including `up_to` read; tell both sides after commit.

    Returns (how many messages changed, read_at).
    """
    _check_participant(thread, reader)
    target = Message.objects.filter(thread=thread, pk=up_to).first()
    if target is None:
        raise NotFoundError(_("Message not found."), code=ChatErrorCode.MESSAGE_NOT_FOUND, attr="up_to")
    read_at = timezone.now()
    unread_ids = list(
        Message.objects.filter(thread=thread, read_at__isnull=True, created_at__lte=target.created_at)
        .exclude(sender=reader)
        .values_list("pk", flat=True)
    )
    changed = Message.objects.filter(pk__in=unread_ids).update(read_at=read_at, updated_at=read_at)
    chat_sync_record(thread=thread, message_ids=unread_ids)
    ThreadState.objects.update_or_create(thread=thread, user=reader, defaults={"last_read_at": read_at})
    if changed:
        broadcast(
            [thread_group(thread.pk)], read_event(read_frame(reader_id=reader.pk, up_to=target.pk, read_at=read_at))
        )
    return changed, read_at


def thread_archive(*, thread: Thread, user: User, archived: bool) -> ThreadState:
    """Hide (or show again) a thread in the user's own list; a new message brings it back."""
    _check_participant(thread, user)
    state, _created = ThreadState.objects.update_or_create(
        thread=thread, user=user, defaults={"archived_at": timezone.now() if archived else None}
    )
    return state


def encrypted_field_rotate(*, model: type[models.Model], field_name: str, batch_size: int = 500) -> int:
    """Re-encrypt every value of one EncryptedTextField with the newest key. Returns rows rewritten.

    Reads the raw tokens (a Cast skips the field's decryption) and writes the rotated tokens back
    as plain text values (a Value skips its encryption). Plaintext left from before encryption is
    encrypted. Safe to run again: rotating an up-to-date token only re-stamps it.
    """
    cipher = field_cipher()
    rewritten = 0
    rows = (
        model._default_manager.exclude(**{field_name: ""})
        .exclude(**{f"{field_name}__isnull": True})
        .annotate(raw=Cast(field_name, TextField()))
        .values_list("pk", "raw")
        .order_by("pk")
    )
    for pk, raw in rows.iterator(chunk_size=batch_size):
        try:
            token = cipher.rotate(raw.encode()).decode()
        except InvalidToken:
            token = cipher.encrypt(raw.encode()).decode()
        if token != raw:
            model._default_manager.filter(pk=pk).update(**{field_name: Value(token, output_field=TextField())})
            rewritten += 1
    return rewritten
