"""CPU time per request of `bench/compare.py`'s rows, in process: no server, no load generator.

    DJANGO_SETTINGS_MODULE=config.settings.prod DEBUG=False SECURE_SSL_REDIRECT=False DB_POOL_MAX_SIZE=8 \
        DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/8 SECRET_KEY=... FIELD_ENCRYPTION_KEY=... \
        ALLOWED_HOSTS=127.0.0.1 .venv/bin/python bench/cpu_per_request.py --data /tmp/compare.json \
        [--requests 300] [--only appointments] [--profile appointments --sort tottime]

The same data file, rows and paths as `compare.py run` (prepare it first), the same ASGI application
(`bench.floor_asgi`: Tabib plus the floor view) called directly on one event loop, one request at a
time, so each request's thread switch, fast-path lookup, middleware, view and queries all run, but
nothing else in the process competes. The figure is the process's CPU time (every thread) per
request, which a busy shared box barely moves, unlike wall-clock throughput; "x floor" divides the
floor's CPU per request by the row's (what the ratio of req/s would be on a CPU-bound server).
Uncached rows empty the `REDIS_URL` db first (a bench-only db: it is FLUSHDB'd) and use distinct
paths, as in `compare.py`. Each row runs in `--batches` batches (distinct paths, an empty cache at the
start of each on uncached rows) and the least CPU per request of its batches is reported: other
processes on the box only ever add to a batch's figure. `--profile` adds a cProfile (thread CPU
clock) of the first batch of the named rows: the event loop's thread and Django's handler threads.
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


async def _call(app, path: str, headers: dict[str, str]) -> int:
    parts = urlsplit(path)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in headers.items())],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 18700),
    }
    sent_body = False
    never = asyncio.Event()

    async def receive():
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()  # Django listens for a disconnect that never comes

    status = 0

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _profiled(profiler: cProfile.Profile, get_response, request):
    profiler.enable()
    try:
        return get_response(request)
    finally:
        profiler.disable()


async def _run_row(app, row, count: int, batch: int, profile: bool) -> tuple[float, float, pstats.Stats | None]:
    from config.asgi import django_asgi_app as handler

    paths = (row.paths * ((batch + 1) * count // len(row.paths) + 1))[batch * count : (batch + 1) * count]
    profilers: list[cProfile.Profile] = []
    if profile:
        loop_profiler, thread_profiler = cProfile.Profile(time.thread_time), cProfile.Profile(time.thread_time)
        profilers = [loop_profiler, thread_profiler]
        # cProfile follows one thread, and Django's handler runs each request in a thread of its own.
        handler.get_response = partial(_profiled, thread_profiler, type(handler).get_response.__get__(handler))
        loop_profiler.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    for path in paths:
        status = await _call(app, path, row.headers)
        if status != 200:
            raise SystemExit(f"{row.name}: {path} answered {status}")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    stats = None
    if profile:
        profilers[0].disable()
        del handler.get_response
        stats = pstats.Stats(profilers[0])
        stats.add(profilers[1])
    return cpu * 1000 / count, wall * 1000 / count, stats


async def main_async(args) -> None:
    from compare import build_rows

    from bench.floor_asgi import application

    data = json.loads(Path(args.data).read_text())
    rows = build_rows(data, args.seed)
    if args.only:
        rows = [rows[0], *(row for row in rows[1:] if any(word in row.name for word in args.only))]
    for row in rows:  # imports, pool, first queries
        for path in row.paths[:3]:
            await _call(application, path, row.headers)
    results = []
    for row in rows:
        if row.warm:
            for path in row.paths:
                await _call(application, path, row.headers)
        profile = bool(args.profile) and any(word in row.name for word in args.profile)
        batches = []
        for batch in range(args.batches):
            if row.uncached:
                _flush()
            batches.append(await _run_row(application, row, args.requests, batch, profile and batch == 0))
        cpu_ms, wall_ms = min(cpu for cpu, _wall, _stats in batches), min(wall for _cpu, wall, _stats in batches)
        results.append((row, cpu_ms, wall_ms))
        stats = batches[0][2]
        if stats is not None:
            out = io.StringIO()
            stats.stream = out
            stats.sort_stats(args.sort).print_stats(args.lines)
            print(f"\n### profile: {row.name} ({args.requests} requests)\n{out.getvalue()}")
    floor_cpu = results[0][1]
    print(
        f"\n{args.batches} batches of {args.requests} requests a row, one at a time, the least CPU of the batches, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| request | CPU ms/req | wall ms/req | x floor (CPU) |")
    print("|---|---|---|---|")
    for row, cpu_ms, wall_ms in results:
        print(f"| {row.name} | {cpu_ms:.2f} | {wall_ms:.2f} | {floor_cpu / cpu_ms:.2f} |")


def _flush() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="/tmp/tabib-compare.json")
    parser.add_argument("--requests", type=int, default=300, help="requests per row")
    parser.add_argument("--batches", type=int, default=3, help="batches per row: the least CPU counts")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--only", nargs="*", help="only the rows whose name contains one of these (and the floor)")
    parser.add_argument("--profile", nargs="*", help="cProfile the rows whose name contains one of these")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--lines", type=int, default=45, help="profile lines to print")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
