"""The production-shaped stack the e2e tests talk to, started from scratch as subprocesses.

Nothing here imports the project: it is driven through `manage.py`, `daphne`, `celery` and
`localstripe` executables next to this interpreter, and reached over HTTP, WebSockets and SMTP.

`stack_start(logs, shape)` starts the e2e stack (`Shape()`: Daphne A and B, one worker with beat)
and `make cluster`'s (`CLUSTER`: three Daphne replicas behind HAProxy, two workers and one beat),
which `e2e/test_rolling_restart.py` restarts replica by replica.
"""

import base64
import email
import email.policy
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import httpx
import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STRIPE_SECRET_KEY = "sk_test_e2eLocalStripe0123456789abcdefgh"
STRIPE_PUBLISHABLE_KEY = "pk_test_e2eLocalStripe0123456789abcdefgh"
WEBHOOK_SECRET = "whsec_e2e_local_stripe_signing_secret"
PASSWORD = "e2e-Pass-2026-long"
METRICS_TOKEN = "e2e-metrics-token-0123456789"
DAPHNE_APP = "config.asgi:application"
STRIPE_ACCOUNT_SETUP = f"""
from djstripe.models import Account, APIKey
account, _ = Account.objects.get_or_create(id="acct_tabib_e2e", defaults={{"livemode": False}})
APIKey.objects.get_or_create(
    secret="{STRIPE_SECRET_KEY}", defaults={{"type": "secret", "livemode": False, "djstripe_owner_account": account}}
)
"""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out (bind 0), so parallel runs and CI never collide."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Shape:
    """How many of each process a stack runs, and on which PostgreSQL database and Redis db.

    With `balancer`, HAProxy is the way in (`stack.http`): it stands for the TLS-terminating edge
    (it tells Django `X-Forwarded-Proto: https`, so production's https redirect stays on) and each
    replica listens on a loopback address of its own (127.0.0.11, .12, ...), its "pod IP", which is
    what Prometheus scrapes. One worker embeds beat (`-B`); with more, beat runs on its own.

    `balancer_processes` HAProxy processes share the balancer's port (SO_REUSEPORT: the kernel
    spreads connections over them), as an ingress runs several replicas. Each holds two file
    descriptors per connection, so under this box's hard limit of 20,000 one HAProxy stops at
    ~9,984 connections: 10,000 sockets need two.
    """

    replicas: int = 2
    workers: int = 1
    worker_concurrency: int = 2
    balancer: bool = False
    balancer_processes: int = 1
    database_name: str = ""  # default E2E_DB_NAME
    template_base: str = ""  # whose migrated template to clone; default the database's own
    redis_db: int = -1  # default E2E_REDIS_DB


CLUSTER = Shape(replicas=3, workers=2, worker_concurrency=1, balancer=True)


