"""Issue 17, item 10: per-account rates on the writes an attacker would repeat, and uploads refused
on their declared size before the body is read."""

import pytest
from django.test import Client

from chat.models import Message
from chat.tests.factories import PNG, AppointmentFactory, ThreadFactory
from chat.tests.test_api import upload
from notifications.models import Device
from support.models import SupportRequest

pytestmark = pytest.mark.django_db


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


@pytest.fixture
def thread():
    appointment = AppointmentFactory()
    return ThreadFactory(patient=appointment.patient, doctor=appointment.doctor)


def _chat_message(thread, number):
    return f"/api/v1/chat/threads/{thread.pk}/messages", {"body": f"message {number}"}


def _support_request(thread, number):
    return "/api/v1/help/support-requests", {"subject": f"Help {number}", "message": "Please", "category": "account"}


def _device(thread, number):
    return "/api/v1/devices", {"platform": "android", "push_token": f"fcm-token-{number}"}


@pytest.mark.parametrize(
    ("scope", "write", "model"),
    [
        ("chat_message", _chat_message, Message),
        ("support_request", _support_request, SupportRequest),
        ("device", _device, Device),
    ],
)
def test_writes_over_the_account_rate_are_429_and_another_account_is_not_affected(
    auth_client, settings, thread, scope, write, model
):
    _rates(settings, **{scope: "2/hour"})
    client = auth_client(thread.patient)
    for number in range(2):
        url, body = write(thread, number)
        assert client.post(url, body, format="json").status_code in (200, 201)

    url, body = write(thread, 3)
    refused = client.post(url, body, format="json")
    reading = client.get(url) if scope != "device" else None
    other = auth_client(thread.doctor.user).post(*write(thread, 4), format="json")

    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert reading is None or reading.status_code == 200
    assert other.status_code in (200, 201)
    assert model.objects.count() == 3


class _UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_an_upload_declaring_more_than_the_limit_is_413_before_its_body_is_read(auth_client, thread, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024 * 1024
    client = auth_client(thread.patient)

    response = client.generic(
        "POST",
        f"/api/v1/chat/threads/{thread.pk}/attachments",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        **{"wsgi.input": _UnreadableBody()},
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert not Message.objects.exists()


def test_a_portal_page_declaring_a_huge_body_is_413_too(settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024

    response = Client().generic(
        "POST", "/portal/login/", b"", CONTENT_LENGTH="999999", **{"wsgi.input": _UnreadableBody()}
    )

    assert response.status_code == 413


def test_an_attachment_under_the_limit_is_still_accepted(auth_client, thread):
    client = auth_client(thread.patient)

    response = client.post(
        f"/api/v1/chat/threads/{thread.pk}/attachments", {"file": upload("scan.png", PNG)}, format="multipart"
    )

    assert response.status_code == 201, response.json()
