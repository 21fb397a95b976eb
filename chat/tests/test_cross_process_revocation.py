"""Issue 17, item 4 across processes: a logout handled by one Daphne closes the user's socket held
by another, through the Redis channel layer."""

import asyncio

import aiohttp
import pytest
from asgiref.sync import async_to_sync

from accounts.tests.factories import DEFAULT_PASSWORD
from core.testing.daphne import daphne_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_logout_through_one_daphne_closes_the_socket_held_by_the_other(thread):
    with daphne_servers(2) as (port_a, port_b):

        async def scenario():
            async with aiohttp.ClientSession() as session:
                login = await session.post(
                    f"http://127.0.0.1:{port_b}/api/v1/auth/login",
                    json={"email": thread.patient.email, "password": DEFAULT_PASSWORD},
                )
                tokens = await login.json()
                socket_ = await session.ws_connect(
                    f"ws://127.0.0.1:{port_a}/ws/chat/{thread.pk}?token={tokens['access']}",
                    headers={"Origin": "http://127.0.0.1"},
                )
                logout = await session.post(
                    f"http://127.0.0.1:{port_b}/api/v1/auth/logout", json={"refresh": tokens["refresh"]}
                )
                await asyncio.wait_for(socket_.receive(), timeout=10)
                return logout.status, socket_.close_code

        status, close_code = async_to_sync(scenario)()

    assert status == 204
    assert close_code == 4401
