"""A rolling deploy and a crash under load: three Daphne replicas behind HAProxy (`make cluster`'s
stack), a steady load of searches, bookings and chat messages through the balancer.

1. Rolling restart, replica by replica: drained in HAProxy (runtime API), SIGTERM, started again,
   ready, put back; one Celery worker restarted the same way (warm shutdown; acks_late). -> no
   failed HTTP request, every chat message delivered exactly once (sockets reconnect through the
   balancer and fetch what they missed from the REST history, newest first, down to the last
   message they hold), every email task run.
2. SIGKILL of one replica mid-load, no drain -> only the requests in flight on it may fail
   (HAProxy retries a request the dead replica never answered on another one; bookings carry an
   Idempotency-Key and messages a client_id, so a retry never books or sends twice), its sockets
   reconnect to the others, every message still delivered exactly once.

Also: Prometheus's view, each replica scraped at its own address over plain HTTP with the token.
The figures are printed (`-s` shows them) and kept in e2e/README.md.
"""

import asyncio
import collections
import contextlib
import dataclasses
import itertools
import json
import os
import signal
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, WebSocketException

from clients import API, Account, api, doctor_create, expect, free_slots, patient_register
from stack import CLUSTER, METRICS_TOKEN, Stack, stack_start, stack_stop, wait_until

PATIENTS = 6  # bookings are limited to 20/hour per account, chat messages to 60/min
DOCTORS = 3  # each in two threads: 2 x 60 / MESSAGE_INTERVAL messages a minute
SEARCHERS = 2
BOOKING_INTERVAL = 0.8
MESSAGE_INTERVAL = 2.5
DRAIN_SECONDS = 2.0


@pytest.fixture(scope="module")
def cluster():
    """Its own database (cloned from the e2e template) and Redis db: the session's stack may be up."""
    base = os.environ.get("E2E_DB_NAME", "tabib_e2e")
    redis_db = int(os.environ.get("E2E_CLUSTER_REDIS_DB", (int(os.environ.get("E2E_REDIS_DB", "1")) + 1) % 16))
    shape = dataclasses.replace(CLUSTER, database_name=f"{base}_cluster", template_base=base, redis_db=redis_db)
    started = stack_start(Path(tempfile.mkdtemp(prefix="tabib-cluster-")), shape)
    yield started
    stack_stop(started)


@dataclasses.dataclass
class Figures:
    requests: int = 0
    failed: list[str] = dataclasses.field(default_factory=list)
    bookings: int = 0
    unanswered_bookings: list[tuple[Account, dict, str]] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        return f"HTTP requests {self.requests}, failed {len(self.failed)}, bookings {self.bookings}"


