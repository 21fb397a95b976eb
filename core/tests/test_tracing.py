"""One booking traced end to end across real processes: Daphne serves the request, a Celery worker
(prefork, on Redis) runs the email task, the SMTP stand-in gets the email, and both processes export
their spans over OTLP/HTTP to a receiver this test runs. Nothing here is in-process or eager: the
trace context can only get from the request to the task through the Celery message."""

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import PatientFactory
from appointments.tests.factories import first_free_slot, open_every_day
from core.testing.daphne import daphne_servers, database_url, process_stop
from core.testing.otlp import OTLPReceiver, trace_tree
from doctors.tests.factories import DoctorProfileFactory
from notifications.tests.stand_ins import SMTPStandIn

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# This helper's ports (18800-18899): receiver, SMTP, Daphne, the worker's metrics.
OTLP_PORT, SMTP_PORT, DAPHNE_PORT, WORKER_METRICS_PORT = 18800, 18801, 18802, 18803
METRICS_TOKEN = "worker-scrape-token"
EMAIL_TASK = "notifications.tasks.notification_email_deliver"


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def receiver():
    server = OTLPReceiver(port=OTLP_PORT)
    yield server
    server.stop()


@pytest.fixture
def smtp():
    server = SMTPStandIn(["250 OK"], port=SMTP_PORT)
    yield server
    server.shutdown()
    server.server_close()


def _process_env(receiver, service: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "LOG_FORMAT": "json",  # as deployed (the dev settings default to text)
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_SERVICE_NAME": service,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }


@pytest.fixture
def worker(receiver, tmp_path):
    """A real Celery worker (prefork, one child) on this test's database and Redis db, serving its
    metrics (multiprocess mode: the child counts, the main process serves); yields the file its log
    lines go to."""
    metrics_env = {
        "CELERY_METRICS_PORT": str(WORKER_METRICS_PORT),
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1"),
                *("--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "INFO"),
            ],
            cwd=settings.BASE_DIR,
            env={**os.environ, **_process_env(receiver, "tabib-worker"), **metrics_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield log
        process_stop(process)


def _json_lines(log) -> list[dict]:
    log.seek(0)
    lines = []
    for raw in log.read().decode(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def test_one_trace_spans_the_booking_request_the_celery_task_and_the_email(receiver, smtp, worker):
    doctor = DoctorProfileFactory()
    open_every_day(doctor)
    patient = PatientFactory()
    start = first_free_slot(doctor, timedelta(days=2))
    token = RefreshToken.for_user(patient).access_token

    with daphne_servers(
        settings_module="config.settings.dev",
        extra_env=_process_env(receiver, "tabib-web"),
        ports=[DAPHNE_PORT],
    ) as [port]:
        response = requests.post(
            f"http://127.0.0.1:{port}/api/v1/appointments",
            json={
                "doctor_id": str(doctor.pk),
                "start": start.isoformat().replace("+00:00", "Z"),
                "payment_method": "clinic",
            },
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "booking-trace-1"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        # The patient and the doctor are each emailed by the worker.
        _wait(lambda: len(smtp.messages) == 2, 90, "the two emails")

        def booking_trace_complete(spans) -> bool:
            # Every span the assertions below walk: each process exports its spans in batches as
            # they end, and a task's run span ends (so is sent) after the email span inside it.
            names = [span.name for span in spans]
            return (
                names.count("email.send") == 2
                and names.count(f"run/{EMAIL_TASK}") >= 2
                and names.count(f"apply_async/{EMAIL_TASK}") >= 2
                and any(span.kind == "server" for span in spans)
            )

        spans = receiver.wait_for(booking_trace_complete, timeout=60)

    server = next(span for span in spans if span.kind == "server" and span.attributes.get("http.method") == "POST")
    trace = [span for span in spans if span.trace_id == server.trace_id]
    by_id = {span.span_id: span for span in trace}

    def ancestors(span) -> list:
        chain = []
        while span.parent_span_id in by_id:
            span = by_id[span.parent_span_id]
            chain.append(span)
        return chain

    emails = [span for span in trace if span.name == "email.send"]
    assert len(emails) == 2
    for email in emails:
        chain = ancestors(email)
        assert [span.name for span in chain[:1]] == [f"run/{EMAIL_TASK}"]
        assert chain[0].service == "tabib-worker" and chain[0].kind == "consumer"
        publish = chain[1]
        assert publish.name == f"apply_async/{EMAIL_TASK}" and publish.service == "tabib-web"
        assert chain[-1] == server
    assert server.service == "tabib-web"
    assert server.name == "POST api/v1/appointments"
    assert server.attributes.get("http.route") == "api/v1/appointments"
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        assert any(span.attributes.get("db.system") == "postgresql" for span in trace if span.service == "tabib-web")
        assert any(span.attributes.get("db.system") == "postgresql" for span in trace if span.service == "tabib-worker")
    assert any(span.attributes.get("db.system") == "redis" for span in trace)
    print(f"\ntrace {server.trace_id}\n{trace_tree(spans, server.trace_id)}")

    # The worker's own log lines for that task carry the request's id and the trace.
    task_lines = [line for line in _json_lines(worker) if line.get("task_name") == EMAIL_TASK]
    worker.seek(0)
    assert task_lines, "no worker log line for the email task:\n" + worker.read().decode(errors="replace")[-3000:]
    assert {line["request_id"] for line in task_lines} == {"booking-trace-1"}
    assert {line["trace_id"] for line in task_lines} == {server.trace_id}
    assert all(line["span_id"] for line in task_lines)

    # The worker's metrics: both runs counted by the prefork child, served by the main process.
    scrape = f"http://127.0.0.1:{WORKER_METRICS_PORT}/metrics"
    assert requests.get(scrape, timeout=10).status_code == 404
    metrics_page = requests.get(scrape, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert metrics_page.status_code == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics_page.text)
        for sample in family.samples
    }
    assert samples[("tabib_celery_tasks_total", (("outcome", "succeeded"), ("task", EMAIL_TASK)))] == 2
