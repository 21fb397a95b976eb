"""The chat socket through Channels' WebsocketCommunicator on the configured channel layer."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from chat.models import Message
from chat.tests.conftest import access_token
from config.asgi import application
from notifications.models import Notification
from notifications.services import notification_send

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://testserver")]


async def open_socket(thread_id, token: str | None) -> WebsocketCommunicator:
    query = f"?token={token}" if token is not None else ""
    communicator = WebsocketCommunicator(application, f"/ws/chat/{thread_id}{query}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def connect_as(user, thread_id) -> WebsocketCommunicator:
    token = await database_sync_to_async(access_token)(user)
    return await open_socket(thread_id, token)


async def frames(communicator: WebsocketCommunicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=3) for _ in range(count)]


def by_type(received: list[dict]) -> dict[str, dict]:
    return {frame["type"]: frame for frame in received}


def test_message_reaches_the_other_participant_is_stored_and_acked(thread):
    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        doctor = await connect_as(thread.doctor.user, thread.pk)

        await patient.send_json_to({"type": "message", "body": "Bonjour docteur", "client_id": "c-1"})
        at_sender = by_type(await frames(patient, 2))
        at_doctor = await doctor.receive_json_from(timeout=3)

        await patient.disconnect()
        await doctor.disconnect()
        return at_sender, at_doctor

    at_sender, at_doctor = async_to_sync(scenario)()

    stored = Message.objects.get()
    assert at_doctor["type"] == "message"
    assert at_doctor["message"]["body"] == "Bonjour docteur"
    assert at_doctor["message"]["id"] == str(stored.pk)
    assert at_sender["ack"] == {"type": "ack", "client_id": "c-1", "message_id": str(stored.pk)}
    assert at_sender["message"]["message"]["sender_id"] == str(thread.patient.pk)
    assert stored.body == "Bonjour docteur"
    assert stored.sender == thread.patient


def test_resending_a_client_id_returns_the_same_ack_and_stores_once(thread):
    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        doctor = await connect_as(thread.doctor.user, thread.pk)
        await patient.send_json_to({"type": "message", "body": "hi", "client_id": "retry-1"})
        first = by_type(await frames(patient, 2))["ack"]
        await doctor.receive_json_from(timeout=3)

        await patient.send_json_to({"type": "message", "body": "hi", "client_id": "retry-1"})
        second = await patient.receive_json_from(timeout=3)
        doctor_got_nothing_more = await doctor.receive_nothing(timeout=0.3)

        await patient.disconnect()
        await doctor.disconnect()
        return first, second, doctor_got_nothing_more

    first, second, doctor_got_nothing_more = async_to_sync(scenario)()

    assert second == first
    assert doctor_got_nothing_more
    assert Message.objects.count() == 1


@pytest.mark.parametrize("token", ["not-a-jwt", None])
def test_bad_or_missing_token_is_closed_with_4401(thread, token):
    async def scenario():
        communicator = await open_socket(thread.pk, token)
        closed = await communicator.receive_output(timeout=3)
        await communicator.wait()
        return closed

    closed = async_to_sync(scenario)()

    assert closed == {"type": "websocket.close", "code": 4401}


def test_non_participant_is_closed_with_4403(thread, stranger):
    async def scenario():
        communicator = await connect_as(stranger, thread.pk)
        closed = await communicator.receive_output(timeout=3)
        await communicator.wait()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4403}


def session_cookie(user) -> bytes:
    """The cookie header a portal page's browser sends once `user` has signed in."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def test_the_portal_session_cookie_opens_the_socket_without_a_token(thread):
    cookie = session_cookie(thread.doctor.user)

    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        portal = WebsocketCommunicator(application, f"/ws/chat/{thread.pk}", headers=[*ORIGIN, (b"cookie", cookie)])
        connected, _ = await portal.connect()
        await portal.send_json_to({"type": "message", "body": "from the portal", "client_id": "p-1"})
        at_patient = await patient.receive_json_from(timeout=3)
        await portal.disconnect()
        await patient.disconnect()
        return connected, at_patient

    connected, at_patient = async_to_sync(scenario)()

    assert connected
    assert at_patient["message"]["body"] == "from the portal"
    assert at_patient["message"]["sender_id"] == str(thread.doctor.user.pk)


@pytest.mark.parametrize("origin", [[(b"origin", b"http://evil.example")], []])
def test_a_session_socket_opened_from_another_site_or_without_origin_is_refused(thread, origin):
    cookie = session_cookie(thread.doctor.user)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/chat/{thread.pk}", headers=[*origin, (b"cookie", cookie)])
        connected, _ = await socket.connect()
        return connected

    assert async_to_sync(scenario)() is False


def test_read_receipt_reaches_the_sender(thread):
    message = Message.objects.create(thread=thread, sender=thread.patient, body="hello")

    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        doctor = await connect_as(thread.doctor.user, thread.pk)
        await doctor.send_json_to({"type": "read", "up_to": str(message.pk)})
        receipt = await patient.receive_json_from(timeout=3)
        await patient.disconnect()
        await doctor.disconnect()
        return receipt

    receipt = async_to_sync(scenario)()

    message.refresh_from_db()
    assert receipt["type"] == "read"
    assert receipt["reader_id"] == str(thread.doctor.user.pk)
    assert receipt["up_to"] == str(message.pk)
    assert message.read_at is not None