class Peer:
    """One side of a thread with its chat socket open through the balancer.

    The patient sends over the socket (resending what was not acked after a reconnect, same
    client_id), the doctor over REST. After every reconnect the peer reads the thread's history
    down to the last message it holds: what it missed while reconnecting.
    """

    def __init__(self, stack: Stack, account: Account, thread_id: str, by_socket: bool) -> None:
        self.stack, self.account, self.thread_id, self.by_socket = stack, account, thread_id, by_socket
        self.socket: ClientConnection | None = None
        self.connected = asyncio.Event()
        self.unacked: dict[str, str] = {}  # client_id -> body
        self.sent: dict[str, str] = {}  # client_id -> message id, once stored
        self.have: list[str] = []  # message ids from the other side, in arrival order
        self.socket_frames: dict[str, int] = {}  # message id -> frames received for it
        self.recovered = 0
        self.reconnects = 0
        self.drops: dict[str, int] = {}  # why a socket closed or did not open -> times
        self.errors: list[str] = []

    async def hold_socket(self, http: httpx.AsyncClient, figures: Figures, closing: asyncio.Event) -> None:
        url = f"{self.stack.ws}/ws/chat/{self.thread_id}?token={self.account.access}"
        first = True
        while not closing.is_set():
            try:
                async with connect(url, open_timeout=10, close_timeout=2) as socket:
                    self.socket = socket
                    if not first:
                        await self._resume(http, figures)
                    first = False
                    self.connected.set()
                    for client_id, body in list(self.unacked.items()):
                        await socket.send(json.dumps({"type": "message", "body": body, "client_id": client_id}))
                    async for raw in socket:
                        self._receive(json.loads(raw))
                reason = f"closed {socket.close_code}"
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as error:
                reason = type(error).__name__
            self.drops[reason] = self.drops.get(reason, 0) + 1
            self.connected.clear()
            self.socket = None
            if not closing.is_set():
                self.reconnects += 1
                await asyncio.sleep(0.2)

    def _receive(self, frame: dict) -> None:
        if frame["type"] == "ack":
            self.sent[frame["client_id"]] = frame["message_id"]
            self.unacked.pop(frame["client_id"], None)
        elif frame["type"] == "message" and frame["message"]["sender_id"] != self.account.user_id:
            message_id = frame["message"]["id"]
            self.socket_frames[message_id] = self.socket_frames.get(message_id, 0) + 1
            if message_id not in self.have:
                self.have.append(message_id)
        elif frame["type"] == "error":
            self.errors.append(str(frame))

    async def _resume(self, http: httpx.AsyncClient, figures: Figures) -> None:
        """The REST history, newest first, down to the last message this peer holds."""
        last = self.have[-1] if self.have else None
        missed: list[str] = []
        url: str | None = f"{API}/chat/threads/{self.thread_id}/messages"
        while url:
            figures.requests += 1
            response = await http.get(url, headers=self.account.headers)
            if response.status_code != 200:
                figures.failed.append(f"history {response.status_code}")
                return
            body = response.json()
            ids = [m["id"] for m in body["results"] if m["sender_id"] != self.account.user_id]
            if last in ids:
                missed += ids[: ids.index(last)]
                break
            missed += ids
            url = body["next"]
        for message_id in reversed(missed):
            if message_id not in self.have:
                self.have.append(message_id)
                self.recovered += 1

    async def send(self, http: httpx.AsyncClient, figures: Figures) -> None:
        client_id, body = str(uuid.uuid4()), f"message {len(self.sent) + len(self.unacked)}"
        if self.by_socket:
            self.unacked[client_id] = body
            await self.connected.wait()
            if self.socket is not None:
                with contextlib.suppress(WebSocketException):  # else resent after the reconnect
                    await self.socket.send(json.dumps({"type": "message", "body": body, "client_id": client_id}))
            return
        response = await _request(
            http, figures, "POST", f"{API}/chat/threads/{self.thread_id}/messages", 201,
            headers=self.account.headers, json={"body": body, "client_id": client_id},
        )  # fmt: skip
        if response is not None:
            self.sent[client_id] = response.json()["id"]


async def _request(http, figures: Figures, method: str, url: str, expected: int, **kwargs) -> httpx.Response | None:
    figures.requests += 1
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        figures.failed.append(f"{method} {url}: {type(error).__name__} at {time.monotonic():.1f}")
        return None
    if response.status_code != expected:
        figures.failed.append(f"{method} {url}: {response.status_code} {response.text[:200]} at {time.monotonic():.1f}")
        return None
    return response


