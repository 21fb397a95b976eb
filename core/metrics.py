"""Prometheus metrics: what they are, the one-line calls that record them, and their exposition.

Per process: each Daphne process keeps its own counters and serves them at `/metrics`, and
Prometheus scrapes every pod (one Daphne process per pod) on its own, so nothing is shared between
processes. A Celery worker serves its own on CELERY_METRICS_PORT (config/celery.py); with the prefork
pool its children count in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode), which
the exposition then reads whenever that variable is set.

Label values come from bounded sets only: route templates (never raw paths), status codes, task
names, socket kinds, channels and failure reasons.
"""

import hmac
import os

from django.db import transaction
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest

HTTP_REQUEST_DURATION = Histogram(
    "tabib_http_request_duration_seconds",
    "Time Django spent on a request, by route template, method and status code.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CELERY_TASKS = Counter("tabib_celery_tasks", "Celery task runs by outcome.", ["task", "outcome"])
CELERY_TASK_DURATION = Histogram(
    "tabib_celery_task_duration_seconds",
    "Time a Celery task ran, whatever its outcome.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)
WEBSOCKETS_OPEN = Gauge("tabib_websockets_open", "WebSockets open now, by kind.", ["kind"], multiprocess_mode="livesum")
WEBSOCKETS_OPENED = Counter("tabib_websockets_opened", "WebSockets accepted, by kind.", ["kind"])
SOCKET_DELIVERY_ERRORS = Counter(
    "tabib_socket_delivery_errors",
    "Events that could not be handed to the channel layer for the users' sockets, by event type.",
    ["event"],
)
PAYMENT_FAILURES = Counter(
    "tabib_payment_failures",
    "Failed payments: declined by the gateway (webhook) or the gateway refusing or unreachable.",
    ["reason"],
)
NOTIFICATION_FAILURES = Counter(
    "tabib_notification_failures", "Notification deliveries failed for good, by channel.", ["channel"]
)

# Children resolved once per label set: `labels()` takes a lock and builds a tuple on every call.
_http_children: dict[tuple[str, str, int], object] = {}


def http_request_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    child = _http_children.get(key)
    if child is None:
        child = _http_children[key] = HTTP_REQUEST_DURATION.labels(route=route, method=method, status=str(status))
    child.observe(seconds)


def celery_task_outcome(*, task: str, outcome: str) -> None:
    CELERY_TASKS.labels(task=task, outcome=outcome).inc()


def celery_task_observe(*, task: str, seconds: float) -> None:
    CELERY_TASK_DURATION.labels(task=task).observe(seconds)


def websocket_opened(*, kind: str) -> None:
    WEBSOCKETS_OPEN.labels(kind=kind).inc()
    WEBSOCKETS_OPENED.labels(kind=kind).inc()


def websocket_closed(*, kind: str) -> None:
    WEBSOCKETS_OPEN.labels(kind=kind).dec()


def socket_delivery_failed(*, event: str) -> None:
    SOCKET_DELIVERY_ERRORS.labels(event=event).inc()


def payment_declined() -> None:
    """Count a payment the gateway declined once the transaction recording it commits (a rolled-back
    webhook is delivered again and would count twice)."""
    transaction.on_commit(PAYMENT_FAILURES.labels(reason="declined").inc)


def payment_provider_failed() -> None:
    """Count a gateway call that failed (refused or unreachable): the caller's transaction rolls
    back with the error, so it counts at once."""
    PAYMENT_FAILURES.labels(reason="provider_error").inc()


def notification_failed(*, channel: str) -> None:
    """Count a delivery failed for good once the transaction recording it commits."""
    transaction.on_commit(NOTIFICATION_FAILURES.labels(channel=channel).inc)


def metrics_exposition() -> tuple[bytes, str]:
    """The text exposition of this process's metrics (of every process sharing
    PROMETHEUS_MULTIPROC_DIR when it is set) and its content type."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return _generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_token_valid(authorization: str) -> bool:
    """True for `Bearer <METRICS_TOKEN>`; always False while METRICS_TOKEN is unset."""
    from django.conf import settings

    expected = settings.METRICS_TOKEN
    scheme, _, token = authorization.partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), expected.encode())
