from datetime import UTC, date, datetime, time, timedelta

import pytest

from appointments.models import AppointmentStatus
from appointments.slots import (
    bookable_schedule,
    booking_policy,
    doctor_ids_with_free_slot,
    free_slots,
    next_free_slot,
)
from appointments.tests.factories import AppointmentFactory, AvailabilityRuleFactory, TimeOffFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

SUNDAY = 6
MONDAY = 0
A_MONDAY = date(2026, 12, 7)
BEFORE_MONDAY = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(days) -> list[datetime]:
    return [start for _day, slots in days for start, _end in slots]


def monday_doctor(start=time(9, 0), end=time(12, 0)):
    doctor = DoctorProfileFactory(timezone="Europe/Paris", slot_minutes=30)
    AvailabilityRuleFactory(doctor=doctor, weekday=MONDAY, start_time=start, end_time=end)
    return doctor


def test_weekly_rule_gives_slots_in_the_doctors_zone():
    doctor = monday_doctor()

    days = free_slots(doctor=doctor, date_from=A_MONDAY, date_to=A_MONDAY, now=BEFORE_MONDAY)

    assert days[0][0] == A_MONDAY
    assert starts(days)[0] == utc(2026, 12, 7, 8, 0)  # 09:00 in Paris (UTC+1 in winter)
    assert len(starts(days)) == 6
    assert days[0][1][0][1] - days[0][1][0][0] == timedelta(minutes=30)


def test_spring_forward_day_has_no_slot_in_the_missing_hour():
    # Given a Paris doctor working 01:00-04:00 on Sundays; 29 March 2026 skips 02:00-03:00
    doctor = DoctorProfileFactory(timezone="Europe/Paris", slot_minutes=30)
    AvailabilityRuleFactory(doctor=doctor, weekday=SUNDAY, start_time=time(1, 0), end_time=time(4, 0))

    # When
    days = free_slots(doctor=doctor, date_from=date(2026, 3, 29), date_to=date(2026, 3, 29), now=utc(2026, 3, 1, 0, 0))

    # Then 01:00, 01:30 (CET) and 03:00, 03:30 (CEST): nothing at a wall-clock time that does not exist
    assert starts(days) == [
        utc(2026, 3, 29, 0, 0),
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 29, 1, 30),
    ]


def test_fall_back_day_offers_the_repeated_hour_once():
    # Given the same hours on 25 October 2026, when 02:00-03:00 happens twice
    doctor = DoctorProfileFactory(timezone="Europe/Paris", slot_minutes=30)
    AvailabilityRuleFactory(doctor=doctor, weekday=SUNDAY, start_time=time(1, 0), end_time=time(4, 0))

    days = free_slots(
        doctor=doctor, date_from=date(2026, 10, 25), date_to=date(2026, 10, 25), now=utc(2026, 10, 1, 0, 0)
    )

    slot_starts = starts(days)
    assert len(slot_starts) == 6  # 01:00 .. 03:30, each wall-clock time once
    assert len(set(slot_starts)) == 6
    assert slot_starts[2] == utc(2026, 10, 25, 0, 0)  # 02:00 CEST, the first 02:00
    assert slot_starts[4] == utc(2026, 10, 25, 2, 0)  # 03:00 CET
    intervals = days[0][1]
    assert all(intervals[i][1] <= intervals[i + 1][0] for i in range(len(intervals) - 1))


def test_slots_inside_the_minimum_notice_are_not_offered():
    doctor = monday_doctor()
    now = utc(2026, 12, 7, 7, 30)  # 08:30 in Paris; notice 2 h -> 10:30 Paris at the earliest

    days = free_slots(doctor=doctor, date_from=A_MONDAY, date_to=A_MONDAY, now=now)

    assert starts(days)[0] == utc(2026, 12, 7, 9, 30)


