"""Connections per process are pooled and bounded: PostgreSQL (no persistent per-thread
connections) and the Redis cache (a burst waits for a connection instead of failing)."""

import json
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.core.cache import cache

PRINT_DATABASE = (
    "import json; from config.settings import base; "
    "db = base.DATABASES['default']; "
    "print(json.dumps({'conn_max_age': db['CONN_MAX_AGE'], 'pool': db.get('OPTIONS', {}).get('pool')}))"
)


def _database_settings(**env: str) -> dict:
    """The default database of config.settings.base, loaded fresh in a process with `env`."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DB_POOL_", "CONN_MAX_AGE"))}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_DATABASE],
        env={**clean, "DATABASE_URL": "postgres://tabib@127.0.0.1:5432/tabib", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_postgresql_pools_connections_by_default():
    database = _database_settings()
    assert database == {"conn_max_age": 0, "pool": {"min_size": 1, "max_size": 10, "timeout": 30}}


def test_the_pool_bounds_come_from_the_environment():
    database = _database_settings(DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE="25", DB_POOL_TIMEOUT="5")
    assert database["pool"] == {"min_size": 2, "max_size": 25, "timeout": 5}


def test_a_zero_pool_size_switches_the_pool_off_without_persistent_connections():
    assert _database_settings(DB_POOL_MAX_SIZE="0") == {"conn_max_age": 0, "pool": None}


@pytest.mark.redis
def test_a_request_finding_every_cache_connection_busy_waits_for_one_instead_of_failing():
    # given every connection of this process's cache pool in use (a burst of request threads)
    from django_redis import get_redis_connection

    pool = get_redis_connection("default").connection_pool
    busy = [pool.get_connection() for _ in range(pool.max_connections)]
    outcome: dict[str, object] = {}

    def read_the_throttle_cache():
        try:
            outcome["value"] = cache.get("throttle-key", "default")
        except Exception as error:  # what the request thread would have turned into a 500
            outcome["error"] = error

    # when one more request reads the cache, and a connection is handed back meanwhile
    reader = threading.Thread(target=read_the_throttle_cache)
    reader.start()
    reader.join(timeout=0.5)
    for connection in busy:
        pool.release(connection)
    reader.join(timeout=10)
    # then it got its answer
    assert outcome == {"value": "default"}
