"""Benchmark of `GET /api/v1/doctors` (search) against a running server.

    DATABASE_URL=postgres://... python bench/doctors_search.py --seed            # seed 2,000 doctors, then measure
    python bench/doctors_search.py --url http://127.0.0.1:8765 --concurrency 16 --duration 20

Seeding writes into the database of DATABASE_URL (bench doctors are bench-doctor-NNNNN@bench.tabib.local,
added once). The load runs keep-alive connections from threads against a loopback URL only, for
at most --requests requests or --duration seconds, with a mix of typical filter combinations, and
prints p50/p95/p99 latency and requests/s.
"""

import argparse
import http.client
import ipaddress
import os
import random
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CITIES = [
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Marseille", "FR"),
    ("Lille", "FR"),
    ("Nantes", "FR"),
    ("Genève", "CH"),
    ("Bruxelles", "BE"),
    ("Casablanca", "MA"),
    ("Montréal", "CA"),
    ("London", "GB"),
]
FIRST = [
    "Hélène",
    "François",
    "Zoé",
    "Amélie",
    "Jérôme",
    "Léa",
    "Noël",
    "Chloé",
    "Émile",
    "Inès",
    "James",
    "Sarah",
    "Youssef",
    "Fatima",
    "Björn",
    "Olivia",
    "Thomas",
    "Camille",
    "Raphaël",
    "Nadia",
]
LAST = [
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Bénard",
    "Roux",
    "Fontaine",
    "Chevalier",
    "Müller",
    "Smith",
    "El Amrani",
    "Durand",
    "Gauthier",
    "Perrin",
    "Mercier",
    "Lemaître",
    "Faure",
    "Brunet",
    "Ngô",
    "Caron",
]
SPECIALTIES = [
    "general-practice",
    "cardiology",
    "dermatology",
    "pediatrics",
    "gynecology",
    "ophthalmology",
    "dentistry",
    "psychiatry",
    "ent",
    "orthopedics",
    "neurology",
    "endocrinology",
]
LANGUAGES = [["fr"], ["fr", "en"], ["fr", "ar"], ["en", "fr", "es"], ["fr", "de"], ["en"]]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def seed(count: int) -> None:
    setup_django()
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from doctors.directory_cache import directory_changed
    from doctors.models import DoctorProfile, Specialty
    from doctors.services import search_name_normalise

    rng = random.Random(42)
    specialties = []
    for slug in SPECIALTIES:
        name = slug.replace("-", " ").capitalize()
        specialty, _ = Specialty.objects.get_or_create(slug=slug, defaults={"name_en": name, "name_fr": name})
        specialties.append(specialty)
    existing = set(User.objects.filter(email__startswith="bench-doctor-").values_list("email", flat=True))
    password = make_password(None)
    now = timezone.now()
    users, profiles, links = [], [], []
    through = DoctorProfile.specialties.through
    for i in range(count):
        email = f"bench-doctor-{i:05d}@bench.tabib.local"
        if email in existing:
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        user = User(
            email=email, first_name=first, last_name=last, role=Role.DOCTOR, password=password, email_verified=True
        )
        city, country = rng.choice(CITIES)
        profile = DoctorProfile(
            user=user,
            city=city,
            country=country,
            clinic_name=f"Cabinet {last}",
            fee_amount=rng.randrange(20, 150) * 100,
            fee_currency="EUR",
            languages=rng.choice(LANGUAGES),
            years_experience=rng.randrange(1, 40),
            avg_rating=round(rng.uniform(2.5, 5.0), 2),
            rating_count=rng.randrange(0, 300),
            verification_status="verified" if rng.random() > 0.05 else "pending",
            search_name=search_name_normalise(f"{first} {last}"),
            next_available_at=now + timedelta(minutes=rng.randrange(60, 60 * 24 * 20)) if rng.random() > 0.1 else None,
        )
        users.append(user)
        profiles.append(profile)
        for specialty in rng.sample(specialties, rng.choice([1, 1, 2])):
            links.append((profile, specialty))
    with transaction.atomic():
        User.objects.bulk_create(users, batch_size=500)
        DoctorProfile.objects.bulk_create(profiles, batch_size=500)
        through.objects.bulk_create(
            [through(doctorprofile_id=p.pk, specialty_id=s.pk) for p, s in links], batch_size=1000
        )
        directory_changed()
    print(f"seeded {len(profiles)} new bench doctors ({len(existing)} already there)")


