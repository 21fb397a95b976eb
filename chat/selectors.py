"""Reads of the chat app, each with the participant check built in (not yours -> 404)."""

import unicodedata
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import User
from chat.models import Message, Thread, ThreadState
from core.exceptions import NotFoundError


def _participant_filter(user: User, prefix: str = "") -> Q:
    return Q(**{f"{prefix}patient": user}) | Q(**{f"{prefix}doctor__user": user})


def _threads_for(user: User) -> QuerySet[Thread]:
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), read_at__isnull=True)
        .exclude(sender=user)
        .order_by()
        .values("thread")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Thread.objects.filter(_participant_filter(user))
        .select_related("patient", "doctor__user", "last_message")
        .annotate(unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
    )


def thread_list_for_user(*, user: User, archived: bool = False) -> QuerySet[Thread]:
    """The user's threads, most recent activity first, each with `unread_count` and `last_message`."""
    archived_since_last_activity = Exists(
        ThreadState.objects.filter(
            thread=OuterRef("pk"), user=user, archived_at__isnull=False, archived_at__gte=OuterRef("updated_at")
        )
    )
    threads = _threads_for(user)
    threads = (
        threads.filter(archived_since_last_activity) if archived else threads.exclude(archived_since_last_activity)
    )
    return threads.order_by("-updated_at", "-id")


def thread_get_for_user(*, user: User, thread_id: Any) -> Thread:
    thread = _threads_for(user).filter(pk=thread_id).first() if user.is_authenticated else None
    if thread is None:
        raise NotFoundError(_("Conversation not found."), code="thread_not_found")
    return thread


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for matching ("Éte" finds "ete")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def message_list_for_thread(*, thread: Thread, q: str | None = None) -> QuerySet[Message]:
    """Messages of a thread the caller already holds (through `thread_get_for_user`).

    Bodies are encrypted at rest, so SQL cannot search them: `q` decrypts the thread's bodies in
    Python and keeps the matching ids. That is linear in the thread's size, which is fine for a
    patient-doctor conversation (thousands of messages at most), not for a global search.
    """
    messages = Message.objects.filter(thread=thread)
    if q:
        needle = _fold(q.strip())
        matching = [
            pk
            for pk, body, name in messages.values_list("pk", "body", "attachment_name")
            if needle in _fold(body or "") or needle in _fold(name or "")
        ]
        messages = messages.filter(pk__in=matching)
    return messages


def message_latest_for_thread(*, thread: Thread, limit: int = 20) -> list[Message]:
    return list(Message.objects.filter(thread=thread).order_by("-created_at", "-id")[:limit])


def message_get_for_thread(*, thread: Thread, message_id: Any) -> Message:
    message = Message.objects.filter(thread=thread, pk=message_id).first()
    if message is None:
        raise NotFoundError(_("Message not found."), code="message_not_found")
    return message


def message_get_with_attachment(*, thread: Thread, message_id: Any) -> Message:
    message = message_get_for_thread(thread=thread, message_id=message_id)
    if not message.attachment:
        raise NotFoundError(_("This message has no attachment."), code="attachment_not_found")
    return message


def unread_count_for_user(*, user: User) -> int:
    return (
        Message.objects.filter(_participant_filter(user, "thread__"), read_at__isnull=True).exclude(sender=user).count()
    )
