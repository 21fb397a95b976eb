"""Overload is a 503 with Retry-After in the error shape, never a 500.

When no PostgreSQL connection comes free from the pool in time, or Redis has no free connection
(or cannot be reached), the request cannot be served now but can be a few seconds later: the API
says so (`service_unavailable`, `Retry-After`) so apps back off and retry. What a burst within the
connection budget gets (no 5xx at all) is e2e/test_burst.py's.
"""

from contextlib import contextmanager

import pytest
from django.db import connection
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"


@pytest.fixture
def api_client() -> APIClient:
    # A 5xx is reported to Django's got_request_exception (error monitoring sees overload); the
    # test client would re-raise what it reports instead of returning the response a client gets.
    return APIClient(raise_request_exception=False)


def _registration(email: str) -> dict:
    return {
        "email": email,
        "password": "overload-Pass-2026",
        "role": "patient",
        "first_name": "Over",
        "last_name": "Load",
    }


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "type": "server_error",
        "errors": [
            {
                "code": "service_unavailable",
                "detail": "The service is busy. Please try again in a few seconds.",
                "attr": None,
            }
        ],
    }


@contextmanager
def _every_cache_connection_busy(timeout: float):
    from django_redis import get_redis_connection

    pool = get_redis_connection("default").connection_pool
    busy = [pool.get_connection() for _ in range(pool.max_connections)]
    saved, pool.timeout = pool.timeout, timeout
    try:
        yield
    finally:
        pool.timeout = saved
        for held in busy:
            pool.release(held)


@pytest.mark.redis
def test_a_request_that_gets_no_redis_connection_in_time_is_a_503_with_retry_after(api_client):
    # given every connection of the process's Redis pool held by other requests, for longer than
    # a request waits for one
    with _every_cache_connection_busy(timeout=0.2):
        # when a registration reads its throttle from the cache
        response = api_client.post(REGISTER, _registration("busy-cache@example.com"), format="json")
    # then it is told to come back, in the error shape, and nothing was stored
    _assert_unavailable(response)
    from accounts.models import User

    assert not User.objects.filter(email="busy-cache@example.com").exists()
    # and once connections are free again the same request succeeds
    assert api_client.post(REGISTER, _registration("busy-cache@example.com"), format="json").status_code == 201


@pytest.mark.redis
def test_the_answer_is_french_for_a_french_client(api_client):
    with _every_cache_connection_busy(timeout=0.1):
        response = api_client.post(
            REGISTER, _registration("busy-fr@example.com"), format="json", HTTP_ACCEPT_LANGUAGE="fr"
        )
    assert response.status_code == 503
    assert response.json()["errors"][0]["detail"] == (
        "Le service est très sollicité. Veuillez réessayer dans quelques secondes."
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_that_gets_no_database_connection_from_the_pool_in_time_is_a_503(api_client, settings):
    # given every connection of the process's psycopg pool checked out by other requests
    # (throttles off, so the request's first need is the database)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    connection.ensure_connection()
    connection.close()  # back to the pool: the request takes its own from it
    pool = connection.pool
    busy = [pool.getconn() for _ in range(pool.max_size)]
    saved, pool.timeout = pool.timeout, 0.3
    try:
        # when a registration needs a connection
        response = api_client.post(REGISTER, _registration("busy-pool@example.com"), format="json")
    finally:
        pool.timeout = saved
        for held in busy:
            pool.putconn(held)
    # then it is told to come back, not given a 500
    _assert_unavailable(response)
    from accounts.models import User

    assert not User.objects.filter(email="busy-pool@example.com").exists()