def test_typing_reaches_the_other_side_only_and_is_not_stored(thread):
    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        doctor = await connect_as(thread.doctor.user, thread.pk)
        await patient.send_json_to({"type": "typing"})
        typing = await doctor.receive_json_from(timeout=3)
        echoed = not await patient.receive_nothing(timeout=0.3)
        await patient.disconnect()
        await doctor.disconnect()
        return typing, echoed

    typing, echoed = async_to_sync(scenario)()

    assert typing == {"type": "typing", "user_id": str(thread.patient.pk)}
    assert not echoed
    assert not Message.objects.exists()


def test_bad_frames_get_error_frames_and_the_socket_stays_open(thread):
    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        received = []
        await patient.send_to(text_data="{not json")
        received.append(await patient.receive_json_from(timeout=3))
        await patient.send_json_to({"type": "dance"})
        received.append(await patient.receive_json_from(timeout=3))
        await patient.send_json_to({"type": "message", "body": "   "})
        received.append(await patient.receive_json_from(timeout=3))
        await patient.send_json_to({"type": "read", "up_to": "nope"})
        received.append(await patient.receive_json_from(timeout=3))
        await patient.send_json_to({"type": "message", "body": "still here", "client_id": "ok"})
        received.extend(await frames(patient, 2))
        await patient.disconnect()
        return received

    received = async_to_sync(scenario)()

    assert [f.get("code") for f in received[:4]] == [
        "invalid_json",
        "unknown_frame",
        "empty_message",
        "message_not_found",
    ]
    assert all(f["type"] == "error" and f["detail"] for f in received[:4])
    assert {f["type"] for f in received[4:]} == {"message", "ack"}


def test_offline_recipient_is_notified_once_per_unread_burst(thread):
    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        for index in range(3):
            await patient.send_json_to({"type": "message", "body": f"burst {index}", "client_id": f"b{index}"})
            await frames(patient, 2)
        await patient.disconnect()

    async_to_sync(scenario)()

    notifications = Notification.objects.filter(user=thread.doctor.user)
    assert notifications.count() == 1
    notification = notifications.get()
    assert notification.type == "chat"
    assert notification.data["thread_id"] == str(thread.pk)
    assert "burst" not in notification.body


def test_online_recipient_gets_no_notification(thread):
    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        doctor = await connect_as(thread.doctor.user, thread.pk)
        await patient.send_json_to({"type": "message", "body": "you are here", "client_id": "x"})
        await frames(patient, 2)
        await doctor.receive_json_from(timeout=3)
        await patient.disconnect()
        await doctor.disconnect()
        await asyncio.sleep(0)

    async_to_sync(scenario)()

    assert not Notification.objects.filter(user=thread.doctor.user).exists()


def test_a_notification_for_the_user_leaves_their_chat_socket_open(thread):
    """The chat socket is in its user's group, where notifications are pushed for the notifications
    socket: it ignores them instead of crashing (a booking used to close every chat socket of both
    participants with 1011)."""

    def notify_patient():
        context = {"sender_name": "Dr Who", "has_attachment": False}
        notification_send(user=thread.patient, type="chat", template_key="chat_message", context=context)

    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        doctor = await connect_as(thread.doctor.user, thread.pk)
        await database_sync_to_async(notify_patient)()
        quiet = await patient.receive_nothing(timeout=0.5)
        await doctor.send_json_to({"type": "message", "body": "Still there?", "client_id": "c-9"})
        at_patient = await patient.receive_json_from(timeout=3)
        await patient.disconnect()
        await doctor.disconnect()
        return quiet, at_patient

    quiet, at_patient = async_to_sync(scenario)()

    assert quiet
    assert at_patient["message"]["body"] == "Still there?"


def test_a_busy_thread_sensitive_worker_does_not_hold_up_delivery(thread):
    # Channels runs thread-sensitive work of every socket of the process in one thread; a frame or a
    # group event that waited for it (as Channels' own dispatch does before every event) queued behind
    # all the others.
    import threading

    from asgiref.sync import SyncToAsync

    async def scenario():
        patient = await connect_as(thread.patient, thread.pk)
        doctor = await connect_as(thread.doctor.user, thread.pk)
        # given that one thread busy with something else
        release = threading.Event()
        busy = SyncToAsync.single_thread_executor.submit(release.wait, 30)
        try:
            # when the patient sends a message
            await patient.send_json_to({"type": "message", "body": "still there?", "client_id": "c-busy"})
            # then the doctor gets it and the patient its ack meanwhile
            at_doctor = await doctor.receive_json_from(timeout=5)
            at_sender = by_type(await frames(patient, 2))
        finally:
            release.set()
            busy.result(timeout=5)
        await patient.disconnect()
        await doctor.disconnect()
        return at_doctor, at_sender

    at_doctor, at_sender = asyncio.run(scenario())

    assert at_doctor["message"]["body"] == "still there?"
    assert at_sender["ack"]["client_id"] == "c-busy"
