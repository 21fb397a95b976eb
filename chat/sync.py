"""What chat contributes to the offline sync (`core.sync`): threads and their messages."""

from typing import Any

from django.db.models import Q, QuerySet

from chat.events import isoformat, message_payload
from chat.models import Message, Thread
from core.models import SyncOp
from core.sync import register, sync_record_changes

THREADS = "threads"
MESSAGES = "messages"


def _participant_q(user, prefix: str = "") -> Q:
    return Q(**{f"{prefix}patient": user}) | Q(**{f"{prefix}doctor__user": user})


def thread_sync_payload(thread: Thread) -> dict[str, Any]:
    return {
        "id": str(thread.pk),
        "patient_id": str(thread.patient_id),
        "doctor_id": str(thread.doctor_id),
        "doctor_user_id": str(thread.doctor.user_id),
        "last_message_id": str(thread.last_message_id) if thread.last_message_id else None,
        "last_message_at": isoformat(thread.last_message_at),
        "created_at": isoformat(thread.created_at),
        "updated_at": isoformat(thread.updated_at),
    }


def threads_visible_to(user) -> QuerySet[Thread]:
    return Thread.objects.filter(_participant_q(user)).select_related("doctor")


def messages_visible_to(user) -> QuerySet[Message]:
    return Message.objects.filter(_participant_q(user, "thread__"))


def chat_sync_record(*, thread: Thread, message_ids: list[Any] = (), op: str = SyncOp.UPSERT) -> None:
    """Both participants' offline copies pick up the thread and the given messages; call inside
    the writing transaction."""
    changes = [(THREADS, thread.pk, SyncOp.UPSERT), *((MESSAGES, message_id, op) for message_id in message_ids)]
    sync_record_changes(users=thread.participant_ids(), changes=changes)


register(THREADS, serialize=thread_sync_payload, visible=threads_visible_to)
register(MESSAGES, serialize=message_payload, visible=messages_visible_to)