def test_slots_beyond_the_horizon_are_not_offered():
    doctor = monday_doctor()
    now = utc(2026, 12, 1, 8, 0)
    far_monday = date(2027, 3, 8)  # more than 90 days later

    days = free_slots(doctor=doctor, date_from=far_monday, date_to=far_monday, now=now)

    assert days == [(far_monday, [])]


def test_time_off_removes_the_slots_it_covers():
    doctor = monday_doctor()
    TimeOffFactory(doctor=doctor, start=utc(2026, 12, 7, 9, 0), end=utc(2026, 12, 7, 10, 0))

    days = free_slots(doctor=doctor, date_from=A_MONDAY, date_to=A_MONDAY, now=BEFORE_MONDAY)

    assert utc(2026, 12, 7, 9, 0) not in starts(days)
    assert utc(2026, 12, 7, 9, 30) not in starts(days)
    assert len(starts(days)) == 4


@pytest.mark.parametrize(
    ("status", "hold_until", "blocks"),
    [
        (AppointmentStatus.CONFIRMED, None, True),
        (AppointmentStatus.PENDING_PAYMENT, utc(2026, 12, 1, 8, 10), True),
        (AppointmentStatus.PENDING_PAYMENT, utc(2026, 12, 1, 7, 50), False),  # hold ran out, no job needed
        (AppointmentStatus.CANCELLED, None, False),
        (AppointmentStatus.EXPIRED, None, False),
    ],
)
def test_only_active_appointments_take_a_slot(status, hold_until, blocks):
    doctor = monday_doctor()
    taken = utc(2026, 12, 7, 8, 0)
    AppointmentFactory(
        doctor=doctor, start=taken, end=taken + timedelta(minutes=30), status=status, hold_until=hold_until
    )

    days = free_slots(doctor=doctor, date_from=A_MONDAY, date_to=A_MONDAY, now=BEFORE_MONDAY)

    assert (taken not in starts(days)) is blocks


def test_next_free_slot_is_the_first_one_from_now():
    doctor = monday_doctor()

    assert next_free_slot(doctor=doctor, now=BEFORE_MONDAY) == utc(2026, 12, 7, 8, 0)


def test_next_free_slot_is_none_without_rules():
    assert next_free_slot(doctor=DoctorProfileFactory(), now=BEFORE_MONDAY) is None


def test_doctor_ids_with_free_slot_uses_a_fixed_number_of_queries(django_assert_num_queries):
    open_doctors = [monday_doctor() for _ in range(5)]
    closed = DoctorProfileFactory()
    full = monday_doctor(start=time(9, 0), end=time(9, 30))
    AppointmentFactory(doctor=full, start=utc(2026, 12, 7, 8, 0), end=utc(2026, 12, 7, 8, 30))
    ids = [d.pk for d in open_doctors] + [closed.pk, full.pk]

    with django_assert_num_queries(5):
        found = doctor_ids_with_free_slot(
            doctor_ids=ids, date_from=A_MONDAY, date_to=A_MONDAY + timedelta(days=2), now=BEFORE_MONDAY
        )

    assert found == {d.pk for d in open_doctors}


def test_free_slots_takes_three_queries(django_assert_num_queries):
    doctor = monday_doctor()

    with django_assert_num_queries(3):
        free_slots(doctor=doctor, date_from=A_MONDAY, date_to=A_MONDAY + timedelta(days=30), now=BEFORE_MONDAY)


def test_a_loaded_schedule_serves_the_hours_after_it_but_not_a_day_later_or_before():
    schedule = bookable_schedule(doctor_id=monday_doctor().pk, now=BEFORE_MONDAY)
    policy, slot = booking_policy(), timedelta(minutes=30)

    assert schedule.serves(now=BEFORE_MONDAY + timedelta(hours=12), policy=policy, slot=slot)
    assert not schedule.serves(now=BEFORE_MONDAY + timedelta(days=1), policy=policy, slot=slot)
    assert not schedule.serves(now=BEFORE_MONDAY - timedelta(days=1), policy=policy, slot=slot)