@dataclass
class Replica:
    """One Daphne process: its name in HAProxy and its own address."""

    name: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Mailbox:
    """What the SMTP sink received, parsed; tests wait on it."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()
        return "250 OK"

    def messages_to(self, to: str) -> list[EmailMessage]:
        with self._changed:
            return [m for m in self._messages if to.lower() in m["X-Envelope-To"].lower()]

    def wait_for(self, to: str, subject_contains: str = "", timeout: float = 20) -> EmailMessage:
        def found():
            return next((m for m in self.messages_to(to) if subject_contains in str(m["Subject"])), None)

        with self._changed:
            message = self._changed.wait_for(found, timeout=timeout)
        if message is None:
            seen = [(m["X-Envelope-To"], str(m["Subject"])) for m in self.messages_to(to)]
            raise TimeoutError(f"no email to {to} with {subject_contains!r} in {timeout}s; got {seen}")
        return message


@dataclass
class Stack:
    http: str
    http_b: str
    ws: str
    ws_b: str
    stripe_url: str
    mailbox: Mailbox
    env: dict[str, str]
    logs: Path
    database_name: str
    replicas: list[Replica] = field(default_factory=list)
    haproxy_sockets: list[Path] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run `manage.py *args` with the stack's environment; stdout, or an error with stderr."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result.stdout

    def psql(self, sql: str) -> str:
        """One SQL statement on the stack's database (for what only the database can show)."""
        result = subprocess.run(
            ["psql", self.env["E2E_PG_URL_FOR_PSQL"], "-XAtq", "-c", sql],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout.strip()

    def balancer(self, command: str) -> list[str]:
        """One command on every HAProxy's runtime API (e.g. `set server daphne/r1 state drain`);
        their answers."""
        assert self.haproxy_sockets, "this stack has no balancer"
        return [_runtime_api(path, command) for path in self.haproxy_sockets]

    def balancer_status(self) -> dict[str, str]:
        """Each replica's state as the HAProxy processes see it: UP, DOWN, DRAIN, MAINT (...);
        `UP/DOWN` while they disagree."""
        seen: dict[str, set[str]] = {}
        for answer in self.balancer("show stat"):
            lines = answer.splitlines()
            header = lines[0].lstrip("# ").split(",")
            rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
            for row in rows:
                if row["pxname"] == "daphne" and row["svname"] != "BACKEND":
                    seen.setdefault(row["svname"], set()).add(row["status"])
        return {name: "/".join(sorted(statuses)) for name, statuses in seen.items()}

    def replica_start(self, replica: Replica) -> None:
        env = {**self.env, "POD_IP": replica.host}
        # As deployed (Dockerfile): a listen backlog of 1024, not Twisted's 50 (docs/deploy.md).
        args = [str(BIN / "daphne"), "-e", f"tcp:port={replica.port}:interface={replica.host}:backlog=1024"]
        _start(self, replica.name, [*args, *(["--proxy-headers"] if self.haproxy_sockets else []), DAPHNE_APP], env)

    def process_restart(self, name: str, sig: signal.Signals = signal.SIGTERM, timeout: float = 60) -> int:
        """Stop process `name` with `sig`, wait for it to exit, start it again; its exit code."""
        process = self.processes[name]
        os.killpg(process.pid, sig)
        code = process.wait(timeout=timeout)
        _start(self, name, *self.commands[name])
        return code

    def replica_wait_ready(self, replica: Replica, timeout: float = 90) -> None:
        wait_until(lambda: _answers(f"{replica.url}/health/ready"), timeout=timeout, what=f"{replica.name} ready")

    def replica_stop(self, replica: Replica, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the replica's process group and wait for it to exit; its exit code."""
        process = self.processes[replica.name]
        os.killpg(process.pid, sig)
        return process.wait(timeout=timeout)

    def log_tails(self, lines: int = 60) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"----- {path.name} (last {lines} lines) -----\n" + "\n".join(text))
        return "\n".join(parts)


def _runtime_api(path: Path, command: str) -> str:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def _run(args: list[str], env: dict[str, str], log: Path, timeout: float = 300) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=True)


def _start(stack: Stack, name: str, args: list[str], env: dict[str, str]) -> None:
    out = (stack.logs / f"{name}.log").open("a")  # a restarted process appends to its log
    stack.commands[name] = (args, env)
    stack.processes[name] = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _sql(admin_url: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", admin_url, "-XAtq", "-c", sql], check=True, capture_output=True, text=True, timeout=120
    )
    return result.stdout.strip()


