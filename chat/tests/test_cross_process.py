"""Two real Daphne processes sharing the Redis channel layer: a message crosses from one to the other."""

import asyncio

import aiohttp
import pytest
from asgiref.sync import async_to_sync

from chat.models import Message
from chat.tests.conftest import access_token
from core.testing.daphne import daphne_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_daphnes(transactional_db):
    with daphne_servers(2) as ports:
        yield ports


def test_message_sent_through_one_daphne_arrives_through_the_other(thread, two_daphnes):
    port_a, port_b = two_daphnes
    patient_token, doctor_token = access_token(thread.patient), access_token(thread.doctor.user)

    async def scenario():
        headers = {"Origin": "http://127.0.0.1"}
        async with aiohttp.ClientSession() as session:
            doctor = await session.ws_connect(
                f"ws://127.0.0.1:{port_b}/ws/chat/{thread.pk}?token={doctor_token}", headers=headers
            )
            patient = await session.ws_connect(
                f"ws://127.0.0.1:{port_a}/ws/chat/{thread.pk}?token={patient_token}", headers=headers
            )
            await patient.send_json({"type": "message", "body": "across processes", "client_id": "xp-1"})
            received = await asyncio.wait_for(doctor.receive_json(), timeout=10)
            at_sender = [await asyncio.wait_for(patient.receive_json(), timeout=10) for _ in range(2)]
            await patient.close()
            await doctor.close()
            return received, at_sender

    received, at_sender = async_to_sync(scenario)()

    stored = Message.objects.get()
    assert received["type"] == "message"
    assert received["message"]["body"] == "across processes"
    assert received["message"]["id"] == str(stored.pk)
    assert {"type": "ack", "client_id": "xp-1", "message_id": str(stored.pk)} in at_sender


def test_bad_token_is_closed_with_4401_by_a_real_daphne(thread, two_daphnes):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            socket_ = await session.ws_connect(
                f"ws://127.0.0.1:{two_daphnes[0]}/ws/chat/{thread.pk}?token=bad", headers={"Origin": "http://127.0.0.1"}
            )
            await asyncio.wait_for(socket_.receive(), timeout=10)
            return socket_.close_code

    assert async_to_sync(scenario)() == 4401
