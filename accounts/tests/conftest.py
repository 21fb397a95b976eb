"""Stand-ins for Google's JWKS and Facebook's Graph API: a real HTTP server on 127.0.0.1."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

Route = Callable[[dict[str, str]], tuple[int, dict]]


class StandInServer:
    """Routes are `path -> handler(query) -> (status, json body)`; every request is recorded."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parsed = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                server.requests.append((parsed.path, query))
                route = server.routes.get(parsed.path)
                status, body = route(query) if route else (404, {"error": "not found"})
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, path: str, handler: Route) -> None:
        self.routes[path] = handler


@pytest.fixture
def stand_in_server():
    server = StandInServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