def _migrations_digest() -> str:
    """Changes whenever a migration of ours or a pinned dependency (theirs) changes."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    digest.update((ROOT / "requirements.txt").read_bytes())
    return digest.hexdigest()[:12]


def _database_create(admin_url: str, name: str, env: dict[str, str], log: Path, template_base: str = "") -> None:
    """A fresh database `name`, migrated.

    Migrating from zero takes minutes on a busy 2-core machine (dj-stripe's migrations alone), so
    the first run keeps a migrated copy as a template named after the migrations' digest; later
    runs clone it (a fresh database all the same) and `migrate` applies whatever is new.
    """
    template_base = template_base or name
    template = f"{template_base}_tpl_{_migrations_digest()}"
    _sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    existing = _sql(admin_url, f"SELECT datname FROM pg_database WHERE datname LIKE '{template_base}_tpl_%'").split()
    for stale in set(existing) - {template}:
        _sql(admin_url, f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
    if template in existing:
        _sql(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    else:
        _sql(admin_url, f'CREATE DATABASE "{name}"')
    _run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "1"], env, log, timeout=1200)
    if template not in existing:
        _sql(admin_url, f'CREATE DATABASE "{template}" TEMPLATE "{name}"')


def _haproxy_config(stack: Stack, port: int, runtime_socket: Path) -> str:
    """HAProxy in front of the replicas, checking /health/ready; WebSockets are upgraded by itself.

    No global maxconn: HAProxy takes it from the file descriptor limit (two per connection).

    A connection a stopping replica refuses or closes unanswered is retried on another one
    (`retry-on conn-failure empty-response`, `redispatch`): nothing had been processed.
    """
    servers = "\n".join(f"    server {replica.name} {replica.host}:{replica.port} check" for replica in stack.replicas)
    return f"""global
    stats socket {runtime_socket} mode 600 level admin
    log stdout format raw local0 notice

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 3s
    timeout client 120s
    timeout server 120s
    timeout tunnel 1h
    timeout client-fin 5s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

frontend web
    bind 127.0.0.1:{port}
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    default_backend daphne

backend daphne
    balance leastconn
    option httpchk
    http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server inter 1s fall 2 rise 1 maxconn 15000
{servers}
"""


def stack_start(logs: Path, shape: Shape = Shape()) -> Stack:
    """Fresh database and Redis db, migrate/collectstatic/compilemessages, then every process."""
    pg = os.environ.get("E2E_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    database_name = shape.database_name or os.environ.get("E2E_DB_NAME", "tabib_e2e")
    redis_base = os.environ.get("E2E_REDIS", "redis://127.0.0.1:6379").rstrip("/")
    redis_db = shape.redis_db if shape.redis_db >= 0 else int(os.environ.get("E2E_REDIS_DB", "1"))
    redis_url = f"{redis_base}/{redis_db}"

    redis.Redis.from_url(redis_url).flushdb()

    mailbox = Mailbox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()

    if shape.balancer:
        hosts = [f"127.0.0.{11 + index}" for index in range(shape.replicas)]
    else:
        hosts = ["127.0.0.1"] * shape.replicas
    replicas = [Replica(f"r{index + 1}", host, free_port(host)) for index, host in enumerate(hosts)]
    balancer_port, stripe_port = free_port(), free_port()
    http = f"http://127.0.0.1:{balancer_port}" if shape.balancer else replicas[0].url
    http_b = replicas[1].url if len(replicas) > 1 else http
    stripe_url = f"http://127.0.0.1:{stripe_port}"
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {
        **{key: os.environ[key] for key in keep if key in os.environ},
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DEBUG": "False",
        "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": ",".join(sorted({http, http_b})),
        # Behind the balancer as in production (TLS ends there); without one there is no TLS at all.
        "SECURE_SSL_REDIRECT": str(shape.balancer),
        "BEHIND_PROXY": str(shape.balancer),
        "DATABASE_URL": f"{pg}/{database_name}",
        "E2E_PG_URL_FOR_PSQL": f"{pg}/{database_name}",
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEFAULT_FROM_EMAIL": "Tabib <no-reply@tabib.e2e>",
        "FRONTEND_URL": http,
        "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": STRIPE_PUBLISHABLE_KEY,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # Every journey registers from 127.0.0.1; the burst alone registers 150 accounts.
        "THROTTLE_REGISTER": "100000/hour",
        "THROTTLE_REGISTER_IP": "100000/hour",
        "THROTTLE_LOGIN": "100000/min",
        # The rolling restart books many slots of the same doctors.
        "BOOKING_MAX_UPCOMING_PER_DOCTOR": "100000",
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(
        http=http,
        http_b=http_b,
        ws=http.replace("http://", "ws://"),
        ws_b=http_b.replace("http://", "ws://"),
        stripe_url=stripe_url,
        mailbox=mailbox,
        env=env,
        logs=logs,
        database_name=database_name,
        replicas=replicas,
        haproxy_sockets=[logs / f"haproxy-{index + 1}.sock" for index in range(shape.balancer_processes)]
        if shape.balancer
        else [],
    )
    stack.processes["smtp"] = smtp  # stopped with the rest
    try:
        setup_log = logs / "setup.log"
        _database_create(f"{pg}/postgres", database_name, env, setup_log, shape.template_base)
        _run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], env, setup_log)
        if shutil.which("msgfmt"):
            _run([sys.executable, "manage.py", "compilemessages", "--ignore=.venv", "-v", "0"], env, setup_log)
        _start(stack, "localstripe", [str(BIN / "localstripe"), "--port", str(stripe_port), "--from-scratch"], env)
        for replica in replicas:
            stack.replica_start(replica)
        celery = [str(BIN / "celery"), "-A", "config"]
        for index in range(shape.workers):
            worker = [*celery, "worker", "-l", "info", "--concurrency", str(shape.worker_concurrency)]
            if shape.workers == 1:
                _start(stack, "celery", [*worker, "-B"], env)
            else:
                _start(stack, f"celery_{index + 1}", [*worker, "-n", f"worker{index + 1}@%h"], env)
        if shape.workers > 1:
            _start(stack, "beat", [*celery, "beat", "-l", "info"], env)
        if shape.balancer:
            for index, runtime_socket in enumerate(stack.haproxy_sockets):
                name = "haproxy" if index == 0 else f"haproxy_{index + 1}"
                config = logs / f"{name}.cfg"
                config.write_text(_haproxy_config(stack, balancer_port, runtime_socket))
                _start(stack, name, [haproxy_path(), "-db", "-f", str(config)], env)
        wait_until(lambda: _listening(stripe_port), timeout=30, what="localstripe")
        # Stripe answers GET /v1/account for the key's owner, which dj-stripe asks on the first
        # webhook; localstripe has no such endpoint, so the account is recorded up front instead.
        stack.manage("shell", "-c", STRIPE_ACCOUNT_SETUP)
        endpoint_path = stack.manage("stripe_webhook", "--secret", WEBHOOK_SECRET).strip()
        httpx.post(
            f"{stripe_url}/_config/webhooks/tabib",
            data={"url": http + endpoint_path, "secret": WEBHOOK_SECRET},
            timeout=10,
        ).raise_for_status()
        for replica in replicas:
            stack.replica_wait_ready(replica)
        if shape.balancer:
            wait_until(lambda: _all_up(stack), timeout=30, what="HAProxy up and seeing every replica")
        for name in [name for name in stack.processes if name.startswith("celery")]:
            wait_until(lambda name=name: "ready" in (logs / f"{name}.log").read_text(), timeout=60, what=name)
    except BaseException as error:
        tails = stack.log_tails()
        stack_stop(stack)
        raise RuntimeError(f"the stack did not start: {error}\n{tails}") from error
    return stack


def _all_up(stack: Stack) -> bool:
    try:
        return set(stack.balancer_status().values()) == {"UP"}
    except OSError:  # its runtime socket is not there yet
        return False


def haproxy_path() -> str:
    path = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else "")
    if not path:
        raise RuntimeError("HAProxy is needed (Debian: apt-get install -y haproxy; make cluster/e2e install it)")
    return path


def stack_stop(stack: Stack) -> None:
    for name, process in stack.processes.items():
        if name == "smtp":
            process.stop()
            continue
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for name, process in stack.processes.items():
        if name == "smtp":
            continue
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
