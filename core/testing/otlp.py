"""A local OTLP/HTTP trace receiver for tests: what an OpenTelemetry collector would get.

It decodes each `POST /v1/traces` body as the protobuf ExportTraceServiceRequest the SDK's exporter
sends and keeps the spans, so a test can assert on real exported traces from other processes.
"""

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    service: str
    start_ns: int
    end_ns: int
    attributes: dict = field(hash=False)


def _value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path != "/v1/traces":
            self.send_response(404)
            self.end_headers()
            return
        self.server.receive(ExportTraceServiceRequest.FromString(body))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class OTLPReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def receive(self, request: ExportTraceServiceRequest) -> None:
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=SpanProto.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_").lower(),
                            service=resource.get("service.name", ""),
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                            attributes={a.key: _value(a.value) for a in span.attributes},
                        )
                    )
        with self._lock:
            self.spans.extend(received)

    def wait_for(self, predicate, timeout: float = 60) -> list[ReceivedSpan]:
        """The spans received once `predicate(spans)` holds; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                spans = list(self.spans)
            if predicate(spans):
                return spans
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching spans after {timeout}s; got {[s.name for s in spans]}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def trace_tree(spans: list[ReceivedSpan], trace_id: str) -> str:
    """One trace as an indented tree, children under their parent in start order:
    `+offset ms  duration ms  service kind name`."""
    in_trace = [span for span in spans if span.trace_id == trace_id]
    ids = {span.span_id for span in in_trace}
    children: dict[str, list[ReceivedSpan]] = {}
    for span in in_trace:
        children.setdefault(span.parent_span_id if span.parent_span_id in ids else "", []).append(span)
    lines: list[str] = []
    origin = min((span.start_ns for span in in_trace), default=0)

    def walk(parent: str, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda span: span.start_ns):
            offset, duration = (span.start_ns - origin) / 1e6, (span.end_ns - span.start_ns) / 1e6
            lines.append(f"+{offset:8.1f} ms {duration:7.1f} ms  {'  ' * depth}{span.service} {span.kind} {span.name}")
            walk(span.span_id, depth + 1)

    walk("", 0)
    return "\n".join(lines)
