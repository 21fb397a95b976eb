"""The slot engine: the one place that knows which times of a doctor are free.

Everything that needs free slots calls it: the availability endpoint, booking validation, the
doctors search (`doctor_ids_with_free_slot`, `next_free_slot`) and `next_available_at`.

Slots come from the weekly rules, read as wall-clock times in the doctor's zone with zoneinfo, so a
spring-forward day has no slot in the missing hour and a fall-back day offers the repeated hour once.
From those we take away time off, active appointments (confirmed, and pending ones whose hold has not
run out), the past plus the minimum notice, and anything beyond the booking horizon.

The data is loaded with a fixed number of queries (rules, time off, appointments) and the rest is
interval arithmetic in Python.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, AvailabilityRule, TimeOff
from doctors.models import DoctorProfile

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
    relative_id: Any = None,
) -> SlotConflict | None:
    """Is [start, end) still free for this doctor AND the person attending (the patient account
    holder, or their relative `relative_id`)? The one answer to "is this slot still free", used by
    booking, rescheduling and a payment confirming its appointment.

    None when free; else which side is busy. Inside the caller's transaction this is the only guard
    on SQLite and a friendly early answer on PostgreSQL (where the exclusion constraints decide).
    """
    overlapping = Appointment.objects.filter(active_appointments_q(now=now), start__lt=end, end__gt=start)
    if exclude_id is not None:
        overlapping = overlapping.exclude(pk=exclude_id)
    if overlapping.filter(doctor_id=doctor_id).exists():
        return SlotConflict.DOCTOR_BUSY
    if overlapping.filter(patient_id=patient_id, relative_id=relative_id).exists():
        return SlotConflict.PATIENT_BUSY
    return None


def _local_days(date_from: date, date_to: date) -> list[date]:
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def _wall_clock_exists(local: datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time inside a spring-forward gap."""
    round_trip = local.astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def _rule_slots(*, day: date, rules: Iterable[tuple[time, time]], zone: ZoneInfo, slot: timedelta) -> list[Interval]:
    """Slots of one local day, in UTC. Wall-clock stepping (fold=0) offers each local time once."""
    midnight = datetime.combine(day, time.min)
    offset = midnight.replace(tzinfo=zone).utcoffset() or timedelta(0)  # a ZoneInfo always has one
    # Most days have one UTC offset from midnight to midnight: plain arithmetic. A DST day takes the
    # slow path, which converts each wall-clock time and drops those in the spring-forward gap.
    uniform = offset == (midnight + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    slots: list[Interval] = []
    for start_time, end_time in rules:
        cursor = datetime.combine(day, start_time)
        limit = datetime.combine(day, end_time)
        while cursor + slot <= limit:
            if uniform:
                start = (cursor - offset).replace(tzinfo=UTC)
                slots.append((start, start + slot))
            else:
                local = cursor.replace(tzinfo=zone)
                if _wall_clock_exists(local, zone):
                    start = local.astimezone(UTC)
                    slots.append((start, start + slot))
            cursor += slot
    slots.sort()
    return slots


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
) -> list[DaySlots]:
    """Pure function: free slots per local day from rules (weekday, start, end) and busy intervals."""
    by_weekday: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, start_time, end_time in rules:
        by_weekday[weekday].append((start_time, end_time))
    merged = _merge(busy)
    earliest = now + policy.min_notice
    latest = now + policy.horizon
    slot = timedelta(minutes=slot_minutes)
    result: list[DaySlots] = []
    for day in _local_days(date_from, date_to):
        day_rules = by_weekday.get(day.weekday())
        free: list[Interval] = []
        if day_rules:
            for start, end in _rule_slots(day=day, rules=day_rules, zone=zone, slot=slot):
                if start < earliest or start > latest:
                    continue
                if not _is_busy(start, end, merged):
                    free.append((start, end))
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
        """Whether it holds everything the free slots bookable at `now` depend on."""
        return (
            (self.valid_until is None or now < self.valid_until)
            and self.window[0] <= now + policy.min_notice
            and now + policy.horizon + slot <= self.window[1]
        )


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
        for doctor_id, start, end, status, hold_until in Appointment.objects.filter(
            active_appointments_q(now=now),
            doctor_id__in=doctor_ids,
            start__lt=window_end,
            end__gt=window_start,
        ).values_list("doctor_id", "start", "end", "status", "hold_until"):
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
) -> list[DaySlots]:
    """Free slots of `doctor` per local day from a loaded schedule (no query)."""
    return compute_free_slots(
        zone=doctor_zone(doctor),
        slot_minutes=doctor.slot_minutes,
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


def free_slots(*, doctor: DoctorProfile, date_from: date, date_to: date, now: datetime | None = None) -> list[DaySlots]:
    """Free slots of `doctor` per local day (doctor's zone) from `date_from` to `date_to` inclusive.

    Every day of the range is listed, with an empty list when nothing is free. Three queries.
    """
    now = now or timezone.now()
    schedule = _load(doctor_ids=[doctor.pk], window=_utc_window(date_from, date_to), now=now)[doctor.pk]
    return schedule_free_slots(doctor=doctor, schedule=schedule, date_from=date_from, date_to=date_to, now=now)


def schedule_slots(
    *, doctor: DoctorProfile, date_from: date, date_to: date, now: datetime | None = None
) -> list[DaySlots]:
    """Like `free_slots` but ignoring appointments: the slots the doctor offers at all.

    Booking uses it to tell "not one of the doctor's slots" (400) from "taken meanwhile" (409).
    """
    now = now or timezone.now()
    schedule = _load(
        doctor_ids=[doctor.pk], window=_utc_window(date_from, date_to), now=now, include_appointments=False
    )[doctor.pk]
    return schedule_free_slots(doctor=doctor, schedule=schedule, date_from=date_from, date_to=date_to, now=now)


def local_today(*, doctor: DoctorProfile, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(doctor_zone(doctor)).date()


def next_free_slot(*, doctor: DoctorProfile, now: datetime | None = None) -> datetime | None:
    """Start of the doctor's first free slot from now to the end of the booking horizon, or None."""
    now = now or timezone.now()
    policy = booking_policy()
    date_from = local_today(doctor=doctor, now=now)
    date_to = (now + policy.horizon).astimezone(doctor_zone(doctor)).date()
    for _day, slots in free_slots(doctor=doctor, date_from=date_from, date_to=date_to, now=now):
        if slots:
            return slots[0][0]
    return None


def doctor_ids_with_free_slot(
    *, doctor_ids: Iterable, date_from: date, date_to: date, now: datetime | None = None
) -> set:
    """Ids of the doctors among `doctor_ids` with at least one free slot in [date_from, date_to]
    (local days of each doctor). Four queries whatever the number of doctors."""
    from doctors.models import DoctorProfile

    now = now or timezone.now()
    doctor_ids = list(doctor_ids)
    if not doctor_ids:
        return set()
    doctors = list(DoctorProfile.objects.filter(pk__in=doctor_ids).only("id", "timezone", "slot_minutes"))
    schedules = _load(doctor_ids=[d.pk for d in doctors], window=_utc_window(date_from, date_to), now=now)
    policy = booking_policy()
    found = set()
    for doctor in doctors:
        if not schedules[doctor.pk].rules:
            continue
        days = schedule_free_slots(
            doctor=doctor, schedule=schedules[doctor.pk], date_from=date_from, date_to=date_to, now=now, policy=policy
        )
        if any(slots for _day, slots in days):
            found.add(doctor.pk)
    return found
