"""The request and socket measurements behind core.metrics, kept cheap: one clock read on each side
of a request and a dict lookup for its histogram child (bench/telemetry_middleware.py measures it)."""

from time import perf_counter

from core import metrics

UNMATCHED_ROUTE = "<unmatched>"


class RequestMetricsMiddleware:
    """Times every request Django serves, labelled by the URL pattern it resolved to.

    Outermost, so the time includes the rest of the middleware. The label is the route template
    (`api/v1/doctors/<uuid:pk>`), never the raw path, which would make one series per id.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        metrics.http_request_observe(
            route=match.route if match is not None else UNMATCHED_ROUTE,
            method=request.method,
            status=response.status_code,
            seconds=perf_counter() - started,
        )
        return response


SOCKET_KINDS = ("chat", "notifications")


def socket_kind(path: str) -> str:
    """`/ws/chat/<id>/` -> "chat": the socket's kind, from a fixed set."""
    parts = path.strip("/").split("/")
    kind = parts[1] if len(parts) > 1 and parts[0] == "ws" else ""
    return kind if kind in SOCKET_KINDS else "other"


class WebSocketMetrics:
    """ASGI wrapper counting the sockets the application accepted and still holds open."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        kind = socket_kind(scope["path"])
        accepted = False

        async def counting_send(message) -> None:
            nonlocal accepted
            if not accepted and message["type"] == "websocket.accept":
                accepted = True
                metrics.websocket_opened(kind=kind)
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                metrics.websocket_closed(kind=kind)
