"""The public availability answer, cached briefly and keyed by a per-doctor schedule version.

Any change to a doctor's rules, time off or appointments bumps the version after commit, so a cached
answer is never served past such a change. Answers also live at most a minute and are computed for
the end of the current minute: the minimum notice can only hide a slot a little early, never show
one too late. A hit costs one cache round trip and no query; the ASGI fast path
(`appointments.asgi`) serves hits the same way, under the same keys, without entering Django.
Booking never reads this cache: it re-checks against the database.

Under the answers, each doctor's schedule (`slots.Schedule`: rules and busy intervals over the
booking horizon) is cached under the same version for longer, so a new minute or a new window
costs the slot arithmetic, not the queries.

The doctor's public facts (zone, slot length, visible or not, active visit types with their
durations and buffers) are cached for a minute too; the doctors app calls
`availability_cache_invalidate` when it changes them (profile edits, every visit type write) so that
is immediate. Answers are keyed by the visit type asked for (`default` when none is named).
"""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from appointments.slots import (
    DaySlots,
    Schedule,
    VisitLength,
    bookable_schedule,
    booking_policy,
    schedule_free_slots,
)
from core.http_cache import CachePolicy
from doctors.selectors import visit_type_invalid

TTL_SECONDS = 60
# Bounds the memory of doctors nobody asks about; a schedule change retires an entry at once anyway.
SCHEDULE_TTL_SECONDS = 600
# Apps and shared caches keep an answer as long as we do, and may show it a little longer while
# they fetch a fresh one: a booking re-checks against the database anyway.
AVAILABILITY_HTTP_CACHE = CachePolicy(max_age=TTL_SECONDS // 2, stale_while_revalidate=TTL_SECONDS // 2)


def _version_key(doctor_id) -> str:
    return f"appointments:schedule-version:{doctor_id}"


def _doctor_key(doctor_id) -> str:
    return f"appointments:doctor-public:{doctor_id}"


def _schedule_key(doctor_id) -> str:
    return f"appointments:schedule:{doctor_id}"


class AvailabilityKeys(NamedTuple):
    doctor: str
    version: str
    answer: str


DEFAULT_VISIT = "default"


def availability_keys(
    *, doctor_id, date_from: date, date_to: date, minute: datetime, visit_type_id=None
) -> AvailabilityKeys:
    """The cache keys a hit reads (in this order), shared by the view and the ASGI fast path."""
    visit = str(visit_type_id) if visit_type_id else DEFAULT_VISIT
    answer = (
        f"appointments:availability:{doctor_id}:{visit}:"
        f"{date_from.isoformat()}:{date_to.isoformat()}:{minute:%Y%m%d%H%M}"
    )
    return AvailabilityKeys(_doctor_key(doctor_id), _version_key(doctor_id), answer)


def availability_cached(*, facts: Any, version: Any, answer: Any) -> bytes | None:
    """The cached body when it was built under the current schedule version and doctor facts."""
    if version is None or answer is None or answer[0] != (version, facts):
        return None
    return answer[1]


def schedule_version_bump(*, doctor_id) -> None:
    """Invalidate every cached availability answer of one doctor once the transaction commits."""
    transaction.on_commit(lambda: cache.set(_version_key(doctor_id), uuid.uuid4().hex, None))


def availability_cache_invalidate(*, doctor_id) -> None:
    """For profile changes (zone, slot length, verification) and visit type writes: drop the cached
    facts and answers."""

    def drop() -> None:
        cache.delete(_doctor_key(doctor_id))
        cache.set(_version_key(doctor_id), uuid.uuid4().hex, None)

    transaction.on_commit(drop)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is much cheaper than strftime; slots are whole minutes.
    return moment.isoformat()[:19] + "Z"


def availability_render(*, doctor, days: list[DaySlots]) -> bytes:
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


VisitTypeFacts = tuple[tuple[str, int, int, bool], ...]
DoctorFacts = tuple[str, int, VisitTypeFacts]


class _DoctorFacts:
    """The few fields of a DoctorProfile the slot engine reads."""

    def __init__(self, pk, timezone_name: str, slot_minutes: int, visit_types: VisitTypeFacts) -> None:
        self.pk = pk
        self.timezone = timezone_name
        self.slot_minutes = slot_minutes
        self.visit_types = visit_types

    def visit(self, visit_type_id) -> VisitLength:
        """The length of the visit type asked for (400 if it is not one of the doctor's active
        ones), else of the default one (a plain slot for a doctor who has none yet)."""
        wanted = str(visit_type_id) if visit_type_id else None
        for pk, duration, buffer, is_default in self.visit_types:
            if pk == wanted or (wanted is None and is_default):
                return VisitLength(duration, buffer)
        if wanted is not None:
            raise visit_type_invalid(attr="visit_type")
        return VisitLength(self.slot_minutes)


def _facts(doctor_id, cached: DoctorFacts | None) -> DoctorFacts:
    from appointments.selectors import bookable_doctor_facts

    if cached is None or len(cached) != 3:  # or stored by a release without visit types
        cached = bookable_doctor_facts(doctor_id=doctor_id)
        cache.set(_doctor_key(doctor_id), cached, TTL_SECONDS)
    return cached


def _current_version(doctor_id, cached: str | None) -> str:
    if cached is None:
        fresh = uuid.uuid4().hex
        # One round trip when ours is stored; only a concurrent writer's costs a second one.
        cached = fresh if cache.add(_version_key(doctor_id), fresh, None) else cache.get(_version_key(doctor_id))
    return cached


def _schedule(
    *, doctor: _DoctorFacts, version: str, cached: tuple[str, Schedule] | None, now: datetime, visit: VisitLength
) -> Schedule:
    """The cached schedule if it is of this version and still exact at `now`, else a fresh one.
    `version` was read before loading, so a change committed meanwhile retires what is stored."""
    slot = visit.length
    if cached is not None and cached[0] == version and cached[1].serves(now=now, policy=booking_policy(), slot=slot):
        return cached[1]
    schedule = bookable_schedule(doctor_id=doctor.pk, now=now)
    cache.set(_schedule_key(doctor.pk), (version, schedule), SCHEDULE_TTL_SECONDS)
    return schedule


def availability_json(
    *,
    doctor_id: uuid.UUID,
    date_from: date | None,
    date_to: date | None,
    now: datetime | None = None,
    visit_type_id: uuid.UUID | None = None,
) -> bytes:
    """The JSON body of `GET /doctors/{id}/availability` (404 for an invisible doctor, 400 for a bad
    window or a visit type the doctor does not offer), from the cache when still valid."""
    from appointments.selectors import availability_window

    minute = (now or timezone.now()).replace(second=0, microsecond=0)
    # With both dates given (the usual call) one cache round trip answers a hit.
    keys = (
        availability_keys(
            doctor_id=doctor_id, date_from=date_from, date_to=date_to, minute=minute, visit_type_id=visit_type_id
        )
        if date_from and date_to
        else None
    )
    found = cache.get_many(
        [_doctor_key(doctor_id), _version_key(doctor_id), _schedule_key(doctor_id), *([keys.answer] if keys else [])]
    )
    facts = _facts(doctor_id, found.get(_doctor_key(doctor_id)))
    doctor = _DoctorFacts(doctor_id, *facts)
    visit = doctor.visit(visit_type_id)
    window = availability_window(doctor=doctor, date_from=date_from, date_to=date_to)
    if keys is None:
        keys = availability_keys(
            doctor_id=doctor_id, date_from=window[0], date_to=window[1], minute=minute, visit_type_id=visit_type_id
        )
        found[keys.answer] = cache.get(keys.answer)
    version = found.get(keys.version)
    body = availability_cached(facts=facts, version=version, answer=found.get(keys.answer))
    if body is not None:
        return body
    version = _current_version(doctor_id, version)
    at = minute + timedelta(minutes=1)
    schedule = _schedule(
        doctor=doctor, version=version, cached=found.get(_schedule_key(doctor_id)), now=at, visit=visit
    )
    days = schedule_free_slots(
        doctor=doctor, schedule=schedule, date_from=window[0], date_to=window[1], now=at, visit=visit
    )
    body = availability_render(doctor=doctor, days=days)
    cache.set(keys.answer, ((version, facts), body), TTL_SECONDS)
    return body
