"""The metrics endpoint of a process that has no Django server (a Celery worker): a small WSGI
server on its own thread answering `GET /metrics` with the bearer token, 404 for anything else."""

import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from core.metrics import metrics_exposition, metrics_token_valid


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


def metrics_app(environ, start_response):
    if environ.get("PATH_INFO") != "/metrics" or not metrics_token_valid(environ.get("HTTP_AUTHORIZATION", "")):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]
    body, content_type = metrics_exposition()
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def metrics_server_start(*, host: str, port: int) -> WSGIServer:
    server = make_server(host, port, metrics_app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    return server
