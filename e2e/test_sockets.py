"""Who may open a socket: native apps with a token (no Origin), not a bad, expired or foreign one,
and not a foreign site riding on the portal's session cookie."""

import asyncio
import re
import time
import uuid
from http.cookies import SimpleCookie

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from clients import api, book, doctor_create, expect, next_frame, patient_register, socket
from stack import PASSWORD


@pytest.fixture(scope="module")
def thread(stack):
    doctor, patient = doctor_create(stack), patient_register(stack)
    book(stack, patient, doctor, payment_method="clinic")
    with api(stack.http, patient) as client:
        thread = expect(client.post("/chat/threads", json={"doctor_id": doctor.doctor_id}), 201)
    return {"id": thread["id"], "patient": patient, "doctor": doctor}


def _close_code(url: str, **kwargs) -> int | None:
    """How the server ends a socket it should refuse: the close code, or None if refused at the handshake."""

    async def attempt():
        try:
            async with socket(url, **kwargs) as connection:
                await asyncio.wait_for(connection.recv(), 10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
        except InvalidStatus as refused:
            assert refused.response.status_code == 403
            return None
        raise AssertionError("the socket stayed open")

    return asyncio.run(attempt())


def test_a_token_socket_with_no_origin_is_accepted_and_stays_open_on_both_processes(stack, thread):
    patient = thread["patient"]

    async def connect_both():
        async with (
            socket(f"{stack.ws}/ws/chat/{thread['id']}?token={patient.access}") as on_a,
            socket(f"{stack.ws_b}/ws/notifications?token={patient.access}") as on_b,
        ):
            # the client really sent no Origin header
            assert "Origin" not in on_a.request.headers and "Origin" not in on_b.request.headers
            await asyncio.sleep(2)
            await on_a.ping()
            await on_b.ping()
            await on_a.send('{"type": "typing"}')  # a frame goes through: the socket is usable
            with api(stack.http, thread["doctor"]) as client:
                client.post(f"/chat/threads/{thread['id']}/messages", json={"body": "still there?"})
            return await next_frame(on_a, "message")

    frame = asyncio.run(connect_both())
    assert frame["message"]["body"] == "still there?"


def test_a_bad_token_is_refused_with_4401(stack, thread):
    assert _close_code(f"{stack.ws}/ws/chat/{thread['id']}?token=not-a-token") == 4401
    assert _close_code(f"{stack.ws_b}/ws/notifications?token=not-a-token") == 4401


def test_an_expired_token_is_refused_with_4401(stack, thread):
    # an access token signed with the server's key, for a real user, that expired a minute ago
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now - 60,
        "iat": now - 960,
        "jti": uuid.uuid4().hex,
        "user_id": thread["patient"].user_id,
    }
    key = stack.env["SECRET_KEY"]
    expired = jwt.encode(claims, key, algorithm="HS256")
    assert _close_code(f"{stack.ws}/ws/chat/{thread['id']}?token={expired}") == 4401
    # the same claims unexpired are accepted: the refusal is the expiry, not the forgery
    fresh = jwt.encode(
        {**claims, "exp": now + 600, "jti": uuid.uuid4().hex}, stack.env["SECRET_KEY"], algorithm="HS256"
    )

    async def accepted():
        async with socket(f"{stack.ws}/ws/notifications?token={fresh}") as connection:
            await connection.ping()
            return True

    assert asyncio.run(accepted())


def test_a_non_participant_is_refused_with_4403(stack, thread):
    stranger = patient_register(stack)
    assert _close_code(f"{stack.ws}/ws/chat/{thread['id']}?token={stranger.access}") == 4403


def _portal_session_cookie(stack, email: str) -> str:
    """Sign in on the portal's page as a browser does; the session cookie it sets."""
    with httpx.Client(base_url=stack.http, timeout=30) as browser:
        page = browser.get("/portal/login/")
        csrf_cookie = SimpleCookie(page.headers["set-cookie"])["csrftoken"].value
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = browser.post(
            "/portal/login/",
            data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Cookie": f"csrftoken={csrf_cookie}", "Referer": f"{stack.http}/portal/login/"},
        )
    assert signed_in.status_code == 302, signed_in.text[:500]
    cookies = SimpleCookie()
    for header in signed_in.headers.get_list("set-cookie"):
        cookies.load(header)
    return f"sessionid={cookies['sessionid'].value}"


def test_a_portal_session_socket_from_a_foreign_origin_is_refused_and_from_the_portal_accepted(stack, thread):
    cookie = _portal_session_cookie(stack, thread["doctor"].email)
    url = f"{stack.ws}/ws/chat/{thread['id']}"
    # a page on evil.example opening the socket (the browser adds the doctor's cookie)
    assert _close_code(url, origin="https://evil.example", additional_headers={"Cookie": cookie}) is None

    # the portal's own page, same cookie
    async def from_the_portal():
        async with socket(url, origin=stack.http, additional_headers={"Cookie": cookie}) as connection:
            await connection.ping()
            return True

    assert asyncio.run(from_the_portal())
