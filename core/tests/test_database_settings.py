"""On PostgreSQL the settings pool connections per process (no persistent per-thread connections)."""

import json
import os
import subprocess
import sys

from django.conf import settings

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
