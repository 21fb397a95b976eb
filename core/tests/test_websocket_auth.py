"""The socket Origin rule (API.md, Conventions): a token socket is accepted whatever its Origin,
a session-cookie socket only from an allowed origin, a bad token is closed with 4401."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import DoctorUserFactory, PatientFactory
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

EVIL = [(b"origin", b"https://evil.example")]


def _token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


def _session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def _connect(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[bool, int | None]:
    async def scenario():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect(timeout=5)
        if connected:
            await communicator.disconnect()
        return connected, code

    return async_to_sync(scenario)()


def test_a_token_socket_without_origin_is_accepted():
    # given a native app's socket: a valid token and no Origin header at all
    path = f"/ws/notifications?token={_token(PatientFactory())}"
    # when it connects, then it is accepted
    assert _connect(path, headers=[]) == (True, None)


def test_a_token_socket_from_a_foreign_origin_is_accepted():
    path = f"/ws/notifications?token={_token(PatientFactory())}"
    assert _connect(path, headers=EVIL) == (True, None)


def test_a_bad_token_without_origin_is_closed_with_4401():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/notifications?token=not-a-jwt", headers=[])
        await communicator.connect(timeout=5)
        closed = await communicator.receive_output(timeout=3)
        await communicator.wait()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


def test_a_session_socket_from_a_foreign_origin_is_refused():
    # given a signed-in doctor's session cookie, sent along by the browser to another site's socket
    cookie = _session_cookie(DoctorUserFactory())
    # when that site's page opens the socket, then the handshake is refused
    connected, _code = _connect("/ws/notifications", headers=[*EVIL, cookie])
    assert connected is False


def test_a_session_socket_without_origin_is_refused():
    cookie = _session_cookie(DoctorUserFactory())
    assert _connect("/ws/notifications", headers=[cookie])[0] is False


def test_a_session_socket_from_an_allowed_host_is_accepted():
    cookie = _session_cookie(DoctorUserFactory())
    assert _connect("/ws/notifications", headers=[(b"origin", b"http://testserver"), cookie]) == (True, None)


def test_a_session_socket_from_a_csrf_trusted_origin_is_accepted(settings):
    # given a portal served from another host than the API, listed as a trusted origin
    settings.CSRF_TRUSTED_ORIGINS = ["https://portal.tabib.example"]
    cookie = _session_cookie(DoctorUserFactory())
    origin = (b"origin", b"https://portal.tabib.example")
    assert _connect("/ws/notifications", headers=[origin, cookie]) == (True, None)
