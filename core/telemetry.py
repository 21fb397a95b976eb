"""OpenTelemetry tracing, switched on by OTEL_EXPORTER_OTLP_ENDPOINT.

Unset: nothing here imports OpenTelemetry and nothing is instrumented, so tracing costs nothing.
Set: spans for Django requests (under Daphne, named by route), Celery (publish and run: the
instrumentation carries the trace context in the message headers, so a task's spans join the
request that queued it), psycopg, Redis, requests, httpx and Django's email backend, exported in
batches over OTLP/HTTP to `<endpoint>/v1/traces`. The standard OTEL_* variables still apply
(OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER...).

Called once per process from `CoreConfig.ready()`, which runs before Django loads its middleware
(Daphne, manage.py) and, in a Celery worker, before the pool forks (the batch exporter restarts its
thread in each child).
"""

import functools
import os

from django.conf import settings
from django.utils.module_loading import import_string

_enabled = False
# opentelemetry.trace.get_current_span once tracing is on.
_current_span = None


def tracing_enabled() -> bool:
    return _enabled


def tracing_configure() -> bool:
    """Instrument this process when an OTLP endpoint is configured; True when tracing is on."""
    global _enabled, _current_span
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    if _enabled or not endpoint:
        return _enabled
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {"service.version": settings.APP_VERSION}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = "tabib"
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")))
    trace.set_tracer_provider(provider)

    DjangoInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    RedisInstrumentor().instrument()
    RequestsInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    _instrument_email_backend(trace.get_tracer(__name__))
    _current_span = trace.get_current_span
    _enabled = True
    return True


def _instrument_email_backend(tracer) -> None:
    """A client span around every `send_messages` of the configured email backend (no OpenTelemetry
    package instruments smtplib or Django's mail)."""
    backend = import_string(settings.EMAIL_BACKEND)
    send_messages = backend.send_messages

    @functools.wraps(send_messages)
    def traced_send_messages(self, email_messages):
        from opentelemetry.trace import SpanKind

        with tracer.start_as_current_span(
            "email.send",
            kind=SpanKind.CLIENT,
            attributes={"email.backend": settings.EMAIL_BACKEND, "email.messages": len(email_messages)},
        ):
            return send_messages(self, email_messages)

    backend.send_messages = traced_send_messages


def trace_ids() -> tuple[str, str]:
    """(trace id, span id) of the current span as hex, or empty strings without one."""
    if _current_span is None:
        return "", ""
    context = _current_span().get_span_context()
    if not context.is_valid:
        return "", ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