class Load:
    """Searches, bookings and chat through the balancer until stopped."""

    def __init__(self, stack: Stack, patients, doctors, peers: list[Peer], times, booked: dict[str, int]) -> None:
        self.stack, self.patients, self.doctors, self.peers = stack, patients, doctors, peers
        self.times = times  # slot starts nobody holds yet, one booking each
        self.booked = booked  # bookings of each patient this hour
        self.figures = Figures()
        self.stopping = asyncio.Event()

    async def search(self, http: httpx.AsyncClient) -> None:
        start = date.today() + timedelta(days=1)
        window = {"from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()}
        for doctor in itertools.cycle(self.doctors):
            if self.stopping.is_set():
                return
            await _request(http, self.figures, "GET", f"{API}/doctors", 200, params={"city": "Lyon"})
            availability = f"{API}/doctors/{doctor.doctor_id}/availability"
            await _request(http, self.figures, "GET", availability, 200, params=window)
            await asyncio.sleep(0.1)

    async def bookings(self, http: httpx.AsyncClient) -> None:
        for patient, doctor in zip(itertools.cycle(self.patients), itertools.cycle(self.doctors), strict=False):
            if self.stopping.is_set() or min(self.booked.values()) >= 19:  # 20/hour per account
                return
            start, key = next(self.times), str(uuid.uuid4())
            self.booked[patient.user_id] += 1
            payload = {"doctor_id": doctor.doctor_id, "start": start, "payment_method": "clinic"}
            response = await _request(
                http, self.figures, "POST", f"{API}/appointments", 201,
                headers={**patient.headers, "Idempotency-Key": key}, json=payload,
            )  # fmt: skip
            self.figures.bookings += response is not None
            if response is None:  # as an app would, it tries again later with the same key
                self.figures.unanswered_bookings.append((patient, payload, key))
            await asyncio.sleep(BOOKING_INTERVAL)

    async def chat(self, http: httpx.AsyncClient, peer: Peer) -> None:
        while not self.stopping.is_set():
            await peer.send(http, self.figures)
            await asyncio.sleep(MESSAGE_INTERVAL)

    async def run(self, http: httpx.AsyncClient) -> None:
        await asyncio.gather(
            *(self.search(http) for _ in range(SEARCHERS)),
            self.bookings(http),
            *(self.chat(http, peer) for peer in self.peers),
        )


def chat_figures(peers: list[Peer]) -> dict[str, int]:
    """Messages stored (acked or 201) by each side and what the other side ended up holding."""
    pairs = [(peers[i], peers[i + 1]) for i in range(0, len(peers), 2)]
    sent = delivered = lost = 0
    for a, b in pairs:
        for sender, receiver in ((a, b), (b, a)):
            stored = set(sender.sent.values())
            sent += len(stored)
            delivered += len(stored & set(receiver.have))
            lost += len(stored - set(receiver.have))
    return {
        "messages sent": sent,
        "delivered": delivered,
        "lost": lost,
        "duplicates": sum(n - 1 for peer in peers for n in peer.socket_frames.values() if n > 1),
        "recovered from history": sum(peer.recovered for peer in peers),
        "reconnects": sum(peer.reconnects for peer in peers),
        "unacked": sum(len(peer.unacked) for peer in peers),
        "drops": dict(sum((collections.Counter(peer.drops) for peer in peers), collections.Counter())),
    }


def scrape(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{url}/metrics", headers=headers, timeout=10)


def test_rolling_restart_then_a_crash_under_load(cluster):
    stack = cluster
    started = time.monotonic()
    for replica in stack.replicas:  # Prometheus: the replica's own address, plain HTTP, the token
        assert scrape(replica.url, METRICS_TOKEN).status_code == 200
        assert "tabib_http_request_duration_seconds" in scrape(replica.url, METRICS_TOKEN).text
        assert scrape(replica.url, None).status_code == 404
    redirect = httpx.get(f"{stack.replicas[0].url}/api/v1/specialties", timeout=10)
    assert redirect.status_code == 301  # production's https redirect is on; the balancer says https

    doctors = [doctor_create(stack) for _ in range(DOCTORS)]
    patients = [patient_register(stack) for _ in range(PATIENTS)]
    used = set()
    peers: list[Peer] = []
    for index, patient in enumerate(patients):
        doctor = doctors[index % DOCTORS]
        slot = next(s for s in free_slots(stack, doctor.doctor_id) if s["start"] not in used)
        used.add(slot["start"])
        book_one(stack, patient, doctor, slot["start"])
        with api(stack.http, patient) as client:
            thread = expect(client.post("/chat/threads", json={"doctor_id": doctor.doctor_id}), 201)
        peers += [Peer(stack, patient, thread["id"], True), Peer(stack, doctor, thread["id"], False)]
    times = iter([s["start"] for s in free_slots(stack, doctors[0].doctor_id, days=7) if s["start"] not in used])
    booked = dict.fromkeys((patient.user_id for patient in patients), 1)
    print(f"\nsetup: {DOCTORS} doctors, {PATIENTS} patients, {len(peers)} sockets in {time.monotonic() - started:.0f}s")

    def deliveries() -> dict[str, int]:
        rows = stack.psql("SELECT status, count(*) FROM notifications_delivery WHERE channel = 'email' GROUP BY 1")
        return {status: int(n) for status, n in (row.split("|") for row in rows.splitlines())}

    wait_until(lambda: set(deliveries()) == {"sent"}, timeout=60, interval=1, what="the setup's emails")
    emails_before, sent_before = len(stack.mailbox._messages), deliveries()["sent"]

    async def phase(disrupt) -> tuple[Figures, dict[str, int]]:
        for peer in peers:  # each phase counts its own messages; what a peer holds stays
            peer.connected = asyncio.Event()  # of this phase's event loop
            peer.drops.clear()
            peer.sent.clear()
            peer.socket_frames.clear()
            peer.reconnects = peer.recovered = 0
        load = Load(stack, patients, doctors, peers, times, booked)
        closing = asyncio.Event()
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=stack.http, timeout=30, limits=limits) as http:
            holders = [asyncio.create_task(peer.hold_socket(http, load.figures, closing)) for peer in peers]
            await asyncio.gather(*(peer.connected.wait() for peer in peers))
            running = asyncio.create_task(load.run(http))
            await asyncio.sleep(3)
            await asyncio.to_thread(disrupt)
            await asyncio.sleep(3)
            load.stopping.set()
            await running
            deadline = time.monotonic() + 20  # the last messages reach their sockets
            while time.monotonic() < deadline and chat_figures(peers)["lost"] + chat_figures(peers)["unacked"]:
                await asyncio.sleep(0.2)
            closing.set()
            for peer in peers:
                if peer.socket is not None:
                    await peer.socket.close()
            await asyncio.gather(*holders)
        return load.figures, chat_figures(peers)

    def rolling_restart() -> None:
        for replica in stack.replicas:
            stack.balancer(f"set server daphne/{replica.name} state drain")
            time.sleep(DRAIN_SECONDS)  # requests in flight finish; new ones go to the others
            assert stack.replica_stop(replica, signal.SIGTERM) is not None
            stack.replica_start(replica)
            stack.replica_wait_ready(replica)
            stack.balancer(f"set server daphne/{replica.name} state ready")
            wait_until(lambda r=replica: stack.balancer_status()[r.name] == "UP", timeout=30, what=f"{replica.name} UP")
        stack.process_restart("celery_1", signal.SIGTERM)  # warm shutdown: the task it runs finishes

    rolled, rolled_chat = asyncio.run(phase(rolling_restart))
    print(f"rolling restart of 3 replicas + 1 worker: {rolled.line()}; chat {rolled_chat}")

    killed_at: list[float] = []

    def crash() -> None:
        victim = stack.replicas[1]
        killed_at.append(time.monotonic())
        stack.replica_stop(victim, signal.SIGKILL)
        time.sleep(3)
        stack.replica_start(victim)
        stack.replica_wait_ready(victim)
        wait_until(lambda: stack.balancer_status()[victim.name] == "UP", timeout=30, what="the killed replica UP")

    crashed, crashed_chat = asyncio.run(phase(crash))
    print(f"SIGKILL of one replica: {crashed.line()}; chat {crashed_chat}")
    if crashed.failed:
        print("  failed:", *crashed.failed, sep="\n    ")

    assert rolled.failed == []
    assert rolled_chat["lost"] == rolled_chat["duplicates"] == rolled_chat["unacked"] == 0
    assert rolled_chat["reconnects"] >= len(peers)  # every socket was on a restarted replica once
    assert crashed_chat["lost"] == crashed_chat["duplicates"] == crashed_chat["unacked"] == 0
    assert crashed_chat["reconnects"] >= 1
    assert len(crashed.failed) <= 5, crashed.failed  # at most what was in flight on the killed replica
    assert all(peer.errors == [] for peer in peers), [peer.errors for peer in peers]
    for patient, payload, key in crashed.unanswered_bookings:  # booked once, whether it had committed or not
        with api(stack.http, patient, headers={"Idempotency-Key": key}) as client:
            expect(client.post("/appointments", json=payload), 201)

    # No Celery task lost: every email the load queued was sent, once.
    wait_until(lambda: set(deliveries()) == {"sent"}, timeout=90, interval=1, what="every email sent")
    sent, emails = deliveries()["sent"] - sent_before, len(stack.mailbox._messages) - emails_before
    print(f"emails queued and sent {sent}, received by SMTP {emails}; total {time.monotonic() - started:.0f}s")
    assert emails == sent


def book_one(stack: Stack, patient: Account, doctor: Account, start: str) -> None:
    with api(stack.http, patient) as client:
        payload = {"doctor_id": doctor.doctor_id, "start": start, "payment_method": "clinic"}
        expect(client.post("/appointments", json=payload), 201)
