"""A burst of concurrent requests (registrations and availability) across Daphne processes.

Fires `--requests` requests at once, alternating `POST /api/v1/auth/register` (a new account each)
and `GET /api/v1/doctors/{id}/availability`, spread round-robin over every `--url`; meanwhile polls
`pg_stat_activity` for the connections PostgreSQL holds on the database. Then checks the service
answers normally right after (`GET /specialties`, one registration, on every URL). Prints the
status counts, the 5xx count and the peak connection count; `--json` prints them as one JSON object.

    .venv/bin/python bench/burst.py --url http://127.0.0.1:8001 --url http://127.0.0.1:8002 \
        --database-url postgres://postgres@127.0.0.1:5432/tabib [--doctor-id UUID] [--requests 300]

Exit status 1 when any request got a 5xx or failed at the transport level.
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from datetime import date, timedelta

import httpx
import psycopg

PASSWORD = "burst-Pass-2026-long"


async def _poll_connections(database_url: str, stop: asyncio.Event, peak: list[int]) -> None:
    dbname = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        while not stop.is_set():
            row = await (
                await connection.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [dbname])
            ).fetchone()
            peak[0] = max(peak[0], row[0] - 1)  # not counting this poller
            await asyncio.sleep(0.05)


async def _doctor_id(client: httpx.AsyncClient, url: str) -> str:
    response = await client.get(f"{url}/api/v1/doctors")
    response.raise_for_status()
    return response.json()["results"][0]["id"]


def _register_body() -> dict:
    return {
        "email": f"burst-{uuid.uuid4().hex[:12]}@bench.tabib.test",
        "password": PASSWORD,
        "role": "patient",
        "first_name": "Burst",
        "last_name": "Patient",
    }


async def _one(client: httpx.AsyncClient, method: str, url: str, **kwargs) -> str:
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        return f"transport:{type(error).__name__}"
    return str(response.status_code)


async def burst(urls: list[str], *, requests: int, doctor_id: str, database_url: str) -> dict:
    start = date.today() + timedelta(days=1)
    window = {"from": start.isoformat(), "to": (start + timedelta(days=6)).isoformat()}
    limits = httpx.Limits(max_connections=requests + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=180, limits=limits) as client:
        doctor_id = doctor_id or await _doctor_id(client, urls[0])
        calls = []
        for index in range(requests):
            url = urls[index % len(urls)]
            if index % 2 == 0:
                calls.append(("register", _one(client, "POST", f"{url}/api/v1/auth/register", json=_register_body())))
            else:
                path = f"{url}/api/v1/doctors/{doctor_id}/availability"
                calls.append(("availability", _one(client, "GET", path, params=window)))
        stop, peak = asyncio.Event(), [0]
        poller = asyncio.create_task(_poll_connections(database_url, stop, peak)) if database_url else None
        began = time.monotonic()
        statuses = await asyncio.gather(*(call for _, call in calls))
        elapsed = time.monotonic() - began
        stop.set()
        if poller:
            await poller
        after = {}
        for url in urls:
            after[url] = {
                "specialties": await _one(client, "GET", f"{url}/api/v1/specialties"),
                "register": await _one(client, "POST", f"{url}/api/v1/auth/register", json=_register_body()),
            }
    by_kind: dict[str, Counter] = {"register": Counter(), "availability": Counter()}
    for (kind, _), status in zip(calls, statuses, strict=True):
        by_kind[kind][status] += 1
    failures = sum(1 for s in statuses if s.startswith("5") or s.startswith("transport"))
    return {
        "requests": requests,
        "urls": urls,
        "seconds": round(elapsed, 2),
        "statuses": {kind: dict(counter) for kind, counter in by_kind.items()},
        "server_errors": failures,
        "peak_connections": peak[0] if database_url else None,
        "after": after,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", required=True, help="base URL of one server (repeat)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--doctor-id", default="", help="doctor whose availability is read (default: the first)")
    parser.add_argument("--database-url", default="", help="postgres://... to poll pg_stat_activity")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args()
    result = asyncio.run(
        burst(
            [url.rstrip("/") for url in args.url],
            requests=args.requests,
            doctor_id=args.doctor_id,
            database_url=args.database_url,
        )
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['requests']} requests over {len(result['urls'])} servers in {result['seconds']} s")
        for kind, counter in result["statuses"].items():
            print(f"  {kind}: {counter}")
        print(f"5xx or transport errors: {result['server_errors']}")
        print(f"PostgreSQL connections at peak: {result['peak_connections']}")
        print(f"right after: {result['after']}")
    return 1 if result["server_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
