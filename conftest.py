"""Test session guards and fixtures shared by every app.

No test reaches the internet: any connection to a non-loopback address fails loudly.
"""

import ipaddress
import socket

import pytest
from celery._state import _set_task_join_will_block
from django.conf import settings
from rest_framework.test import APIClient

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket
        return True
    host = address[0]
    if host in ("localhost", "testserver"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if not _is_local(address):
        raise OSError(f"Test tried to reach the network: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise OSError(f"Test tried to reach the network: {address!r}")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


def pytest_collection_modifyitems(config, items):
    is_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if "postgres" in item.keywords and not is_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)"))
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="needs Redis (run with REDIS_URL=redis://...)"))


@pytest.fixture(autouse=True)
def _isolated_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_client():
    """`auth_client(user)` -> an APIClient sending that user's bearer token."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After each test, undo process-wide state a harness can leave behind (two cases below).

    On PostgreSQL each test process has the bounded psycopg pool production has. A few test
    harnesses leave a connection checked out by a thread that is gone (a live server's request
    thread, a WebSocket communicator whose loop was torn down mid-call); the pool never gets it
    back, and a dozen such tests would starve the rest of the session. After a test that leaked,
    the pool is closed and the next query opens a fresh one. (What the deployed pool does under
    load is shown by e2e/test_burst.py and e2e/test_rolling_restart.py.)"""
    yield
    # Eager Celery (tests and the embedded default) runs each task inside celery's process-wide
    # `denied_join_result()`, which saves and restores a global flag without a lock: two threads
    # running tasks at once (the race tests) can leave it set, and every later `result.get()` in the
    # session then refuses with "Never call result.get() within a task!".
    _set_task_join_will_block(False)
    from django.db import connection

    pool = getattr(connection, "pool", None) if connection.vendor == "postgresql" else None
    if pool is None or pool.closed:
        return
    stats = pool.get_stats()
    own = 1 if connection.connection is not None else 0
    if stats.get("pool_size", 0) - stats.get("pool_available", 0) > own:
        connection.close()
        connection.close_pool()
