"""The slot engine: the one place that knows which times of a doctor are free.

Everything that needs free slots calls it: the availability endpoint, booking validation, the
doctors search (`doctor_ids_with_free_slot`, `next_free_slot`) and `next_available_at`.

Slots come from the weekly rules, read as wall-clock times in the doctor's zone with zoneinfo, so a
spring-forward day has no slot in the missing hour and a fall-back day offers the repeated hour once.
Slots start on the doctor's grid (`slot_minutes`) and last the visit type's duration; a start is
offered only when the visit plus its buffer (`VisitLength`) fits in the rule and is free. An
appointment keeps the doctor busy until its `blocked_until` (its end plus its buffer).
From those we take away time off, active appointments (confirmed, and pending ones whose hold has not
run out), the past plus the minimum notice, and anything beyond the booking horizon.

The data is loaded with a fixed number of queries (rules, time off, appointments) and the rest is
interval arithmetic in Python.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, AvailabilityRule, TimeOff
from doctors.models import DoctorProfile, VisitType
from doctors.selectors import visit_type_default_lengths

Interval = tuple[datetime, datetime]
DaySlots = tuple[date, list[Interval]]


@dataclass(frozen=True)
class BookingPolicy:
    min_notice: timedelta
    horizon: timedelta
    cancellation_cutoff: timedelta
    hold: timedelta


def booking_policy() -> BookingPolicy:
    conf = settings.TABIB
    return BookingPolicy(
        min_notice=timedelta(minutes=conf["MIN_NOTICE_MINUTES"]),
        horizon=timedelta(days=conf["HORIZON_DAYS"]),
        cancellation_cutoff=timedelta(hours=conf["CANCELLATION_CUTOFF_HOURS"]),
        hold=timedelta(minutes=conf["HOLD_MINUTES"]),
    )


@dataclass(frozen=True)
class VisitLength:
    """How long a visit lasts and the buffer the doctor keeps free after it."""

    duration_minutes: int
    buffer_minutes: int = 0

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes + self.buffer_minutes)


def visit_length(*, doctor: DoctorProfile, visit_type: VisitType | None) -> VisitLength:
    """The visit type's length; without one, the doctor's slot with no buffer (bookings made before
    visit types, and doctors created since by a previous release, which have no default yet)."""
    if visit_type is None:
        return VisitLength(doctor.slot_minutes)
    return VisitLength(visit_type.duration_minutes, visit_type.buffer_minutes)


def busy_until() -> Coalesce:
    """Until when an appointment keeps its doctor busy: `blocked_until`, or `end` on older rows."""
    return Coalesce(F("blocked_until"), F("end"))


def doctor_zone(doctor: DoctorProfile) -> ZoneInfo:
    try:
        return ZoneInfo(doctor.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def active_appointments_q(*, now: datetime) -> Q:
    """Appointments that occupy the doctor's time at `now`: an expired hold never blocks."""
    return Q(status=AppointmentStatus.CONFIRMED) | Q(
        Q(hold_until__isnull=True) | Q(hold_until__gt=now), status=AppointmentStatus.PENDING_PAYMENT
    )


class SlotConflict(StrEnum):
    DOCTOR_BUSY = "slot_unavailable"
    PATIENT_BUSY = "patient_overlap"


def slot_conflict(
    *,
    doctor_id: Any,
    patient_id: Any,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_id: Any = None,
    blocked_until: datetime | None = None,
    relative_id: Any = None,
) -> SlotConflict | None:
    """Is the doctor free over [start, blocked_until) (the visit and its buffer; `end` when not
    given) and the person attending (the patient account holder, or their relative `relative_id`)
    over [start, end)? The one answer to "is this slot still free", used by
    booking, rescheduling and a payment confirming its appointment.

    None when free; else which side is busy. Inside the caller's transaction this is the only guard
    on SQLite and a friendly early answer on PostgreSQL (where the exclusion constraints decide).
    """
    active = Appointment.objects.filter(active_appointments_q(now=now))
    if exclude_id is not None:
        active = active.exclude(pk=exclude_id)
    doctor_busy = active.alias(busy_until=busy_until()).filter(
        doctor_id=doctor_id, start__lt=blocked_until or end, busy_until__gt=start
    )
    if doctor_busy.exists():
        return SlotConflict.DOCTOR_BUSY
    if active.filter(patient_id=patient_id, relative_id=relative_id, start__lt=end, end__gt=start).exists():
        return SlotConflict.PATIENT_BUSY
    return None


