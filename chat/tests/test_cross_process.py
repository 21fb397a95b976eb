"""Two real Daphne processes sharing the Redis channel layer: a message crosses from one to the other."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from chat.models import Message
from chat.tests.conftest import access_token

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited: {process.stdout.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not listen on {port}")


def database_url_of_test_db() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def two_daphnes(transactional_db):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": database_url_of_test_db(), "REDIS_URL": settings.REDIS_URL}
    daphne = [sys.executable, "-m", "daphne"]
    ports, processes = [free_port(), free_port()], []
    try:
        for port in ports:
            processes.append(subprocess.Popen(
                [*daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            ))
        for port, process in zip(ports, processes, strict=True):
            wait_for_port(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_message_sent_through_one_daphne_arrives_through_the_other(thread, two_daphnes):
    port_a, port_b = two_daphnes
    patient_token, doctor_token = access_token(thread.patient), access_token(thread.doctor.user)

    async def scenario():
        headers = {"Origin": "http://127.0.0.1"}
        async with aiohttp.ClientSession() as session:
            doctor = await session.ws_connect(
                f"ws://127.0.0.1:{port_b}/ws/chat/{thread.pk}?token={doctor_token}", headers=headers)
            patient = await session.ws_connect(
                f"ws://127.0.0.1:{port_a}/ws/chat/{thread.pk}?token={patient_token}", headers=headers)
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
                f"ws://127.0.0.1:{two_daphnes[0]}/ws/chat/{thread.pk}?token=bad", headers={"Origin": "http://127.0.0.1"})
            await asyncio.wait_for(socket_.receive(), timeout=10)
            return socket_.close_code

    assert async_to_sync(scenario)() == 4401
