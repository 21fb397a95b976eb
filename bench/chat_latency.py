"""Chat delivery latency over real sockets against a running Daphne (Redis channel layer).

    DATABASE_URL=postgres://... REDIS_URL=redis://... daphne -p 8765 config.asgi:application &
    DATABASE_URL=postgres://... .venv/bin/python bench/chat_latency.py --url ws://127.0.0.1:8765 -n 500

Creates N/2 patient-doctor pairs (users, doctor profiles, threads, access tokens) in the database of
DATABASE_URL, opens N sockets (one per user, each on its pair's thread), then every client sends
`--messages` messages, paced so that all clients together send `--rate` messages per second.
Delivery latency = time from a client's send to the frame arriving at the OTHER client of the pair
(stored, committed, broadcast through Redis, pushed). Ack latency = send -> ack at the sender.
Prints p50/p95/p99/max and the delivered messages per second, then deletes what it created.
Several --url spread the clients over several Daphne processes (pairs then cross processes).
With `--active K` only the first K sockets send (the rest stay open and idle), e.g. the issue-19 target,
1,000 open sockets on one Daphne with 100 messages/s:
`bench/chat_latency.py --url ws://127.0.0.1:18710 -n 1000 --active 200 --rate 100 --messages 10`.
Against `make cluster` (three replicas behind HAProxy): load the environment file it prints, give
the balancer's URL and the replicas' process ids (`--rss-pid`, repeatable) to get the memory each
open socket costs them (resident memory after opening the sockets minus before, per socket):
`set -a; . /tmp/tabib-cluster-*/cluster.env; set +a; bench/chat_latency.py --url ws://127.0.0.1:PORT
-n 9000 --active 1000 --rate 100 --rss-pid 101 --rss-pid 102 --rss-pid 103`.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import aiohttp
import django

django.setup()

from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from chat.models import Thread  # noqa: E402
from doctors.models import DoctorProfile  # noqa: E402

EMAIL_DOMAIN = "bench.tabib.local"


def create_pairs(pairs: int, run: str) -> list[tuple[str, str, str]]:
    """(thread_id, patient_token, doctor_token) per pair, all created in bulk."""
    patients = User.objects.bulk_create(
        [
            User(
                email=f"p{i}-{run}@{EMAIL_DOMAIN}",
                role=Role.PATIENT,
                first_name="Bench",
                last_name=f"P{i}",
                password="!",
            )
            for i in range(pairs)
        ]
    )
    doctors = User.objects.bulk_create(
        [
            User(
                email=f"d{i}-{run}@{EMAIL_DOMAIN}",
                role=Role.DOCTOR,
                first_name="Bench",
                last_name=f"D{i}",
                password="!",
            )
            for i in range(pairs)
        ]
    )
    profiles = DoctorProfile.objects.bulk_create([DoctorProfile(user=doctor) for doctor in doctors])
    threads = Thread.objects.bulk_create(
        [Thread(patient=patient, doctor=profile) for patient, profile in zip(patients, profiles, strict=True)]
    )
    return [
        (str(thread.pk), str(AccessToken.for_user(patient)), str(AccessToken.for_user(doctor)))
        for thread, patient, doctor in zip(threads, patients, doctors, strict=True)
    ]


def delete_run(run: str) -> None:
    User.objects.filter(email__endswith=f"-{run}@{EMAIL_DOMAIN}").delete()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Client:
    def __init__(self, name: str, url: str, stats: "Stats") -> None:
        self.name, self.url, self.stats = name, url, stats
        self.socket: aiohttp.ClientWebSocketResponse | None = None

    async def connect(self, session: aiohttp.ClientSession) -> None:
        self.socket = await session.ws_connect(
            self.url, headers={"Origin": "http://127.0.0.1"}, heartbeat=None, max_msg_size=0
        )

    async def listen(self) -> None:
        async for frame in self.socket:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.perf_counter()
            data = json.loads(frame.data)
            if data["type"] == "message":
                client_id = data["message"]["client_id"]
                sent = self.stats.sent_at.get(client_id)
                if sent and not client_id.startswith(self.name):
                    self.stats.delivery.append(now - sent)
                    self.stats.last_delivery = now
            elif data["type"] == "ack":
                sent = self.stats.sent_at.get(data["client_id"])
                if sent:
                    self.stats.ack.append(now - sent)
            elif data["type"] == "error":
                self.stats.errors += 1

    async def send_all(self, count: int, interval: float) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        for index in range(count):
            client_id = f"{self.name}-{index}"
            self.stats.sent_at[client_id] = time.perf_counter()
            self.stats.first_send = self.stats.first_send or time.perf_counter()
            await self.socket.send_str(
                json.dumps({"type": "message", "body": f"bench {index}", "client_id": client_id})
            )
            await asyncio.sleep(interval)


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of these processes (Linux /proc), summed."""
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
    return total


