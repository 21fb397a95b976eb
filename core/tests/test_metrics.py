"""/metrics and what it counts: request latency by route, Celery outcomes, sockets, socket delivery."""

import logging
import uuid

import pytest
from asgiref.sync import async_to_sync
from celery import shared_task
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import PatientFactory
from config.asgi import application
from core.effects import broadcast
from core.middleware import current_request_id
from core.testing.metrics import metric_value

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


@shared_task(name="core.tests.test_metrics.request_id_seen")
def request_id_seen() -> str:
    """Returns the request id the task ran under, and logs a line."""
    logging.getLogger("core.tests").warning("inside the task")
    return current_request_id.get()


@shared_task(name="core.tests.test_metrics.always_fails")
def always_fails() -> None:
    raise ValueError("boom")


# --- /metrics -------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", ["", f"Bearer {TOKEN}"])
def test_metrics_is_404_while_no_token_is_configured(client, settings, authorization):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 404


@pytest.mark.parametrize("authorization", ["", "Bearer wrong-token", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x"])
def test_metrics_refuses_a_missing_or_wrong_token_with_404(client, settings, authorization):
    settings.METRICS_TOKEN = TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 404
    assert b"tabib_" not in response.content


def test_request_latency_is_labelled_by_route_template_not_by_path(client, settings):
    # given two requests for two different doctors (both unknown: 404) and one for no route at all
    settings.METRICS_TOKEN = TOKEN
    labels = {"route": "api/v1/doctors/<uuid:pk>", "method": "GET", "status": "404"}
    before = metric_value("tabib_http_request_duration_seconds_count", **labels)
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
    before_unmatched = metric_value("tabib_http_request_duration_seconds_count", **unmatched)
    first, second = uuid.uuid4(), uuid.uuid4()
    client.get(f"/api/v1/doctors/{first}")
    client.get(f"/api/v1/doctors/{second}")
    client.get(f"/no-such-page/{first}")

    # when Prometheus scrapes
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    # then both doctor requests fall in one series named by the route template; no id is a label
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert metric_value("tabib_http_request_duration_seconds_count", **labels) == before + 2
    assert metric_value("tabib_http_request_duration_seconds_count", **unmatched) == before_unmatched + 1
    body = response.content.decode()
    assert 'route="api/v1/doctors/<uuid:pk>"' in body
    assert str(first) not in body and str(second) not in body


# --- Celery ---------------------------------------------------------------------------------------


def test_task_outcomes_are_counted():
    succeeded = metric_value("tabib_celery_tasks_total", task=request_id_seen.name, outcome="succeeded")
    failed = metric_value("tabib_celery_tasks_total", task=always_fails.name, outcome="failed")

    request_id_seen.delay()
    always_fails.delay()

    assert metric_value("tabib_celery_tasks_total", task=request_id_seen.name, outcome="succeeded") == succeeded + 1
    assert metric_value("tabib_celery_tasks_total", task=always_fails.name, outcome="failed") == failed + 1
    assert metric_value("tabib_celery_task_duration_seconds_count", task=always_fails.name) >= 1


# --- Sockets --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_open_sockets_are_counted_while_open():
    user = PatientFactory()
    token = RefreshToken.for_user(user).access_token
    before = metric_value("tabib_websockets_open", kind="notifications")
    opened = metric_value("tabib_websockets_opened_total", kind="notifications")

    async def scenario() -> float:
        communicator = WebsocketCommunicator(
            application, f"/ws/notifications?token={token}", headers=[(b"origin", b"http://localhost")]
        )
        connected, _code = await communicator.connect(timeout=5)
        assert connected
        while_open = metric_value("tabib_websockets_open", kind="notifications")
        await communicator.disconnect()
        return while_open

    assert async_to_sync(scenario)() == before + 1
    assert metric_value("tabib_websockets_open", kind="notifications") == before
    assert metric_value("tabib_websockets_opened_total", kind="notifications") == opened + 1


@pytest.mark.django_db(transaction=True)
def test_a_socket_refused_for_its_token_does_not_stay_in_the_open_gauge():
    # A bad token is accepted then closed with 4401 (so the app can tell "refresh your token"):
    # the open gauge must come back down once it is closed.
    before = metric_value("tabib_websockets_open", kind="notifications")

    async def scenario() -> int | None:
        communicator = WebsocketCommunicator(application, "/ws/notifications?token=not-a-token")
        connected, _code = await communicator.connect(timeout=5)
        assert connected
        closed = await communicator.receive_output(timeout=5)
        await communicator.wait(timeout=5)
        return closed.get("code")

    assert async_to_sync(scenario)() == 4401
    assert metric_value("tabib_websockets_open", kind="notifications") == before


def test_an_event_the_channel_layer_cannot_take_is_counted_and_does_not_fail_the_caller(
    settings, django_capture_on_commit_callbacks, caplog
):
    # given a channel layer on a Redis address nothing listens on
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:18896"]},
        }
    }
    before = metric_value("tabib_socket_delivery_errors_total", event="notification.created")

    # when a committed change broadcasts to two users' sockets
    with django_capture_on_commit_callbacks(execute=True):
        broadcast(["user.a", "user.b"], {"type": "notification.created"})

    # then each failed hand-over is counted and logged, and the caller carries on
    assert metric_value("tabib_socket_delivery_errors_total", event="notification.created") == before + 2
    assert "socket event not delivered" in caplog.text
