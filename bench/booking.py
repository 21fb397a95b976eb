"""Benchmarks of the slot engine and of booking under contention, against a running server.

    DATABASE_URL=postgres://... python bench/booking.py --base-url http://127.0.0.1:8765 [--clients 50]

It prepares its own data in the database of DATABASE_URL (a verified doctor open every day, K patients
with access tokens), then:
  (a) hammers `GET /doctors/{id}/availability` for a 31-day window: p50/p95/p99 and requests/s;
  (b) races K clients, each on its own connection, to book the same slot: prints the successes
      (must be exactly 1), the 409s, any other outcome and the latency percentiles.
The server must use the same database. Figures are printed, nothing is asserted except the race count.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(label: str, latencies: list[float]) -> str:
    ms = [v * 1000 for v in latencies]
    return (
        f"{label}: n={len(ms)} p50={percentile(ms, 50):.2f} ms p95={percentile(ms, 95):.2f} ms "
        f"p99={percentile(ms, 99):.2f} ms max={max(ms):.2f} ms"
    )


def prepare(clients: int):
    """A fresh verified doctor (every day 07:00-21:00, 30 min) and `clients` patients with tokens."""
    import django

    django.setup()
    from datetime import time as dtime

    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User
    from appointments.services import availability_rules_replace
    from doctors.models import DoctorProfile, VerificationStatus

    run = uuid.uuid4().hex[:8]
    doctor_user = User.objects.create_user(
        email=f"bench-doctor-{run}@bench.tabib.local", role=Role.DOCTOR, first_name="Bench", last_name=run
    )
    doctor = DoctorProfile.objects.create(
        user=doctor_user,
        timezone="Europe/Paris",
        slot_minutes=30,
        verification_status=VerificationStatus.VERIFIED,
        accepts_payment_methods=["card", "clinic"],
    )
    availability_rules_replace(
        doctor=doctor, rules=[{"weekday": d, "start_time": dtime(7, 0), "end_time": dtime(21, 0)} for d in range(7)]
    )
    patients = User.objects.bulk_create(
        [
            User(
                email=f"bench-patient-{run}-{i}@bench.tabib.local",
                role=Role.PATIENT,
                first_name="P",
                last_name=str(i),
                password="!",
            )
            for i in range(clients)
        ]
    )
    tokens = [str(AccessToken.for_user(p)) for p in patients]
    return doctor, tokens


def free_starts(doctor, count: int) -> list[str]:
    from appointments.slots import free_slots, local_today

    today = local_today(doctor=doctor)
    found = []
    for _day, slots in free_slots(
        doctor=doctor, date_from=today + timedelta(days=1), date_to=today + timedelta(days=30)
    ):
        for start, _end in slots:
            found.append(start.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if len(found) == count:
                return found
    return found


def engine_timing(doctor, repeat: int = 50) -> list[float]:
    """In-process, uncached: the slot engine + JSON for a 31-day window (3 queries + Python)."""
    from django.utils import timezone

    from appointments.availability_cache import availability_render
    from appointments.slots import free_slots, local_today

    today = local_today(doctor=doctor)
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        days = free_slots(doctor=doctor, date_from=today, date_to=today + timedelta(days=30), now=timezone.now())
        availability_render(doctor=doctor, days=days)
        timings.append(time.perf_counter() - began)
    return timings


async def bench_availability(
    base_url: str, doctor_id: str, date_from: str, date_to: str, requests: int, concurrency: int
) -> tuple[list[float], float, dict]:
    url = f"{base_url}/api/v1/doctors/{doctor_id}/availability?from={date_from}&to={date_to}"
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    remaining = requests

    async def worker():
        nonlocal remaining
        async with httpx.AsyncClient(timeout=30) as client:
            await client.get(url)  # open the connection, warm up
            while remaining > 0:
                remaining -= 1
                began = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return latencies, len(latencies) / elapsed, statuses


async def race(base_url: str, doctor_id: str, start: str, tokens: list[str]) -> dict:
    """Every client opens its own connection first, then all fire at one signal."""
    go = asyncio.Event()
    ready = 0
    outcomes: dict[str, int] = {}
    latencies: list[float] = []

    async def client_run(token: str):
        nonlocal ready
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as client:
            await client.get("/health/live")
            ready += 1
            await go.wait()
            began = time.perf_counter()
            try:
                response = await client.post(
                    "/api/v1/appointments", json={"doctor_id": doctor_id, "start": start, "payment_method": "clinic"}
                )
                key = {201: "success", 409: "409"}.get(response.status_code, f"other {response.status_code}")
                if response.status_code == 409:
                    key = f"409 {response.json()['errors'][0]['code']}"
            except httpx.HTTPError as error:
                key = f"other {type(error).__name__}"
            latencies.append(time.perf_counter() - began)
            outcomes[key] = outcomes.get(key, 0) + 1

    tasks = [asyncio.create_task(client_run(t)) for t in tokens]
    while ready < len(tokens):
        await asyncio.sleep(0.01)
    go.set()
    await asyncio.gather(*tasks)
    return {"outcomes": outcomes, "latencies": latencies}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=50, help="K concurrent clients in the race")
    parser.add_argument("--rounds", type=int, default=3, help="race rounds, one fresh slot each")
    parser.add_argument("--requests", type=int, default=3000, help="availability requests")
    parser.add_argument("--concurrency", type=int, default=8, help="availability concurrent connections")
    parser.add_argument("--skip-availability", action="store_true")
    args = parser.parse_args()

    doctor, tokens = prepare(args.clients)
    from appointments.slots import local_today

    today = local_today(doctor=doctor)
    print(f"doctor {doctor.pk}, {len(tokens)} patients, server {args.base_url}")

    if not args.skip_availability:
        print(summary("(a) engine in-process, uncached, 31 days", engine_timing(doctor)))
        latencies, rate, statuses = asyncio.run(
            bench_availability(
                args.base_url,
                str(doctor.pk),
                today.isoformat(),
                (today + timedelta(days=30)).isoformat(),
                args.requests,
                args.concurrency,
            )
        )
        print(
            summary(f"(a) GET availability 31 days, {args.concurrency} connections", latencies)
            + f" throughput={rate:.0f} req/s statuses={statuses}"
        )

    starts = free_starts(doctor, args.rounds)
    exit_code = 0
    for round_number, start in enumerate(starts, 1):
        result = asyncio.run(race(args.base_url, str(doctor.pk), start, tokens))
        outcomes = result["outcomes"]
        successes = outcomes.get("success", 0)
        conflicts = sum(v for k, v in outcomes.items() if k.startswith("409"))
        others = {k: v for k, v in outcomes.items() if k != "success" and not k.startswith("409")}
        print(
            f"(b) race {round_number}: K={len(tokens)} slot={start} successes={successes} 409s={conflicts} "
            f"other={others or 0} breakdown={outcomes}"
        )
        print("    " + summary("booking latency", result["latencies"]))
        if successes != 1:
            exit_code = 1
    if starts:
        print(f"race verdict: {'OK, exactly one success per slot' if exit_code == 0 else 'FAILED'}")
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