class Stats:
    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}
        self.delivery: list[float] = []
        self.ack: list[float] = []
        self.errors = 0
        self.first_send = 0.0
        self.last_delivery = 0.0
        self.rss_before = self.rss_open = 0


async def run_bench(args, pairs: list[tuple[str, str, str]], run: str) -> Stats:
    stats = Stats()
    clients: list[Client] = []
    for index, (thread_id, patient_token, doctor_token) in enumerate(pairs):
        # The two ends of a pair sit on different processes when several URLs are given.
        for side, token in ((0, patient_token), (1, doctor_token)):
            base = args.url[(index + side) % len(args.url)]
            clients.append(Client(f"{run}{index}{'pd'[side]}", f"{base}/ws/chat/{thread_id}?token={token}", stats))

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        stats.rss_before = rss_bytes(args.rss_pid)
        started = time.perf_counter()
        gate = asyncio.Semaphore(50)

        listeners = []

        async def connect(client: Client) -> None:
            async with gate:
                await client.connect(session)
            # Read at once: aiohttp answers Daphne's pings only while reading, and Daphne closes a
            # socket whose pong is late (20 s + 30 s), which opening 1,000 sockets can take.
            listeners.append(asyncio.ensure_future(client.listen()))

        await asyncio.gather(*(connect(client) for client in clients))
        print(f"{len(clients)} sockets open in {time.perf_counter() - started:.1f}s", flush=True)
        await asyncio.sleep(2)  # the last handshakes' work settles before the memory is read
        stats.rss_open = rss_bytes(args.rss_pid)

        senders = clients[: args.active or len(clients)]
        interval = len(senders) / args.rate
        expected = len(senders) * args.messages
        await asyncio.gather(*(client.send_all(args.messages, interval) for client in senders))
        deadline = time.perf_counter() + args.drain
        while len(stats.delivery) < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        for client in clients:
            await client.socket.close()
        for listener in listeners:
            listener.cancel()
    return stats


def report(stats: Stats, args, sockets: int) -> None:
    expected = min(sockets, args.active or sockets) * args.messages
    elapsed = (stats.last_delivery - stats.first_send) or float("nan")

    def line(name: str, values: list[float]) -> str:
        ms = [v * 1000 for v in values]
        return (
            f"{name:<9} p50 {percentile(ms, 50):7.1f} ms  p95 {percentile(ms, 95):7.1f} ms  "
            f"p99 {percentile(ms, 99):7.1f} ms  max {max(ms, default=float('nan')):7.1f} ms  "
            f"mean {statistics.fmean(ms) if ms else float('nan'):7.1f} ms"
        )

    print(
        f"sockets {sockets} ({min(sockets, args.active or sockets)} sending), target rate {args.rate}/s, "
        f"{args.messages} messages per sender, processes {len(args.url)}"
    )
    print(f"delivered {len(stats.delivery)}/{expected}, acked {len(stats.ack)}, errors {stats.errors}")
    print(line("delivery", stats.delivery))
    print(line("ack", stats.ack))
    print(f"throughput {len(stats.delivery) / elapsed:.0f} messages/s delivered over {elapsed:.1f}s")
    if args.rss_pid:
        grown = stats.rss_open - stats.rss_before
        print(
            f"server memory (RSS of {len(args.rss_pid)} processes) {stats.rss_before / 2**20:.0f} MiB -> "
            f"{stats.rss_open / 2**20:.0f} MiB with the sockets open: {grown / sockets / 1024:.1f} KiB per socket"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", help="ws://host:port of a Daphne (repeatable)")
    parser.add_argument("-n", "--clients", type=int, default=500, help="sockets, in pairs (default 500)")
    parser.add_argument("--messages", type=int, default=10, help="messages each client sends (default 10)")
    parser.add_argument("--rate", type=float, default=200, help="messages/s over all clients (default 200)")
    parser.add_argument("--active", type=int, default=0, help="sockets that send (default: all); the rest idle")
    parser.add_argument("--drain", type=float, default=30, help="seconds to wait for late deliveries")
    parser.add_argument("--keep", action="store_true", help="keep the created users and threads")
    parser.add_argument("--rss-pid", type=int, action="append", default=[], help="server process to weigh")
    args = parser.parse_args()
    args.url = [url.rstrip("/") for url in (args.url or ["ws://127.0.0.1:8000"])]
    run = uuid.uuid4().hex[:8]
    pairs = create_pairs(args.clients // 2, run)
    try:
        stats = asyncio.run(run_bench(args, pairs, run))
        report(stats, args, len(pairs) * 2)
    finally:
        if not args.keep:
            delete_run(run)


if __name__ == "__main__":
    main()