QUERIES = [
    {},
    {"specialty": "cardiology"},
    {"specialty": "dermatology", "city": "paris"},
    {"city": "Lyon", "ordering": "-rating"},
    {"q": "helene"},
    {"q": "dubois", "ordering": "name"},
    {"country": "fr", "max_fee": "6000", "ordering": "fee"},
    {"min_rating": "4", "ordering": "-rating"},
    {"language": "ar", "specialty": "pediatrics"},
    {"ordering": "next_available"},
    {"specialty": "general-practice", "ordering": "next_available", "page": "2"},
    {"city": "Marseille", "min_rating": "3.5", "max_fee": "8000"},
]


def check_loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    address = socket.gethostbyname(host)
    if not ipaddress.ip_address(address).is_loopback:
        raise SystemExit(f"refusing to load a non-loopback host: {host}")
    return host, parts.port or 80


def hammer(
    url: str,
    concurrency: int,
    total: int,
    duration: float,
    next_request: Callable[[random.Random], tuple[str, dict[str, str]]],
) -> tuple[list[float], dict, float]:
    """`concurrency` threads on keep-alive connections send `next_request(rng)` -> (path, headers)
    until `total` requests or `duration` seconds; returns latencies, statuses and elapsed seconds."""
    host, port = check_loopback(url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.perf_counter() + duration

    def worker(seed_value: int) -> None:
        rng = random.Random(seed_value)
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine, codes = [], {}
        while time.perf_counter() < deadline:
            with lock:
                if next(counter, None) is None:
                    break
            path, headers = next_request(rng)
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                code = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                code = 0
            mine.append(time.perf_counter() - started)
            codes[code] = codes.get(code, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def report(mode: str, latencies: list[float], statuses: dict, concurrency: int, elapsed: float) -> None:
    if not latencies:
        raise SystemExit("no request completed")
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{mode} requests={len(latencies)} concurrency={concurrency} elapsed={elapsed:.2f}s statuses={statuses}")
    print(
        f"p50={cuts[49] * 1000:.2f}ms p95={cuts[94] * 1000:.2f}ms p99={cuts[98] * 1000:.2f}ms "
        f"rps={len(latencies) / elapsed:.0f}"
    )


def load(url: str, concurrency: int, total: int, duration: float, page_size: int, cold: bool) -> None:
    host, port = check_loopback(url)
    base = urlsplit(url).path.rstrip("/") + "/api/v1/doctors"
    paths = [f"{base}?{urlencode({**q, 'page_size': page_size})}" for q in QUERIES]

    def next_request(rng: random.Random) -> tuple[str, dict[str, str]]:
        path = rng.choice(paths)
        if cold:  # a parameter the search ignores, unique per request: every request misses the cache
            path += f"&nocache={rng.random()}"
        return path, {"Accept-Language": rng.choice(["en", "fr"])}

    # Warm-up: every query once, so the figures are the steady state of a live directory.
    for path in paths:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()
    latencies, statuses, elapsed = hammer(url, concurrency, total, duration, next_request)
    report("cold (cache defeated)" if cold else "warm", latencies, statuses, concurrency, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", action="store_true", help="seed the doctors first (DATABASE_URL)")
    parser.add_argument("--doctors", type=int, default=2000, help="number of bench doctors to seed")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=10000, help="upper bound on requests")
    parser.add_argument("--duration", type=float, default=15.0, help="upper bound on seconds")
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--no-load", action="store_true", help="only seed")
    parser.add_argument("--cold", action="store_true", help="defeat the page cache (measures the database path)")
    args = parser.parse_args()
    if args.seed:
        seed(args.doctors)
    if not args.no_load:
        load(args.url, args.concurrency, args.requests, args.duration, args.page_size, args.cold)


if __name__ == "__main__":
    main()
