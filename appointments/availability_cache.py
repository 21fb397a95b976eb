"""The public availability answer, cached briefly and keyed by a per-doctor schedule version.

Any change to a doctor's rules, time off or appointments bumps the version after commit, so a cached
answer is never served past such a change. Entries also live at most a minute and are computed for
the end of the current minute: the minimum notice can only hide a slot a little early, never show
one too late. A cache hit costs one cache round trip and no query. Booking never reads this cache:
it re-checks against the database.

The doctor's public facts (zone, slot length, visible or not) are cached for a minute too; the
doctors app calls `availability_cache_invalidate` when it changes them so that is immediate.
"""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from appointments.slots import free_slots

TTL_SECONDS = 60


def _version_key(doctor_id) -> str:
    return f"appointments:schedule-version:{doctor_id}"


def _doctor_key(doctor_id) -> str:
    return f"appointments:doctor-public:{doctor_id}"


def schedule_version_bump(*, doctor_id) -> None:
    """Invalidate every cached availability answer of one doctor once the transaction commits."""
    transaction.on_commit(lambda: cache.set(_version_key(doctor_id), uuid.uuid4().hex, None))


def availability_cache_invalidate(*, doctor_id) -> None:
    """For profile changes (zone, slot length, verification): drop the cached facts and answers."""
    def drop() -> None:
        cache.delete(_doctor_key(doctor_id))
        cache.set(_version_key(doctor_id), uuid.uuid4().hex, None)

    transaction.on_commit(drop)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is much cheaper than strftime; slots are whole minutes.
    return moment.isoformat()[:19] + "Z"


def availability_render(*, doctor, date_from: date, date_to: date, now: datetime) -> bytes:
    days = free_slots(doctor=doctor, date_from=date_from, date_to=date_to, now=now)
    texts: dict[datetime, str] = {}  # a slot's end is usually the next one's start

    def text(moment: datetime) -> str:
        found = texts.get(moment)
        if found is None:
            found = texts[moment] = _utc(moment)
        return found

    payload = {
        "doctor_id": str(doctor.pk),
        "timezone": doctor.timezone,
        "days": [
            {"date": day.isoformat(), "slots": [{"start": text(start), "end": text(end)} for start, end in slots]}
            for day, slots in days
        ],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


class _DoctorFacts:
    """The few fields of a DoctorProfile the slot engine reads."""

    def __init__(self, pk, timezone_name: str, slot_minutes: int) -> None:
        self.pk = pk
        self.timezone = timezone_name
        self.slot_minutes = slot_minutes


def availability_json(*, doctor_id, date_from: date | None, date_to: date | None,
                      now: datetime | None = None) -> bytes:
    """The JSON body of `GET /doctors/{id}/availability` (404 for an invisible doctor, 400 for a bad
    window), from the cache when still valid."""
    from appointments.selectors import availability_window, bookable_doctor_get

    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    doctor_key, version_key = _doctor_key(doctor_id), _version_key(doctor_id)
    # With both dates given (the usual call) one cache round trip answers a hit.
    result_key = _result_key(doctor_id, date_from, date_to, minute) if date_from and date_to else None
    found = cache.get_many([doctor_key, version_key, *([result_key] if result_key else [])])
    facts = found.get(doctor_key)
    if facts is None:
        profile = bookable_doctor_get(doctor_id=doctor_id)
        facts = (profile.timezone, profile.slot_minutes)
        cache.set(doctor_key, facts, TTL_SECONDS)
    doctor = _DoctorFacts(doctor_id, *facts)
    window = availability_window(doctor=doctor, date_from=date_from, date_to=date_to)
    if result_key is None:
        result_key = _result_key(doctor_id, *window, minute)
        found[result_key] = cache.get(result_key)
    version = found.get(version_key)
    cached = found.get(result_key)
    if version is not None and cached is not None and cached[0] == (version, facts):
        return cached[1]
    if version is None:
        cache.add(version_key, uuid.uuid4().hex, None)
        version = cache.get(version_key)
    body = availability_render(doctor=doctor, date_from=window[0], date_to=window[1],
                               now=minute + timedelta(minutes=1))
    cache.set(result_key, ((version, facts), body), TTL_SECONDS)
    return body


def _result_key(doctor_id, date_from: date, date_to: date, minute: datetime) -> str:
    return f"appointments:availability:{doctor_id}:{date_from.isoformat()}:{date_to.isoformat()}:{minute:%Y%m%d%H%M}"
