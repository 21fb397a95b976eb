"""config.asgi serves HTTP through `SyncChainASGIHandler`: each request whole in one call on a
bounded pool of reused threads, with the same answers as Django's own ASGI handler, middleware
included."""

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.testing import HttpCommunicator
from django.conf import settings
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.asgi import ASGIHandler
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from chat.events import attachment_url
from chat.services import message_send_attachment
from chat.tests.factories import PNG, AppointmentFactory, ThreadFactory
from core.asgi_handler import SyncChainASGIHandler
from core.tests.asgi import asgi_get

pytestmark = pytest.mark.django_db(transaction=True)


def _bearer(user) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def test_every_kind_of_request_gets_the_answer_djangos_handler_gives():
    user = UserFactory(locale="fr")
    bearer = _bearer(user)
    requests = [
        ("/health/live", {}),
        ("/api/v1/users/me", {"Authorization": bearer}),
        ("/api/v1/users/me/", {"Authorization": bearer, "Accept-Language": "en"}),
        ("/api/v1/users/me", {}),
        ("/api/v1/no-such-thing", {"Accept-Language": "fr"}),
        ("/api/v1/doctors?min_rating=nine", {}),
        ("/portal/", {}),
    ]
    ours, djangos = SyncChainASGIHandler(), ASGIHandler()

    for url, headers in requests:
        headers = {"X-Request-ID": "same-id", **headers}
        expected = asgi_get(djangos, url, headers)

        assert asgi_get(ours, url, headers) == expected, url


def test_a_streamed_file_download_gets_the_answer_djangos_handler_gives(settings, tmp_path):
    # given a chat attachment, which the API streams as a file
    settings.MEDIA_ROOT = tmp_path
    appointment = AppointmentFactory()
    thread = ThreadFactory(patient=appointment.patient, doctor=appointment.doctor)
    message, _ = message_send_attachment(
        thread=thread, sender=thread.patient, file=SimpleUploadedFile("scan.png", PNG, content_type="image/png")
    )
    headers = {"Authorization": _bearer(thread.doctor.user), "X-Request-ID": "same-id"}

    # when the doctor downloads it through each handler
    ours = _sent_messages(SyncChainASGIHandler(), attachment_url(message), headers)
    djangos = _sent_messages(ASGIHandler(), attachment_url(message), headers)

    # then both send the same file in the same messages, headers and all
    assert ours[0]["status"] == 200
    assert b"".join(sent.get("body", b"") for sent in ours[1:]) == PNG
    assert ours == djangos


def _sent_messages(app, url: str, headers: dict[str, str]) -> list[dict]:
    """Every ASGI message `app` sends for GET `url` (the test communicator of Channels cannot read
    a streamed body's closing message, which has no `body`)."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *((k.lower().encode(), v.encode()) for k, v in headers.items())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def run() -> list[dict]:
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        messages = [await communicator.receive_output(timeout=10)]
        while messages[-1]["type"] == "http.response.start" or messages[-1].get("more_body"):
            messages.append(await communicator.receive_output(timeout=10))
        await communicator.wait(timeout=10)
        return messages

    return asyncio.run(run())


def _burst(app, url: str, headers: list[tuple[bytes, bytes]], count: int) -> list[int]:
    async def one() -> int:
        communicator = HttpCommunicator(app, "GET", url, headers=[(b"host", b"testserver"), *headers])
        response = await communicator.get_response(timeout=30)
        await communicator.wait(timeout=30)
        return response["status"]

    async def every() -> list[int]:
        return list(await asyncio.gather(*(one() for _ in range(count))))

    return asyncio.run(every())


def test_a_burst_is_served_by_the_bounded_pool_of_reused_threads():
    # given three times as many simultaneous requests as the pool has threads
    user = UserFactory()
    served_by: set[str] = set()

    def note_thread(**kwargs) -> None:
        served_by.add(threading.current_thread().name)

    signals.request_started.connect(note_thread, weak=False)
    try:
        # when they all arrive at once
        statuses = _burst(
            SyncChainASGIHandler(),
            "/api/v1/users/me",
            [(b"authorization", _bearer(user).encode())],
            3 * settings.ASGI_REQUEST_THREADS,
        )
    finally:
        signals.request_started.disconnect(note_thread)

    # then every one is answered, by at most ASGI_REQUEST_THREADS threads of the handler's pool
    # (Django's own handler starts a thread per request)
    assert statuses == [200] * (3 * settings.ASGI_REQUEST_THREADS)
    assert served_by
    assert len(served_by) <= settings.ASGI_REQUEST_THREADS
    assert all(name.startswith("django-http") for name in served_by), served_by


@pytest.mark.postgres
def test_every_request_hands_its_database_connection_back_to_the_pool():
    # given the PostgreSQL connection pool of production settings
    pool = getattr(connection, "pool", None)
    if pool is None:
        pytest.skip("the database connection pool is off (DB_POOL_MAX_SIZE=0)")
    user = UserFactory()
    in_use_by_this_test = _checked_out(pool)

    # when a burst of requests that each read the database has been answered
    statuses = _burst(
        SyncChainASGIHandler(),
        "/api/v1/users/me",
        [(b"authorization", _bearer(user).encode())],
        2 * settings.ASGI_REQUEST_THREADS,
    )

    # then no connection is still checked out by the threads that served them
    assert set(statuses) == {200}
    assert _checked_out(pool) == in_use_by_this_test, pool.get_stats()


def _checked_out(pool) -> int:
    stats = pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]
