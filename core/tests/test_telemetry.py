"""Tracing is all or nothing: without an OTLP endpoint no OpenTelemetry code is loaded at all."""

import json
import os
import subprocess
import sys

from django.conf import settings

REPORT = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.utils.module_loading import import_string
print(json.dumps({
    "modules": sorted(name for name in sys.modules if name.startswith("opentelemetry")),
    "middleware": settings.MIDDLEWARE,
    "email_traced": hasattr(import_string(settings.EMAIL_BACKEND).send_messages, "__wrapped__"),
}))
"""


def _process_after_setup(**env: str) -> dict:
    """What a fresh process looks like once Django is set up with `env`."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=settings.BASE_DIR,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "false", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_an_endpoint_no_opentelemetry_module_is_loaded():
    process = _process_after_setup(OTEL_EXPORTER_OTLP_ENDPOINT="")

    assert process["modules"] == []
    assert not any("opentelemetry" in name for name in process["middleware"])
    assert process["email_traced"] is False


def test_with_an_endpoint_django_celery_database_redis_http_and_email_are_instrumented():
    # Nothing listens on this port: setting up exports nothing.
    process = _process_after_setup(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:18804")

    loaded = set(process["modules"])
    for instrumentation in ("django", "celery", "psycopg", "redis", "requests", "httpx"):
        assert f"opentelemetry.instrumentation.{instrumentation}" in loaded
    assert "opentelemetry.exporter.otlp.proto.http.trace_exporter" in loaded
    assert process["middleware"][0].startswith("opentelemetry.instrumentation.django.middleware.")
    assert process["email_traced"] is True