def _local_days(date_from: date, date_to: date) -> list[date]:
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def _wall_clock_exists(local: datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time inside a spring-forward gap."""
    round_trip = local.astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def _rule_starts(
    *, day: date, rules: Iterable[tuple[time, time]], zone: ZoneInfo, grid: timedelta, length: timedelta
) -> list[datetime]:
    """Starts (UTC) of one local day on the grid whose `length` fits in its rule. Wall-clock stepping
    (fold=0) offers each local time once."""
    midnight = datetime.combine(day, time.min)
    offset = midnight.replace(tzinfo=zone).utcoffset() or timedelta(0)  # a ZoneInfo always has one
    # Most days have one UTC offset from midnight to midnight: plain arithmetic. A DST day takes the
    # slow path, which converts each wall-clock time, drops those in the spring-forward gap, and
    # measures the visit in real time against the rule's end.
    uniform = offset == (midnight + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    starts: list[datetime] = []
    for start_time, end_time in rules:
        cursor = datetime.combine(day, start_time)
        limit = datetime.combine(day, end_time)
        if uniform:
            while cursor + length <= limit:
                starts.append((cursor - offset).replace(tzinfo=UTC))
                cursor += grid
            continue
        limit_utc = limit.replace(tzinfo=zone).astimezone(UTC)
        while cursor < limit:
            local = cursor.replace(tzinfo=zone)
            if _wall_clock_exists(local, zone):
                start = local.astimezone(UTC)
                if start + length <= limit_utc:
                    starts.append(start)
            cursor += grid
    starts.sort()
    return starts


def _merge(intervals: Iterable[Interval]) -> tuple[list[datetime], list[datetime]]:
    """Sorted, merged busy intervals as two parallel lists (starts, ends) for bisecting."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for start, end in sorted(intervals):
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _is_busy(start: datetime, end: datetime, busy: tuple[list[datetime], list[datetime]]) -> bool:
    """Half-open overlap test against merged busy intervals: the first one ending after `start`."""
    starts, ends = busy
    index = bisect.bisect_right(ends, start)
    return index < len(starts) and starts[index] < end


def compute_free_slots(
    *,
    zone: ZoneInfo,
    slot_minutes: int,
    rules: Sequence[tuple[int, time, time]],
    busy: Iterable[Interval],
    date_from: date,
    date_to: date,
    now: datetime,
    policy: BookingPolicy,
    visit: VisitLength | None = None,
) -> list[DaySlots]:
    """Pure function: free slots per local day from rules (weekday, start, end) and busy intervals.

    Starts are on the `slot_minutes` grid; each slot lasts `visit`'s duration (a slot without it)
    and is offered when the duration plus buffer fits in its rule and is free."""
    by_weekday: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, start_time, end_time in rules:
        by_weekday[weekday].append((start_time, end_time))
    merged = _merge(busy)
    earliest = now + policy.min_notice
    latest = now + policy.horizon
    grid = timedelta(minutes=slot_minutes)
    visit = visit or VisitLength(slot_minutes)
    duration, length = visit.duration, visit.length
    result: list[DaySlots] = []
    for day in _local_days(date_from, date_to):
        day_rules = by_weekday.get(day.weekday())
        free: list[Interval] = []
        if day_rules:
            for start in _rule_starts(day=day, rules=day_rules, zone=zone, grid=grid, length=length):
                if start < earliest or start > latest:
                    continue
                if not _is_busy(start, start + length, merged):
                    free.append((start, start + duration))
        result.append((day, free))
    return result


def _utc_window(date_from: date, date_to: date) -> Interval:
    """A UTC window that contains every local day in [date_from, date_to] in any zone (+-14 h)."""
    start = datetime.combine(date_from, time.min, tzinfo=UTC) - timedelta(days=1)
    end = datetime.combine(date_to, time.min, tzinfo=UTC) + timedelta(days=2)
    return start, end


@dataclass(frozen=True)
class Schedule:
    """What a doctor's free slots are computed from: the weekly rules and the busy intervals (time
    off, active appointments) overlapping `window`, as they stood at one moment.

    It stays exact until `valid_until`, when the first pending hold among the busy intervals lapses:
    a lapsing hold frees its slot without any write.
    """

    rules: list[tuple[int, time, time]]
    busy: list[Interval]
    window: Interval
    valid_until: datetime | None

    def serves(self, *, now: datetime, policy: BookingPolicy, slot: timedelta) -> bool:
        """Whether it holds everything the free slots bookable at `now` depend on; `slot` is the
        longest time one slot checks (a visit and its buffer)."""
        return (
            (self.valid_until is None or now < self.valid_until)
            and self.window[0] <= now + policy.min_notice
            and now + policy.horizon + slot <= self.window[1]
        )

    def with_busy(self, interval: Interval) -> Schedule:
        """The same schedule with `interval` busy too (a hold just written in this transaction)."""
        return replace(self, busy=[*self.busy, interval])


def _load(
    *, doctor_ids: Sequence, window: Interval, now: datetime, include_appointments: bool = True
) -> dict[object, Schedule]:
    """Schedules of several doctors over `window`: three queries whatever their number."""
    window_start, window_end = window
    rules: dict = defaultdict(list)
    for doctor_id, weekday, start_time, end_time in AvailabilityRule.objects.filter(
        doctor_id__in=doctor_ids
    ).values_list("doctor_id", "weekday", "start_time", "end_time"):
        rules[doctor_id].append((weekday, start_time, end_time))
    busy: dict = defaultdict(list)
    for doctor_id, start, end in TimeOff.objects.filter(
        doctor_id__in=doctor_ids, start__lt=window_end, end__gt=window_start
    ).values_list("doctor_id", "start", "end"):
        busy[doctor_id].append((start, end))
    lapses: dict = {}
    if include_appointments:
        for doctor_id, start, end, status, hold_until in (
            Appointment.objects.alias(busy_until=busy_until())
            .filter(
                active_appointments_q(now=now),
                doctor_id__in=doctor_ids,
                start__lt=window_end,
                busy_until__gt=window_start,
            )
            .annotate(busy_end=busy_until())
            .values_list("doctor_id", "start", "busy_end", "status", "hold_until")
        ):
            busy[doctor_id].append((start, end))
            if status == AppointmentStatus.PENDING_PAYMENT and hold_until is not None:
                lapses[doctor_id] = min(hold_until, lapses.get(doctor_id, hold_until))
    return {
        doctor_id: Schedule(
            rules=rules[doctor_id], busy=busy[doctor_id], window=window, valid_until=lapses.get(doctor_id)
        )
        for doctor_id in doctor_ids
    }


def schedule_free_slots(
    *,
    doctor: DoctorProfile,
    schedule: Schedule,
    date_from: date,
    date_to: date,
    now: datetime,
    policy: BookingPolicy | None = None,
    visit: VisitLength | None = None,
) -> list[DaySlots]:
    """Free slots of `doctor` per local day from a loaded schedule (no query); `visit`: see
    `compute_free_slots`."""
    return compute_free_slots(
        zone=doctor_zone(doctor),
        slot_minutes=doctor.slot_minutes,
        visit=visit,
        rules=schedule.rules,
        busy=schedule.busy,
        date_from=date_from,
        date_to=date_to,
        now=now,
        policy=policy or booking_policy(),
    )


def bookable_schedule(*, doctor_id: UUID, now: datetime) -> Schedule:
    """The doctor's schedule over all that is bookable from `now`, plus a day: it keeps serving the
    moments after `now` (`Schedule.serves`), so a cache can hold it until the schedule changes."""
    window = (now, now + booking_policy().horizon + timedelta(days=1))
    return _load(doctor_ids=[doctor_id], window=window, now=now)[doctor_id]


def free_slots(
    *,
    doctor: DoctorProfile,
    date_from: date,
    date_to: date,
    now: datetime | None = None,
    visit: VisitLength | None = None,
) -> list[DaySlots]:
    """Free slots of `doctor` per local day (doctor's zone) from `date_from` to `date_to` inclusive,
    for a visit of `visit`'s length (a plain slot without it).

    Every day of the range is listed, with an empty list when nothing is free. Three queries.
    """
    now = now or timezone.now()
    schedule = schedule_for_days(doctor=doctor, date_from=date_from, date_to=date_to, now=now)
    return schedule_free_slots(
        doctor=doctor, schedule=schedule, date_from=date_from, date_to=date_to, now=now, visit=visit
    )


def schedule_for_days(*, doctor: DoctorProfile, date_from: date, date_to: date, now: datetime) -> Schedule:
    """The doctor's schedule for the local days [date_from, date_to] (three queries), to ask
    `schedule_free_slots` for several visit lengths."""
    return _load(doctor_ids=[doctor.pk], window=_utc_window(date_from, date_to), now=now)[doctor.pk]


def schedule_slots(
    *,
    doctor: DoctorProfile,
    date_from: date,
    date_to: date,
    now: datetime | None = None,
    visit: VisitLength | None = None,
) -> list[DaySlots]:
    """Like `free_slots` but ignoring appointments: the slots the doctor offers at all.

    Booking uses it to tell "not one of the doctor's slots" (400) from "taken meanwhile" (409).
    """
    now = now or timezone.now()
    schedule = _load(
        doctor_ids=[doctor.pk], window=_utc_window(date_from, date_to), now=now, include_appointments=False
    )[doctor.pk]
    return schedule_free_slots(
        doctor=doctor, schedule=schedule, date_from=date_from, date_to=date_to, now=now, visit=visit
    )


def local_today(*, doctor: DoctorProfile, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(doctor_zone(doctor)).date()


def _default_visits(doctor_ids: Sequence) -> dict[Any, VisitLength]:
    """The default visit type's length per doctor (one query); doctors without one are left out."""
    return {
        doctor_id: VisitLength(duration, buffer)
        for doctor_id, duration, buffer in visit_type_default_lengths(doctor_ids=doctor_ids)
    }


def next_free_slot(*, doctor: DoctorProfile, now: datetime | None = None) -> datetime | None:
    """Start of the doctor's first free slot for their default visit type from now to the end of the
    booking horizon, or None."""
    now = now or timezone.now()
    policy = booking_policy()
    date_from = local_today(doctor=doctor, now=now)
    date_to = (now + policy.horizon).astimezone(doctor_zone(doctor)).date()
    visit = _default_visits([doctor.pk]).get(doctor.pk)
    for _day, slots in free_slots(doctor=doctor, date_from=date_from, date_to=date_to, now=now, visit=visit):
        if slots:
            return slots[0][0]
    return None


def doctor_ids_with_free_slot(
    *, doctor_ids: Iterable, date_from: date, date_to: date, now: datetime | None = None
) -> set:
    """Ids of the doctors among `doctor_ids` with at least one free slot for their default visit type
    in [date_from, date_to] (local days of each doctor). Five queries whatever the number of doctors."""
    now = now or timezone.now()
    doctor_ids = list(doctor_ids)
    if not doctor_ids:
        return set()
    doctors = list(DoctorProfile.objects.filter(pk__in=doctor_ids).only("id", "timezone", "slot_minutes"))
    schedules = _load(doctor_ids=[d.pk for d in doctors], window=_utc_window(date_from, date_to), now=now)
    visits = _default_visits([d.pk for d in doctors])
    policy = booking_policy()
    found = set()
    for doctor in doctors:
        if not schedules[doctor.pk].rules:
            continue
        days = schedule_free_slots(
            doctor=doctor,
            schedule=schedules[doctor.pk],
            date_from=date_from,
            date_to=date_to,
            now=now,
            policy=policy,
            visit=visits.get(doctor.pk),
        )
        if any(slots for _day, slots in days):
            found.add(doctor.pk)
    return found
