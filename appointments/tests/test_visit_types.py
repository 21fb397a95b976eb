"""Visit types in the slot engine and booking: a visit is offered only where its whole duration plus
buffer is free and inside the rules, on the doctor's grid; booking takes the visit type's length,
protects its buffer, refuses another doctor's or an inactive one and checks `new_patients_only`;
a client that names no visit type gets exactly what it got before."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import ACTIVE_STATUSES, Appointment
from appointments.services import appointment_book, appointment_reschedule
from appointments.slots import VisitLength, booking_policy, compute_free_slots, free_slots, local_today
from appointments.tests.factories import AppointmentFactory, AvailabilityRuleFactory, open_every_day
from core.exceptions import ApplicationError, ConflictError
from doctors import services as doctor_services
from doctors.models import VisitType
from doctors.tests.factories import CompletedAppointmentFactory, DoctorProfileFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _next_weekday(weekday: int, *, weeks: int = 1) -> date:
    today = timezone.now().astimezone(PARIS).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _morning_doctor(*, slot_minutes: int = 20, end: time = time(10, 0)):
    """A doctor with a default visit type, open on Mondays 09:00 to `end`, on a `slot_minutes` grid."""
    doctor = DoctorProfileFactory(slot_minutes=slot_minutes)
    doctor_services.visit_type_default_ensure(doctor=doctor)
    AvailabilityRuleFactory(doctor=doctor, weekday=0, start_time=time(9, 0), end_time=end)
    return doctor


def _starts(client, doctor, day, visit_type=None) -> list[str]:
    params = {"from": day.isoformat(), "to": day.isoformat()}
    if visit_type is not None:
        params["visit_type"] = str(visit_type.pk)
    response = client.get(f"/api/v1/doctors/{doctor.pk}/availability", params)
    assert response.status_code == 200, response.json()
    return [
        "-".join(
            datetime.fromisoformat(slot[edge].replace("Z", "+00:00")).astimezone(PARIS).strftime("%H:%M")
            for edge in ("start", "end")
        )
        for slot in response.json()["days"][0]["slots"]
    ]


def test_a_40_minute_visit_is_never_offered_where_only_20_minutes_are_free(api_client):
    # Given 09:00-10:00 on a 20-minute grid and 09:20-09:40 booked
    doctor = _morning_doctor()
    long_visit = VisitTypeFactory(doctor=doctor, duration_minutes=40)
    monday = _next_weekday(0)
    AppointmentFactory(doctor=doctor, start=_at(monday, 9, 20), end=_at(monday, 9, 40))

    # Then a 20-minute visit fits at 09:00 and 09:40, a 40-minute one nowhere
    assert _starts(api_client, doctor, monday) == ["09:00-09:20", "09:40-10:00"]
    assert _starts(api_client, doctor, monday, long_visit) == []


def test_slots_start_on_the_grid_last_the_duration_and_keep_the_buffer_inside_the_rule():
    rules = [(0, time(9, 0), time(10, 0))]
    monday = _next_weekday(0)
    common = {
        "zone": PARIS,
        "slot_minutes": 20,
        "rules": rules,
        "busy": [],
        "date_from": monday,
        "date_to": monday,
        "now": timezone.now(),
        "policy": booking_policy(),
    }

    plain = compute_free_slots(**common)[0][1]
    buffered = compute_free_slots(**common, visit=VisitLength(20, 10))[0][1]
    long = compute_free_slots(**common, visit=VisitLength(30))[0][1]

    assert [(s.astimezone(PARIS).time(), e - s) for s, e in plain] == [
        (time(9, 0), timedelta(minutes=20)),
        (time(9, 20), timedelta(minutes=20)),
        (time(9, 40), timedelta(minutes=20)),
    ]
    # 09:40 + 20 + 10 min of buffer would end after 10:00
    assert [s.astimezone(PARIS).time() for s, _e in buffered] == [time(9, 0), time(9, 20)]
    assert [(s.astimezone(PARIS).time(), e - s) for s, e in long] == [
        (time(9, 0), timedelta(minutes=30)),
        (time(9, 20), timedelta(minutes=30)),
    ]


def test_a_long_visit_is_measured_in_real_time_across_the_spring_forward_gap():
    # 2027-03-28: Paris jumps from 02:00 to 03:00. Rule 01:00-04:00, 60-minute grid, 90-minute visit.
    day = date(2027, 3, 28)
    slots = compute_free_slots(
        zone=PARIS,
        slot_minutes=60,
        rules=[(day.weekday(), time(1, 0), time(4, 0))],
        busy=[],
        date_from=day,
        date_to=day,
        now=datetime(2027, 3, 1, tzinfo=PARIS),
        policy=booking_policy(),
        visit=VisitLength(90),
    )[0][1]
    # 01:00 (+1) to 03:30 (+2) is 90 real minutes and fits; 02:00 does not exist; 03:00 + 90 > 04:00
    assert [(s.astimezone(PARIS).time(), e.astimezone(PARIS).time()) for s, e in slots] == [(time(1, 0), time(3, 30))]


def test_booking_a_visit_type_lasts_its_duration_and_blocks_its_buffer(auth_client):
    doctor = _morning_doctor(end=time(11, 0))
    buffered = VisitTypeFactory(doctor=doctor, duration_minutes=20, buffer_minutes=10, fee_amount=3500)
    monday = _next_weekday(0)
    patient = PatientFactory()

    response = auth_client(patient).post(
        "/api/v1/appointments",
        {
            "doctor_id": str(doctor.pk),
            "start": _at(monday, 9, 0).isoformat(),
            "payment_method": "clinic",
            "visit_type_id": str(buffered.pk),
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["visit_type"] == {"id": str(buffered.pk), "name": "First consultation", "duration_minutes": 20}
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.end - appointment.start == timedelta(minutes=20)
    assert appointment.blocked_until == _at(monday, 9, 30)
    # the buffer keeps 09:20 (a default 20-minute visit) off the availability; 09:40 is free
    offered = [start for start, _end in free_slots(doctor=doctor, date_from=monday, date_to=monday)[0][1]]
    assert _at(monday, 9, 20) not in offered and _at(monday, 9, 40) in offered
    # and the booking service refuses it too
    with pytest.raises(ConflictError) as refused:
        appointment_book(patient=PatientFactory(), doctor=doctor, start=_at(monday, 9, 20), payment_method="clinic")
    assert refused.value.code == "slot_unavailable"


def test_a_buffered_visit_is_not_offered_right_before_a_booking(api_client):
    doctor = _morning_doctor(end=time(11, 0))
    buffered = VisitTypeFactory(doctor=doctor, duration_minutes=20, buffer_minutes=10)
    monday = _next_weekday(0)
    AppointmentFactory(doctor=doctor, start=_at(monday, 10, 0), end=_at(monday, 10, 20))

    plain = _starts(api_client, doctor, monday)
    with_buffer = _starts(api_client, doctor, monday, buffered)

    # 09:40 + 20 min ends at 10:00 (fine), but its buffer runs to 10:10 (taken)
    assert plain == ["09:00-09:20", "09:20-09:40", "09:40-10:00", "10:20-10:40", "10:40-11:00"]
    assert with_buffer == ["09:00-09:20", "09:20-09:40", "10:20-10:40"]


@pytest.mark.parametrize("which", ["inactive", "other_doctor", "unknown"])
def test_booking_an_inactive_or_foreign_visit_type_is_400(auth_client, which):
    doctor = _morning_doctor()
    visit_type = {
        "inactive": lambda: VisitTypeFactory(doctor=doctor, is_active=False).pk,
        "other_doctor": lambda: VisitTypeFactory().pk,
        "unknown": lambda: "00000000-0000-4000-8000-000000000000",
    }[which]()

    response = auth_client(PatientFactory()).post(
        "/api/v1/appointments",
        {
            "doctor_id": str(doctor.pk),
            "start": _at(_next_weekday(0), 9, 0).isoformat(),
            "payment_method": "clinic",
            "visit_type_id": str(visit_type),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_visit_type"
    assert response.json()["errors"][0]["attr"] == "visit_type_id"
    assert not Appointment.objects.exists()


def test_availability_for_a_foreign_visit_type_is_400(api_client):
    doctor = _morning_doctor()
    response = api_client.get(f"/api/v1/doctors/{doctor.pk}/availability", {"visit_type": str(VisitTypeFactory().pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "visit_type"


def test_new_patients_only_refuses_a_returning_patient():
    doctor = _morning_doctor(end=time(11, 0))
    first_visit = VisitTypeFactory(doctor=doctor, duration_minutes=40, new_patients_only=True)
    returning, new = PatientFactory(), PatientFactory()
    CompletedAppointmentFactory(doctor=doctor, patient=returning)
    monday = _next_weekday(0)

    with pytest.raises(ConflictError) as refused:
        appointment_book(
            patient=returning,
            doctor=doctor,
            start=_at(monday, 9, 0),
            payment_method="clinic",
            visit_type_id=first_visit.pk,
        )
    booked = appointment_book(
        patient=new, doctor=doctor, start=_at(monday, 9, 0), payment_method="clinic", visit_type_id=first_visit.pk
    )

    assert refused.value.code == "not_a_new_patient"
    assert booked.visit_type == first_visit and booked.end == _at(monday, 9, 40)


def test_not_a_new_patient_is_409_in_the_api(auth_client):
    doctor = _morning_doctor()
    first_visit = VisitTypeFactory(doctor=doctor, duration_minutes=20, new_patients_only=True)
    patient = PatientFactory()
    CompletedAppointmentFactory(doctor=doctor, patient=patient)

    response = auth_client(patient).post(
        "/api/v1/appointments",
        {
            "doctor_id": str(doctor.pk),
            "start": _at(_next_weekday(0), 9, 0).isoformat(),
            "payment_method": "clinic",
            "visit_type_id": str(first_visit.pk),
        },
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_a_new_patient"


def test_a_visit_type_start_off_its_slots_is_400():
    doctor = _morning_doctor()
    long_visit = VisitTypeFactory(doctor=doctor, duration_minutes=40)
    with pytest.raises(ApplicationError) as refused:
        # 09:40 + 40 min ends after the 10:00 close
        appointment_book(
            patient=PatientFactory(),
            doctor=doctor,
            start=_at(_next_weekday(0), 9, 40),
            payment_method="clinic",
            visit_type_id=long_visit.pk,
        )
    assert refused.value.code == "slot_unavailable"


def test_visit_type_payment_methods_apply_to_the_booking():
    doctor = _morning_doctor()
    desk_only = VisitTypeFactory(doctor=doctor, duration_minutes=20, accepts_payment_methods=["clinic"])
    with pytest.raises(ApplicationError) as refused:
        appointment_book(
            patient=PatientFactory(),
            doctor=doctor,
            start=_at(_next_weekday(0), 9, 0),
            payment_method="card",
            visit_type_id=desk_only.pk,
        )
    assert refused.value.code == "payment_method_not_accepted"


def test_reschedule_keeps_the_visit_types_duration_and_buffer():
    doctor = DoctorProfileFactory(slot_minutes=20)
    open_every_day(doctor, start=time(8, 0), end=time(18, 0))
    long_visit = VisitTypeFactory(doctor=doctor, duration_minutes=40, buffer_minutes=10)
    monday = _next_weekday(0)
    patient = PatientFactory()
    appointment = appointment_book(
        patient=patient, doctor=doctor, start=_at(monday, 9, 0), payment_method="clinic", visit_type_id=long_visit.pk
    )

    moved = appointment_reschedule(appointment=appointment, by=patient, start=_at(monday, 14, 0))

    assert (moved.start, moved.end, moved.blocked_until) == (
        _at(monday, 14, 0),
        _at(monday, 14, 40),
        _at(monday, 14, 50),
    )
    assert moved.visit_type_id == long_visit.pk


def test_a_visit_type_change_invalidates_cached_availability(
    api_client, auth_client, django_capture_on_commit_callbacks
):
    doctor = _morning_doctor()
    visit = VisitTypeFactory(doctor=doctor, duration_minutes=20)
    monday = _next_weekday(0)
    assert len(_starts(api_client, doctor, monday, visit)) == 3  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(doctor.user).patch(
            f"/api/v1/doctors/me/visit-types/{visit.pk}", {"duration_minutes": 40}, format="json"
        )
    assert response.status_code == 200

    assert _starts(api_client, doctor, monday, visit) == ["09:00-09:40", "09:20-10:00"]
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(doctor.user).delete(f"/api/v1/doctors/me/visit-types/{visit.pk}")
    stale = api_client.get(
        f"/api/v1/doctors/{doctor.pk}/availability",
        {"from": monday.isoformat(), "to": monday.isoformat(), "visit_type": str(visit.pk)},
    )
    assert stale.status_code == 400


def test_a_client_naming_no_visit_type_gets_exactly_the_previous_behaviour(api_client, auth_client):
    # Given a doctor as before visit types (30-minute slots, no default yet) and the same with a default
    legacy = DoctorProfileFactory()
    migrated = DoctorProfileFactory()
    doctor_services.visit_type_default_ensure(doctor=migrated)
    for doctor in (legacy, migrated):
        open_every_day(doctor)
    day = local_today(doctor=legacy) + timedelta(days=3)

    # Then the availability answers are the same slots
    def slots(doctor):
        response = api_client.get(f"/api/v1/doctors/{doctor.pk}/availability", {"from": day, "to": day})
        return response.json()["days"]

    assert slots(legacy) == slots(migrated)
    assert len(slots(legacy)[0]["slots"]) == 47

    # And a booking that names no visit type lasts the slot and gets the default visit type (or none)
    start = datetime.fromisoformat(slots(migrated)[0]["slots"][5]["start"].replace("Z", "+00:00"))
    bodies = []
    for doctor in (legacy, migrated):
        response = auth_client(PatientFactory()).post(
            "/api/v1/appointments",
            {"doctor_id": str(doctor.pk), "start": start.isoformat(), "payment_method": "clinic"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        bodies.append(response.json())
    assert bodies[0]["end"] == bodies[1]["end"] == (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    assert bodies[0]["visit_type"] is None
    assert bodies[1]["visit_type"]["id"] == str(VisitType.objects.get(doctor=migrated).pk)


def _race(doctor, attempts):
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient, start, visit_type_id):
        try:
            barrier.wait()
            appointment_book(
                patient=patient, doctor=doctor, start=start, payment_method="clinic", visit_type_id=visit_type_id
            )
            result = "ok"
        except ConflictError as error:
            result = f"409:{error.code}"
        except Exception as error:  # any other outcome is a failure we want to see
            result = f"other:{error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=args) for args in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_mixed_duration_race_never_overlaps(round_):
    # Given 09:00-10:00 on a 20-minute grid: a 40-minute visit at 09:00 and 20-minute visits at
    # 09:00 and 09:20 (with a 10-minute buffer, so 09:20 also collides with a 20-minute 09:00)
    doctor = _morning_doctor()
    long_visit = VisitTypeFactory(doctor=doctor, duration_minutes=40)
    short_visit = VisitTypeFactory(doctor=doctor, duration_minutes=20, buffer_minutes=10, fee_amount=3000)
    monday = _next_weekday(0)
    attempts = [
        (PatientFactory(), _at(monday, 9, 0), long_visit.pk),
        (PatientFactory(), _at(monday, 9, 0), short_visit.pk),
        (PatientFactory(), _at(monday, 9, 20), short_visit.pk),
    ]

    # When the three race on their own connections
    outcomes = _race(doctor, attempts)

    # Then exactly one wins (each pair overlaps, buffers included) and no two active rows overlap
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("409:slot_unavailable") == 2, outcomes
    rows = list(
        Appointment.objects.filter(doctor=doctor, status__in=ACTIVE_STATUSES).values_list(
            "start", "end", "blocked_until"
        )
    )
    assert len(rows) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_overlap_of_a_buffer():
    # Written around the service: the exclusion constraint itself covers [start, blocked_until)
    from django.db import IntegrityError, transaction

    doctor = _morning_doctor()
    monday = _next_weekday(0)
    AppointmentFactory(doctor=doctor, start=_at(monday, 9, 0), end=_at(monday, 9, 20), blocked_until=_at(monday, 9, 30))
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(doctor=doctor, start=_at(monday, 9, 20), end=_at(monday, 9, 40))
    AppointmentFactory(doctor=doctor, start=_at(monday, 9, 30), end=_at(monday, 9, 50))
