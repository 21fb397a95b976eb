"""Real Daphne processes for tests that need the whole ASGI stack (HTTP and WebSockets) over TCP.

pytest-django's live_server speaks WSGI only, and Channels' communicator never opens a socket. A
Daphne subprocess opens the test database through DATABASE_URL, so the test must use
`transactional_db` for the rows it creates to be visible there.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO

from django.conf import settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: IO[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"daphne exited: {log.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not listen on {port}")


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest)."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        # The SQLite test database is a file (config/settings/test.py), NAME its absolute path.
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it is still running 10 s later."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def daphne_servers(
    count: int = 1,
    *,
    settings_module: str = "config.settings.test",
    extra_env: dict[str, str] | None = None,
    ports: list[int] | None = None,
) -> Iterator[list[int]]:
    """`count` Daphne processes serving config.asgi on this process's database (the test database
    under pytest) and Redis when configured, with `extra_env` on top, on `ports` (else free ones).

    Yields their ports. Several processes only share sockets' groups through Redis; without it each
    has its own in-memory channel layer.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        **(extra_env or {}),
    }
    with ExitStack() as stack:
        servers = []
        for index in range(count):
            port = ports[index] if ports else free_port()
            # A file, not a pipe: a pipe nobody reads would block the server once its buffer is full.
            log = stack.enter_context(tempfile.TemporaryFile())
            process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(process_stop, process)
            servers.append((port, process, log))
        for port, process, log in servers:
            wait_for_port(port, process, log)
        yield [port for port, _process, _log in servers]
