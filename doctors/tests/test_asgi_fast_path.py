import asyncio

import pytest

from doctors.asgi import DirectorySearchFastPath
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


class DjangoStandIn:
    """The inner ASGI app: records that the request fell through to Django."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def asgi_get(app, query: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/api/v1/doctors", "query_string": query, "scheme": "http",
             "headers": [(b"host", b"testserver"), *headers]}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_a_cached_anonymous_page_is_served_without_django_and_identical(client):
    DoctorProfileFactory()
    stand_in = DjangoStandIn()
    app = DirectorySearchFastPath(stand_in)
    django_body = client.get("/api/v1/doctors?city=paris", HTTP_ACCEPT_LANGUAGE="fr").content

    status, body = asgi_get(app, b"city=paris", [(b"accept-language", b"fr")])

    assert (status, body, stand_in.calls) == (200, django_body, 0)


def test_a_token_a_miss_or_another_language_falls_through_to_django(client):
    DoctorProfileFactory()
    stand_in = DjangoStandIn()
    app = DirectorySearchFastPath(stand_in)
    client.get("/api/v1/doctors?city=paris")

    asgi_get(app, b"city=paris", [(b"authorization", b"Bearer x")])
    asgi_get(app, b"city=lyon", [])
    asgi_get(app, b"city=paris", [(b"accept-language", b"fr")])

    assert stand_in.calls == 3


def test_a_directory_write_retires_the_fast_path_page(client):
    from doctors.services import doctor_profile_update

    doctor = DoctorProfileFactory()
    stand_in = DjangoStandIn()
    app = DirectorySearchFastPath(stand_in)
    client.get("/api/v1/doctors")

    doctor_profile_update(profile=doctor, data={"city": "Lille"})
    status, _body = asgi_get(app, b"", [])

    assert (status, stand_in.calls) == (299, 1)
