"""Requests through the HTTP ASGI stack, as Daphne makes them, for the fast path tests."""

import asyncio
from dataclasses import dataclass

from channels.testing import HttpCommunicator

from core.asgi_fast_path import AsgiFastPath
from core.asgi_handler import SyncChainASGIHandler


class CountingDjango:
    """The Django ASGI application of config.asgi, counting the requests that reach it."""

    def __init__(self) -> None:
        self.app = SyncChainASGIHandler()
        self.calls = 0

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


@dataclass
class AsgiResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def fast_path_app(*routes) -> tuple[AsgiFastPath, CountingDjango]:
    """The HTTP stack of `config.asgi` with these routes (built under the current settings)."""
    django = CountingDjango()
    return AsgiFastPath(django, routes=routes), django


def asgi_get(app, url: str, headers: dict[str, str] | None = None) -> AsgiResponse:
    """GET `url` (path and query) from testserver; header names in the answer are lower case."""
    sent = [
        (b"host", b"testserver"),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]

    async def get() -> dict:
        communicator = HttpCommunicator(app, "GET", url, headers=sent)
        response = await communicator.get_response(timeout=10)
        # Let the application finish as Daphne does: Django closes the response (request_finished
        # hands the database connection back to the pool) after the body is sent.
        await communicator.wait(timeout=10)
        return response

    response = asyncio.run(get())
    return AsgiResponse(
        status=response["status"],
        body=response["body"],
        headers={name.decode().lower(): value.decode() for name, value in response["headers"]},
    )
