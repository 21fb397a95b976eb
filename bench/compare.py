"""One table of where Tabib's requests stand against the floor, measured in one run (issue 19).

    # once: 2,000 bench doctors with schedules (the availability loader), then this script's data
    DATABASE_URL=postgres://... .venv/bin/python bench/availability.py --seed --no-load
    DATABASE_URL=postgres://... SECRET_KEY=... .venv/bin/python bench/compare.py prepare --data /tmp/compare.json
    # (prepare also ANALYZEs and sets the database's random_page_cost to 1.1, as deployed: docs/deploy.md)

    # a Daphne you start yourself, serving bench/floor_asgi.py (Tabib plus the floor view)
    DJANGO_SETTINGS_MODULE=config.settings.prod DEBUG=False SECURE_SSL_REDIRECT=False DB_POOL_MAX_SIZE=8 \
        DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/8 SECRET_KEY=... FIELD_ENCRYPTION_KEY=... \
        ALLOWED_HOSTS=127.0.0.1 .venv/bin/daphne -b 127.0.0.1 -p 18700 bench.floor_asgi:application &

    .venv/bin/python bench/compare.py run --url http://127.0.0.1:18700 --data /tmp/compare.json \
        --redis-url redis://127.0.0.1:6379/8 --pid $DAPHNE_PID

It starts no server. Each row is one `wrk -t2 -c8 -d10s --latency` (with a Lua script that picks the
row's requests and prints p50/p95/p99); every row runs once per round, rounds repeat `--runs` times
(default 3) and the table shows the medians; the ratio is the row's req/s over the floor's req/s of
the same round (median of the rounds' ratios).

Rows: the floor (a bare Django JSON view, no middleware, under Django's own ASGI handler,
`bench/floor_asgi.py`); the same view under Tabib's handler (`core.asgi_handler`), still without
middleware, so that `/health/live` against it is what the middleware stack costs; `/health/live`;
`GET /appointments` (20 rows) and `GET /users/me` with a bearer token; availability of a random
bench doctor over 7 and 31 days, uncached; the doctor search with random filters, uncached; cache
hits of availability and search. "Uncached" means every request of the row is distinct (doctor x
window, or filter combination), so no cached answer can serve it; with `--redis-url` (a bench-only
Redis db: it is FLUSHDB'd) each uncached row also starts with an empty cache, so the doctors'
cached schedules and facts are rebuilt from the database during the row, the same in every round.
With `--pid` (the Daphne's pid) the table adds the server CPU time per request.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPARE_PATIENT = "bench-compare-patient@bench.tabib.local"
LIST_ROWS = 20
HOT_DOCTORS = 20
DISTINCT_REQUESTS = 20_000

LUA = """
local paths = {%(paths)s}
local headers = {%(headers)s}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  index = id
end
function request()
  index = index + %(threads)d
  local path = paths[(index %% #paths) + 1]
  return wrk.format("GET", path, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%%d,"duration_us":%%d,"socket_errors":%%d,"status_errors":%%d,'
    .. '"p50":%%d,"p95":%%d,"p99":%%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def prepare(data_path: Path) -> None:
    """A bench patient with 25 upcoming appointments (on 25 bench doctors, beyond the booking horizon
    so no availability changes) and a 12-hour access token; the ids of the verified bench doctors.
    Where no policy is published yet, published terms and privacy texts (~10 kB a language, as a
    real policy), the privacy one accepted by the patient: what `/users/me` reads in production."""
    setup_django()
    from availability import bench_doctor_ids
    from django.db import transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User
    from appointments.availability_cache import schedule_version_bump
    from appointments.models import Appointment, AppointmentStatus
    from doctors.models import DoctorProfile
    from support.models import Policy, PolicyAcceptance, PolicySlug

    doctor_ids = bench_doctor_ids()
    if len(doctor_ids) < 100:
        raise SystemExit("seed the bench doctors first: bench/availability.py --seed --no-load")
    with transaction.atomic():
        patient, created = User.objects.get_or_create(
            email=COMPARE_PATIENT,
            defaults={"role": Role.PATIENT, "first_name": "Compare", "last_name": "Patient", "password": "!"},
        )
        if created:
            day = datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0) + timedelta(days=120)
            doctors = DoctorProfile.objects.filter(pk__in=doctor_ids[-25:])
            Appointment.objects.bulk_create(
                Appointment(
                    doctor=doctor,
                    patient=patient,
                    start=day + timedelta(days=i),
                    end=day + timedelta(days=i, minutes=doctor.slot_minutes),
                    status=AppointmentStatus.CONFIRMED,
                    payment_method="clinic",
                )
                for i, doctor in enumerate(doctors)
            )
            for doctor in doctors:
                schedule_version_bump(doctor_id=doctor.pk)
        if not Policy.objects.filter(is_published=True).exists():
            now = datetime.now(UTC)
            for slug in (PolicySlug.TERMS, PolicySlug.PRIVACY):
                policy = Policy.objects.create(
                    slug=slug,
                    version=1,
                    title_en=f"Bench {slug}",
                    title_fr=f"Bench {slug}",
                    body_en="Lorem ipsum dolor sit amet. " * 360,
                    body_fr="Le vif renard brun saute. " * 380,
                    is_published=True,
                    published_at=now,
                )
                if slug == PolicySlug.PRIVACY:
                    PolicyAcceptance.objects.create(user=patient, policy=policy)
    planner_statistics_refresh()
    token = AccessToken.for_user(patient)
    token.set_exp(lifetime=timedelta(hours=12))
    data_path.write_text(json.dumps({"patient_token": str(token), "doctor_ids": doctor_ids}))
    print(f"wrote {data_path}: {len(doctor_ids)} doctors, patient {COMPARE_PATIENT}")


def planner_statistics_refresh() -> None:
    """The bench database planned as production's is: ANALYZE, as autovacuum would have done by now
    after the seeding's bulk inserts (without statistics the planner guesses row counts, as it does
    on a server running with autovacuum off, which this bench machine's is), and the
    `random_page_cost` docs/deploy.md recommends for SSD storage, for this database only (new
    sessions, so start the server afterwards). Prints the settings the table is measured with."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} SET random_page_cost = 1.1"
        )
        cursor.execute("SELECT current_setting('autovacuum')")
        (autovacuum,) = cursor.fetchone()
    print(f"analyzed; PostgreSQL random_page_cost=1.1 for new sessions of this database, autovacuum={autovacuum}")


# --- the rows ---------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    uncached: bool = False
    warm: bool = False  # request every path once before measuring


def _availability_paths(doctor_ids: list[str], days: int, rng: random.Random) -> list[str]:
    today = datetime.now(UTC).date()
    # Windows start from today to 59 days ahead: 2,000 doctors x 60 starts, sampled without repeats.
    combos = rng.sample(range(len(doctor_ids) * 60), min(DISTINCT_REQUESTS, len(doctor_ids) * 60))
    paths = []
    for combo in combos:
        doctor_id, offset = doctor_ids[combo // 60], combo % 60
        start = today + timedelta(days=offset)
        end = start + timedelta(days=days - 1)
        paths.append(f"/api/v1/doctors/{doctor_id}/availability?from={start.isoformat()}&to={end.isoformat()}")
    return paths


def _search_paths(rng: random.Random) -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from urllib.parse import urlencode

    from doctors_search import CITIES, FIRST, LANGUAGES, LAST, SPECIALTIES

    names = sorted({name.lower() for name in FIRST + LAST})
    languages = sorted({code for codes in LANGUAGES for code in codes})
    orderings = ["", "rating", "-rating", "fee", "-fee", "name", "next_available"]
    seen: set[str] = set()
    paths: list[str] = []
    for _ in range(DISTINCT_REQUESTS * 20):
        if len(paths) == DISTINCT_REQUESTS:
            break
        query: dict[str, str] = {}
        if rng.random() < 0.5:
            query["specialty"] = rng.choice(SPECIALTIES)
        if rng.random() < 0.4:
            query["city"] = rng.choice(CITIES)[0]
        if rng.random() < 0.2:
            query["q"] = rng.choice(names)
        if rng.random() < 0.2:
            query["language"] = rng.choice(languages)
        if rng.random() < 0.3:
            query["min_rating"] = str(rng.choice([2.5, 3, 3.5, 4, 4.5]))
        if rng.random() < 0.3:
            query["max_fee"] = str(rng.randrange(30, 150) * 100)
        ordering = rng.choice(orderings)
        if ordering:
            query["ordering"] = ordering
        text = urlencode(sorted(query.items()))
        if text not in seen:
            seen.add(text)
            paths.append("/api/v1/doctors" + (f"?{text}" if text else ""))
    return paths


def build_rows(data: dict, seed: int) -> list[Row]:
    rng = random.Random(seed)
    bearer = {"Authorization": f"Bearer {data['patient_token']}"}
    doctor_ids = data["doctor_ids"]
    today = datetime.now(UTC).date()
    month = f"from={today.isoformat()}&to={(today + timedelta(days=30)).isoformat()}"
    hot = rng.sample(doctor_ids, HOT_DOCTORS)
    return [
        Row("floor (bare Django view)", ["/bench/floor"]),
        Row("bare view, Tabib's handler (no middleware)", ["/bench/floor-own-handler"]),
        Row("/health/live", ["/health/live"]),
        Row(f"GET /appointments ({LIST_ROWS} rows, bearer)", ["/api/v1/appointments"], bearer),
        Row("GET /users/me (bearer)", ["/api/v1/users/me"], bearer),
        Row("availability 7 d, random doctor, uncached", _availability_paths(doctor_ids, 7, rng), uncached=True),
        Row("availability 31 d, random doctor, uncached", _availability_paths(doctor_ids, 31, rng), uncached=True),
        Row("search, random filters, uncached", _search_paths(rng), uncached=True),
        Row(
            f"availability 31 d, cache hits ({HOT_DOCTORS} doctors)",
            [f"/api/v1/doctors/{pk}/availability?{month}" for pk in hot],
            warm=True,
        ),
        Row("search, cache hits (12 queries)", _search_hit_paths(), warm=True),
    ]


def _search_hit_paths() -> list[str]:
    from urllib.parse import urlencode

    from doctors_search import QUERIES

    return ["/api/v1/doctors" + (f"?{urlencode(query)}" if query else "") for query in QUERIES]


# --- running ----------------------------------------------------------------------------------


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string for these ASCII paths


def _cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _flush(redis_url: str | None) -> None:
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()


def _warm(url: str, row: Row) -> None:
    for path in row.paths:
        request = urllib.request.Request(url + path, headers=row.headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def run_row(args, row: Row) -> dict:
    if row.uncached:
        _flush(args.redis_url)
    if row.warm:
        _warm(args.url, row)
    lua = LUA % {
        "paths": ",".join(_lua_string(p) for p in row.paths),
        "headers": ",".join(f"[{_lua_string(k)}]={_lua_string(v)}" for k, v in row.headers.items()),
        "threads": args.threads,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        cpu_before = _cpu_seconds(args.pid)
        output = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                args.url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        cpu_after = _cpu_seconds(args.pid)
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_ms"] = (
        (cpu_after - cpu_before) * 1000 / result["requests"] if cpu_before is not None and result["requests"] else None
    )
    if row.uncached and result["requests"] > len(row.paths):
        print(f"  warning: {row.name}: {result['requests']} requests over {len(row.paths)} distinct paths")
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(rows: list[Row], rounds: list[list[dict]]) -> None:
    cpu = rounds[0][0]["cpu_ms"] is not None
    header = "| request | req/s | p50 ms | p95 ms | p99 ms | p99/p50 | errors | x floor |" + (
        " CPU ms/req |" if cpu else ""
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for index, row in enumerate(rows):
        results = [round_[index] for round_ in rounds]
        rps = _median([r["rps"] for r in results])
        ratio = _median([r["rps"] / round_[0]["rps"] for r, round_ in zip(results, rounds, strict=True)])
        p50, p95, p99 = (_median([r[key] / 1000 for r in results]) for key in ("p50", "p95", "p99"))
        errors = sum(r["socket_errors"] + r["status_errors"] for r in results)
        line = (
            f"| {row.name} | {rps:.0f} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {p99 / p50:.1f} | {errors} | {ratio:.2f} |"
        )
        if cpu:
            line += f" {_median([r['cpu_ms'] for r in results]):.2f} |"
        print(line)


def run(args) -> None:
    data = json.loads(Path(args.data).read_text())
    rows = build_rows(data, args.seed)
    if args.only:
        rows = [rows[0], *(row for row in rows[1:] if any(word in row.name for word in args.only))]
    # Warm the process (imports, pool, first queries) before the first measured round.
    for row in rows:
        _warm(args.url, Row(row.name, row.paths[:3], row.headers))
    rounds = []
    for number in range(args.runs):
        results = []
        for row in rows:
            result = run_row(args, row)
            print(
                f"  round {number + 1} {row.name}: {result['rps']:.0f} req/s p50 {result['p50'] / 1000:.1f} ms "
                f"p99 {result['p99'] / 1000:.1f} ms errors {result['socket_errors'] + result['status_errors']}",
                flush=True,
            )
            results.append(result)
        rounds.append(results)
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, medians of {args.runs} rounds, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}\n"
    )
    print_table(rows, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="create the bench patient and write the data file (DATABASE_URL)")
    prep.add_argument("--data", default="/tmp/tabib-compare.json")
    bench = commands.add_parser("run", help="measure a running server")
    bench.add_argument("--url", required=True, help="base URL of a Daphne serving bench.floor_asgi:application")
    bench.add_argument("--data", default="/tmp/tabib-compare.json")
    bench.add_argument("--runs", type=int, default=3)
    bench.add_argument("--duration", type=int, default=10, help="seconds per row")
    bench.add_argument("--threads", type=int, default=2)
    bench.add_argument("--connections", type=int, default=8)
    bench.add_argument("--redis-url", help="bench-only Redis db of the server: flushed before each uncached row")
    bench.add_argument("--pid", type=int, help="the server's pid, for its CPU time per request")
    bench.add_argument("--seed", type=int, default=19)
    bench.add_argument("--only", nargs="*", help="only the rows whose name contains one of these (and the floor)")
    args = parser.parse_args()
    if args.command == "prepare":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        prepare(Path(args.data))
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        run(args)


if __name__ == "__main__":
    main()
