"""`make cluster`: Tabib as several replicas on this machine, until Ctrl-C.

Three Daphne processes behind HAProxy (WebSockets included, health-checked on /health/ready), two
Celery workers and one beat, on the local PostgreSQL and Redis: the stack of `e2e/stack.py` in the
`CLUSTER` shape, on a database and a Redis db of its own (CLUSTER_DB_NAME, default tabib_cluster,
dropped and created fresh; CLUSTER_REDIS_DB, default 2, flushed). CLUSTER_BALANCERS (default 1)
HAProxy processes share the port: two for 10,000 sockets under a 20,000-descriptor limit. Logs under
/tmp/tabib-cluster-*.
"""

import dataclasses
import os
import shlex
import signal
import sys
import tempfile
import threading
from pathlib import Path

from stack import CLUSTER, METRICS_TOKEN, stack_start, stack_stop


def main() -> int:
    shape = dataclasses.replace(
        CLUSTER,
        database_name=os.environ.get("CLUSTER_DB_NAME", "tabib_cluster"),
        redis_db=int(os.environ.get("CLUSTER_REDIS_DB", "2")),
        balancer_processes=int(os.environ.get("CLUSTER_BALANCERS", "1")),
    )
    logs = Path(tempfile.mkdtemp(prefix="tabib-cluster-"))
    print(f"starting {shape.replicas} Daphne replicas behind HAProxy, {shape.workers} workers and beat (logs: {logs})")
    stack = stack_start(logs, shape)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    env_file = logs / "cluster.env"
    env_file.write_text("".join(f"{name}={shlex.quote(value)}\n" for name, value in stack.env.items()))
    print(f"\nTabib is up at {stack.http}  (API {stack.http}/api/v1, WebSockets {stack.ws}/ws/...)")
    for replica in stack.replicas:
        pid = stack.processes[replica.name].pid
        print(f"  replica {replica.name}: {replica.url}  pid {pid}  (metrics: Authorization: Bearer {METRICS_TOKEN})")
    for runtime_socket in stack.haproxy_sockets:
        print(f"  HAProxy runtime API: socat stdio unix-connect:{runtime_socket}   (show stat)")
    print(f"  emails are caught by the stack's SMTP sink; Stripe is localstripe at {stack.stripe_url}")
    print(f"  its settings (for manage.py or bench/chat_latency.py): set -a; . {env_file}; set +a")
    print("Ctrl-C stops everything.")
    while not stop.wait(1):
        died = [name for name, process in stack.processes.items() if name != "smtp" and process.poll() is not None]
        if died:
            print(f"{', '.join(died)} exited; stopping (logs: {logs})", file=sys.stderr)
            break
    print("stopping")
    stack_stop(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
