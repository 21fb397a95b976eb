"""A short-lived cache of the public availability answer, keyed by a per-doctor schedule version.

Any change to a doctor's rules, time off or appointments bumps the version after commit, so a cached
answer is never served past a change. Entries also live at most a minute, and are computed for the
end of the current minute: the minimum notice can only hide a slot a little early, never show one
too late. Booking never reads this cache: it re-checks against the database.
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


def schedule_version_bump(*, doctor_id) -> None:
    """Invalidate every cached availability answer of one doctor once the transaction commits."""
    transaction.on_commit(lambda: cache.set(_version_key(doctor_id), uuid.uuid4().hex, None))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def availability_render(*, doctor, date_from: date, date_to: date, now: datetime) -> bytes:
    days = free_slots(doctor=doctor, date_from=date_from, date_to=date_to, now=now)
    payload = {
        "doctor_id": str(doctor.pk),
        "timezone": doctor.timezone,
        "days": [
            {"date": day.isoformat(), "slots": [{"start": _utc(start), "end": _utc(end)} for start, end in slots]}
            for day, slots in days
        ],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def availability_json(*, doctor, date_from: date, date_to: date, now: datetime | None = None) -> bytes:
    """The JSON body of `GET /doctors/{id}/availability`, from the cache when still valid."""
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    version_key = _version_key(doctor.pk)
    result_key = (f"appointments:availability:{doctor.pk}:{doctor.timezone}:{doctor.slot_minutes}:"
                  f"{date_from.isoformat()}:{date_to.isoformat()}:{minute:%Y%m%d%H%M}")
    found = cache.get_many([version_key, result_key])
    version = found.get(version_key)
    cached = found.get(result_key)
    if version is not None and cached is not None and cached[0] == version:
        return cached[1]
    if version is None:
        cache.add(version_key, uuid.uuid4().hex, None)
        version = cache.get(version_key)
    body = availability_render(doctor=doctor, date_from=date_from, date_to=date_to,
                               now=minute + timedelta(minutes=1))
    cache.set(result_key, (version, body), TTL_SECONDS)
    return body
