"""HTTP caching of public availability: validators, lifetimes, 304, and the same headers from the
ASGI fast path as from Django."""

from datetime import timedelta

import pytest

from appointments.asgi import AvailabilityRoute
from appointments.services import time_off_create
from appointments.slots import local_today
from core.tests.asgi import asgi_get, fast_path_app


def url(doctor) -> str:
    today = local_today(doctor=doctor)
    return f"/api/v1/doctors/{doctor.pk}/availability?from={today}&to={today + timedelta(days=13)}"


@pytest.mark.django_db
def test_availability_is_public_briefly_with_stale_while_revalidate_and_an_etag(api_client, doctor):
    response = api_client.get(url(doctor))

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=30, stale-while-revalidate=30"
    assert response["ETag"].startswith('"')
    assert response["Vary"] == "Accept-Language, Authorization, Cookie"


@pytest.mark.django_db
def test_availability_revalidation_with_the_current_etag_is_304_without_a_body(api_client, doctor):
    etag = api_client.get(url(doctor))["ETag"]

    response = api_client.get(url(doctor), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.django_db(transaction=True)
def test_after_time_off_the_old_etag_gets_the_new_slots(api_client, doctor, free_slot_after):
    etag = api_client.get(url(doctor))["ETag"]
    start = free_slot_after(doctor, timedelta(days=2))
    time_off_create(doctor=doctor, start=start, end=start + timedelta(hours=2))

    response = api_client.get(url(doctor), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.django_db
def test_availability_asked_with_a_token_is_private(api_client, doctor):
    response = api_client.get(url(doctor), HTTP_AUTHORIZATION="Bearer whatever")

    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
def test_the_fast_path_sends_djangos_caching_headers_and_answers_304_too(doctor):
    app, django = fast_path_app(AvailabilityRoute())
    from_django = asgi_get(app, url(doctor), {"X-Request-ID": "req-1"})

    from_cache = asgi_get(app, url(doctor), {"X-Request-ID": "req-1"})
    revalidated = asgi_get(app, url(doctor), {"X-Request-ID": "req-1", "If-None-Match": from_django.headers["etag"]})

    assert django.calls == 1
    assert from_cache.headers == from_django.headers
    assert (revalidated.status, revalidated.body) == (304, b"")
    assert {name: revalidated.headers[name] for name in ("etag", "cache-control", "vary")} == {
        name: from_django.headers[name] for name in ("etag", "cache-control", "vary")
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
def test_a_304_from_the_fast_path_has_the_headers_of_djangos_304(doctor):
    app, django = fast_path_app(AvailabilityRoute())
    etag = asgi_get(app, url(doctor)).headers["etag"]
    headers = {"X-Request-ID": "req-1", "If-None-Match": etag}
    from_cache = asgi_get(app, url(doctor), headers)
    with_a_cookie = {**headers, "Cookie": "theme=dark"}  # a cookie sends the request to Django

    from_django = asgi_get(app, url(doctor), with_a_cookie)

    assert django.calls == 2
    assert (from_cache.status, from_django.status) == (304, 304)
    assert from_cache.headers == from_django.headers
