"""Per-request cost of the telemetry added to every request, socket and log line.

    .venv/bin/python bench/telemetry_middleware.py [--number 200000]

Prints, best of 7 runs, the time per call of:
- RequestMetricsMiddleware around a view that returns at once, minus calling that view directly
  (route label read from resolver_match, two clock reads, one histogram observation);
- the log filter that adds request/trace/task ids to a record (tracing off, outside a task; and
  inside a span, tracing on with the SDK but nothing exported);
- the WebSocket wrapper's send hook per frame sent;
- a whole request through Django's stack (`GET /health/live` on the test client), in two fresh
  processes: tracing off, and tracing on exporting to a local OTLP receiver this script runs
  (`--stack-requests`, default 3000; `--stack-requests 0` skips it).
No server or network beyond 127.0.0.1: it measures our code's overhead, not a real request.
"""

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from core import telemetry  # noqa: E402
from core.logging import RequestIdFilter  # noqa: E402
from core.telemetry_middleware import RequestMetricsMiddleware, WebSocketMetrics  # noqa: E402


def best_ns(func, number: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=7)) / number * 1e9


OTLP_PORT = 18805


def stack_per_request_us(requests: int) -> float:
    """This process: best of 5 rounds of `requests` GET /health/live through the whole stack."""
    from django.test import Client

    client = Client()
    for _ in range(200):
        client.get("/health/live")
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(requests):
            client.get("/health/live")
        rounds.append((time.perf_counter() - started) / requests * 1e6)
    return min(rounds)


def stack_in_fresh_process(requests: int, endpoint: str) -> float:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, __file__, "--stack-only", str(requests)],
        env={**environment, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "DEBUG": "false"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=200_000)
    parser.add_argument("--stack-requests", type=int, default=3000)
    parser.add_argument("--stack-only", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.stack_only:
        print(stack_per_request_us(options.stack_only))
        return
    number = options.number

    request = RequestFactory().get("/api/v1/doctors/3f0c5a52-8a3e-4c1e-9a1e-2b8f3c0d9e11")
    request.resolver_match = resolve("/api/v1/doctors/3f0c5a52-8a3e-4c1e-9a1e-2b8f3c0d9e11")
    response = HttpResponse(b"{}")

    def view(_request):
        return response

    middleware = RequestMetricsMiddleware(view)
    bare = best_ns(lambda: view(request), number)
    wrapped = best_ns(lambda: middleware(request), number)
    print(f"RequestMetricsMiddleware: {wrapped - bare:7.0f} ns per request ({wrapped:.0f} - {bare:.0f})")

    record = logging.LogRecord("bench", logging.INFO, __file__, 1, "message", None, None)
    log_filter = RequestIdFilter()
    print(f"log filter, tracing off:  {best_ns(lambda: log_filter.filter(record), number):7.0f} ns per line")

    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("bench")
    from opentelemetry import trace

    telemetry._current_span = trace.get_current_span
    with tracer.start_as_current_span("bench"):
        in_span = best_ns(lambda: log_filter.filter(record), number)
    telemetry._current_span = None
    assert record.trace_id
    print(f"log filter, in a span:    {in_span:7.0f} ns per line")

    frame = {"type": "websocket.send", "text": "{}"}

    async def sockets() -> tuple[float, float]:
        sent = []

        async def app(scope, receive, send):
            await send({"type": "websocket.accept"})
            loop = asyncio.get_running_loop()
            for target in (raw_send, send):
                started = loop.time()
                for _ in range(number):
                    await target(frame)
                sent.append((loop.time() - started) / number * 1e9)

        async def raw_send(message):
            return None

        await WebSocketMetrics(app)({"type": "websocket", "path": "/ws/notifications"}, None, raw_send)
        return sent[0], sent[1]

    raw, hooked = asyncio.run(sockets())
    print(f"WebSocket send hook:      {hooked - raw:7.0f} ns per frame ({hooked:.0f} - {raw:.0f})")

    if options.stack_requests:
        from core.testing.otlp import OTLPReceiver

        receiver = OTLPReceiver(port=OTLP_PORT)
        off = stack_in_fresh_process(options.stack_requests, "")
        on = stack_in_fresh_process(options.stack_requests, receiver.endpoint)
        spans = len(receiver.spans)
        receiver.stop()
        print(f"GET /health/live, whole stack, tracing off: {off:6.0f} us per request")
        print(f"GET /health/live, whole stack, tracing on:  {on:6.0f} us per request ({spans} spans received)")


if __name__ == "__main__":
    main()
