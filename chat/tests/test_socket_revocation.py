"""Issue 17, item 4: an open socket does not outlive the account's tokens.

Logout, password change or reset and erasure close every open socket of that user (chat and
notifications) through the per-user group; a frame after the socket's token expired closes it;
frames count against a per-account rate."""

import asyncio
import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpResponse
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory
from chat.models import Message
from chat.tests.test_consumers import ORIGIN, connect_as, open_socket
from config.asgi import application
from core.testing.admin import admin_form_data

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_4401 = {"type": "websocket.close", "code": 4401}


def _bearer(tokens: dict) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def _logout(user, tokens):
    return APIClient().post("/api/v1/auth/logout", {"refresh": tokens["refresh"]})


def _password_change(user, tokens):
    return _bearer(tokens).post(
        "/api/v1/auth/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": "another-Quiet-river-77"}
    )


def _password_reset(user, tokens):
    user.refresh_from_db()  # the token covers last_login, which the login above changed
    link = {"uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}
    return APIClient().post("/api/v1/auth/password/reset", {**link, "new_password": "another-Quiet-river-77"})


def _erasure(user, tokens):
    return _bearer(tokens).delete("/api/v1/users/me")


def _portal_logout(user, tokens):
    browser = Client()
    browser.force_login(user)
    browser.post("/portal/logout/")
    return HttpResponse(status=204)


def _admin_deactivation(user, tokens):
    staff = AdminFactory()
    browser = Client()
    browser.force_login(staff)
    url = f"/admin/accounts/user/{user.pk}/change/"
    response = browser.post(url, admin_form_data(browser.get(url), is_active=""))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return HttpResponse(status=204)


@pytest.mark.parametrize(
    "revoke", [_logout, _password_change, _password_reset, _erasure, _portal_logout, _admin_deactivation]
)
def test_revoking_the_account_closes_its_open_sockets_and_only_its_own(thread, revoke):
    patient = thread.patient
    tokens = APIClient().post("/api/v1/auth/login", {"email": patient.email, "password": DEFAULT_PASSWORD}).json()

    async def scenario():
        chat = await open_socket(thread.pk, tokens["access"])
        notifications = WebsocketCommunicator(application, f"/ws/notifications?token={tokens['access']}", ORIGIN)
        assert (await notifications.connect())[0]
        doctor = await connect_as(thread.doctor.user, thread.pk)

        response = await database_sync_to_async(revoke)(patient, tokens)

        closed = [await chat.receive_output(timeout=3), await notifications.receive_output(timeout=3)]
        doctor_still_open = await doctor.receive_nothing(timeout=0.3)
        await doctor.disconnect()
        return response, closed, doctor_still_open

    response, closed, doctor_still_open = async_to_sync(scenario)()

    assert response.status_code == 204
    assert closed == [CLOSED_4401, CLOSED_4401]
    assert doctor_still_open


def test_a_frame_after_the_token_expired_closes_the_socket_and_is_not_handled(thread):
    token = AccessToken.for_user(thread.patient)
    token.set_exp(lifetime=timedelta(seconds=2))

    async def scenario():
        chat = await open_socket(thread.pk, str(token))
        await chat.send_json_to({"type": "message", "body": "while valid", "client_id": "a"})
        before_expiry = await chat.receive_json_from(timeout=3)
        await chat.receive_json_from(timeout=3)
        await asyncio.sleep(max(0.0, token["exp"] - time.time()) + 0.2)

        await chat.send_json_to({"type": "message", "body": "after expiry", "client_id": "b"})
        return before_expiry, await chat.receive_output(timeout=3)

    before_expiry, closed = async_to_sync(scenario)()

    assert before_expiry["type"] in {"ack", "message"}
    assert closed == CLOSED_4401
    assert list(Message.objects.values_list("body", flat=True)) == ["while valid"]


def test_frames_over_the_account_rate_are_dropped_with_a_throttled_error(thread, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "socket_frame": "2/min"},
    }

    async def scenario():
        # Two sockets of one account share the rate.
        first = await connect_as(thread.patient, thread.pk)
        second = await connect_as(thread.patient, thread.pk)
        for number in ("one", "two"):
            await first.send_json_to({"type": "message", "body": number, "client_id": number})
            await first.receive_json_from(timeout=3)
            await first.receive_json_from(timeout=3)

        await second.send_json_to({"type": "message", "body": "three", "client_id": "three"})
        received = []
        while not await second.receive_nothing(timeout=0.3):
            received.append(await second.receive_json_from(timeout=3))
        await first.disconnect()
        await second.disconnect()
        return [frame for frame in received if frame["type"] == "error"]

    errors = async_to_sync(scenario)()

    assert [error["code"] for error in errors] == ["throttled"]
    assert sorted(Message.objects.values_list("body", flat=True)) == ["one", "two"]
