"""Every frame that goes over the chat socket, declared once.

Client -> server: MessageIn, ReadIn, TypingIn. Server -> client: MessageFrame, AckFrame, ReadFrame,
TypingFrame, ErrorFrame. Channel-layer events (`chat.message`, `chat.read`, `chat.typing`) carry the
frame's payload between processes; the consumer turns each into its frame.
"""

from datetime import datetime
from typing import Any, Literal, TypedDict

from django.urls import reverse

from chat.models import Message


def thread_group(thread_id: Any) -> str:
    """The channel-layer group of every open socket on one thread (both participants)."""
    return f"chat.thread.{thread_id}"


def isoformat(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class AttachmentPayload(TypedDict):
    url: str
    content_type: str
    size: int
    name: str


class MessagePayload(TypedDict):
    id: str
    thread_id: str
    sender_id: str
    body: str
    attachment: AttachmentPayload | None
    client_id: str | None
    created_at: str
    read_at: str | None


# --- client -> server ----------------------------------------------------------------------------
class MessageIn(TypedDict):
    type: Literal["message"]
    body: str
    client_id: str


class ReadIn(TypedDict):
    type: Literal["read"]
    up_to: str


class TypingIn(TypedDict):
    type: Literal["typing"]


# --- server -> client ----------------------------------------------------------------------------
class MessageFrame(TypedDict):
    type: Literal["message"]
    message: MessagePayload


class AckFrame(TypedDict):
    type: Literal["ack"]
    client_id: str | None
    message_id: str


class ReadFrame(TypedDict):
    type: Literal["read"]
    reader_id: str
    up_to: str
    read_at: str


class TypingFrame(TypedDict):
    type: Literal["typing"]
    user_id: str


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    detail: str


def attachment_url(message: Message) -> str:
    """The participants-only download endpoint, never the storage's own (possibly public) URL."""
    return reverse("chat-message-attachment", kwargs={"thread_id": message.thread_id, "message_id": message.pk})


def message_payload(message: Message) -> MessagePayload:
    attachment: AttachmentPayload | None = None
    if message.attachment:
        attachment = {
            "url": attachment_url(message),
            "content_type": message.attachment_content_type,
            "size": message.attachment_size or 0,
            "name": message.attachment_name,
        }
    return {
        "id": str(message.pk),
        "thread_id": str(message.thread_id),
        "sender_id": str(message.sender_id),
        "body": message.body,
        "attachment": attachment,
        "client_id": message.client_id,
        "created_at": isoformat(message.created_at),
        "read_at": isoformat(message.read_at),
    }


def message_frame(payload: MessagePayload) -> MessageFrame:
    return {"type": "message", "message": payload}


def ack_frame(message: Message) -> AckFrame:
    return {"type": "ack", "client_id": message.client_id, "message_id": str(message.pk)}


def read_frame(*, reader_id: Any, up_to: Any, read_at: datetime) -> ReadFrame:
    return {"type": "read", "reader_id": str(reader_id), "up_to": str(up_to), "read_at": isoformat(read_at)}


def typing_frame(user_id: Any) -> TypingFrame:
    return {"type": "typing", "user_id": str(user_id)}


def error_frame(code: str, detail: str) -> ErrorFrame:
    return {"type": "error", "code": code, "detail": str(detail)}


# --- channel-layer events (handled by ChatConsumer.chat_<kind>) ---------------------------------
def message_event(message: Message) -> dict[str, Any]:
    return {"type": "chat.message", "frame": message_frame(message_payload(message))}


def read_event(frame: ReadFrame) -> dict[str, Any]:
    return {"type": "chat.read", "frame": frame}


def typing_event(frame: TypingFrame) -> dict[str, Any]:
    return {"type": "chat.typing", "frame": frame}
