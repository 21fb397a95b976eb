import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.availability_cache import availability_json
from appointments.models import Appointment, AppointmentStatus, AvailabilityRule, TimeOff
from appointments.services import appointment_book
from appointments.slots import local_today
from appointments.status import appointment_transition
from appointments.tests.factories import AppointmentFactory, AvailabilityRuleFactory, TimeOffFactory
from doctors.models import VerificationStatus
from doctors.services import doctor_profile_update
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def slot_starts(body) -> list[str]:
    return [slot["start"] for day in body["days"] for slot in day["slots"]]


def start_stamp(start: datetime) -> str:
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_availability_is_grouped_by_local_day(api_client, doctor):
    today = local_today(doctor=doctor)

    response = api_client.get(
        f"/api/v1/doctors/{doctor.pk}/availability",
        {"from": today + timedelta(days=1), "to": today + timedelta(days=3)},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["doctor_id"] == str(doctor.pk)
    assert body["timezone"] == "Europe/Paris"
    assert [d["date"] for d in body["days"]] == [str(today + timedelta(days=n)) for n in (1, 2, 3)]
    first = body["days"][0]["slots"][0]
    assert first["start"].endswith("Z")
    start = datetime.fromisoformat(first["start"])
    assert datetime.fromisoformat(first["end"]) - start == timedelta(minutes=30)


def test_availability_drops_a_slot_once_it_is_booked(
    api_client, doctor, free_slot_after, django_capture_on_commit_callbacks
):
    # Given a cached availability answer showing the slot
    start = free_slot_after(doctor, timedelta(days=2))
    day = start.astimezone(ZoneInfo("Europe/Paris")).date()
    url = f"/api/v1/doctors/{doctor.pk}/availability"
    stamp = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stamp in slot_starts(api_client.get(url, {"from": day, "to": day}).json())

    # When someone books it (the schedule version is bumped on commit)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(patient=PatientFactory(), doctor=doctor, start=start, payment_method="clinic")

    # Then the next answer no longer offers it
    assert stamp not in slot_starts(api_client.get(url, {"from": day, "to": day}).json())


def test_availability_window_is_at_most_31_days(api_client, doctor):
    start = date(2030, 1, 1)

    ok = api_client.get(f"/api/v1/doctors/{doctor.pk}/availability", {"from": start, "to": start + timedelta(days=30)})
    too_long = api_client.get(
        f"/api/v1/doctors/{doctor.pk}/availability", {"from": start, "to": start + timedelta(days=31)}
    )

    assert ok.status_code == 200
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["code"] == "range_too_long"


@pytest.mark.parametrize("params", [{"from": "2030-13-01"}, {"from": "2030-01-05", "to": "2030-01-01"}, {"to": "nope"}])
def test_bad_dates_are_a_400(api_client, doctor, params):
    assert api_client.get(f"/api/v1/doctors/{doctor.pk}/availability", params).status_code == 400


def test_unverified_doctor_availability_is_a_404(api_client):
    doctor = DoctorProfileFactory(verification_status=VerificationStatus.PENDING)

    assert api_client.get(f"/api/v1/doctors/{doctor.pk}/availability").status_code == 404


def test_availability_request_takes_few_queries(api_client, doctor, django_assert_max_num_queries):
    # the doctor's facts (profile, visit types), then rules, time off and appointments
    with django_assert_max_num_queries(5):
        api_client.get(
            f"/api/v1/doctors/{doctor.pk}/availability",
            {"from": local_today(doctor=doctor), "to": local_today(doctor=doctor) + timedelta(days=30)},
        )


def _answer(doctor, day, now):
    return json.loads(availability_json(doctor_id=doctor.pk, date_from=day, date_to=day, now=now))


def test_the_next_minute_reuses_the_cached_schedule(doctor, django_assert_num_queries):
    today, now = local_today(doctor=doctor), timezone.now()
    _answer(doctor, today, now)

    with django_assert_num_queries(0):
        _answer(doctor, today, now + timedelta(minutes=1))


def test_a_lapsing_hold_frees_its_slot_without_any_write(doctor, free_slot_after):
    # Given a card hold on a slot, seen by a cached answer
    start = free_slot_after(doctor, timedelta(days=2))
    now = timezone.now()
    hold = AppointmentFactory(
        doctor=doctor,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=now + timedelta(minutes=15),
    )
    day = start.astimezone(ZoneInfo("Europe/Paris")).date()
    assert start_stamp(start) not in slot_starts(_answer(doctor, day, now))

    # When the hold runs out, then the slot is offered again
    assert start_stamp(start) in slot_starts(_answer(doctor, day, hold.hold_until + timedelta(minutes=1)))


def test_an_appointment_leaving_the_schedule_by_any_transition_frees_its_slot(
    doctor, free_slot_after, django_capture_on_commit_callbacks
):
    # Given a card hold, seen by a cached answer
    start = free_slot_after(doctor, timedelta(days=2))
    hold = AppointmentFactory(
        doctor=doctor,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() + timedelta(minutes=15),
    )
    day, now = start.astimezone(ZoneInfo("Europe/Paris")).date(), timezone.now()
    assert start_stamp(start) not in slot_starts(_answer(doctor, day, now))

    # When its payment fails (the webhook handler expires it)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        appointment_transition(
            appointment=Appointment.objects.select_for_update().get(pk=hold.pk),
            to_status=AppointmentStatus.EXPIRED,
            source="test",
            note="payment failed",
        )

    # Then the same minute's answer offers the slot again
    assert start_stamp(start) in slot_starts(_answer(doctor, day, now))


def test_a_new_time_zone_shows_at_once(doctor, django_capture_on_commit_callbacks):
    today, now = local_today(doctor=doctor), timezone.now()
    _answer(doctor, today, now)

    with django_capture_on_commit_callbacks(execute=True):
        doctor_profile_update(profile=doctor, data={"timezone": "America/Montreal"})

    assert _answer(doctor, today, now)["timezone"] == "America/Montreal"


def test_doctor_replaces_weekly_rules(auth_client, django_capture_on_commit_callbacks):
    doctor = DoctorProfileFactory()
    rules = [
        {"weekday": 0, "start_time": "09:00", "end_time": "12:30"},
        {"weekday": 0, "start_time": "14:00", "end_time": "18:00"},
        {"weekday": 2, "start_time": "09:00", "end_time": "12:00"},
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(doctor.user).put("/api/v1/doctors/me/availability", rules, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == rules
    assert auth_client(doctor.user).get("/api/v1/doctors/me/availability").json() == rules
    doctor.refresh_from_db()
    assert doctor.next_available_at is not None


def test_overlapping_rules_are_a_400(auth_client):
    doctor = DoctorProfileFactory()
    AvailabilityRuleFactory(doctor=doctor)
    rules = [
        {"weekday": 1, "start_time": "09:00", "end_time": "12:00"},
        {"weekday": 1, "start_time": "11:30", "end_time": "13:00"},
    ]

    response = auth_client(doctor.user).put("/api/v1/doctors/me/availability", rules, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "overlapping_rules"
    assert AvailabilityRule.objects.filter(doctor=doctor).count() == 1


def test_rule_ending_before_it_starts_is_a_400(auth_client):
    doctor = DoctorProfileFactory()

    response = auth_client(doctor.user).put(
        "/api/v1/doctors/me/availability", [{"weekday": 1, "start_time": "12:00", "end_time": "09:00"}], format="json"
    )

    assert response.status_code == 400


def test_patient_cannot_use_doctor_endpoints(auth_client):
    patient = PatientFactory()

    assert auth_client(patient).get("/api/v1/doctors/me/availability").status_code == 403
    assert auth_client(patient).get("/api/v1/doctors/me/time-off").status_code == 403


def test_doctor_adds_lists_and_removes_time_off(auth_client):
    doctor = DoctorProfileFactory()
    client = auth_client(doctor.user)

    created = client.post(
        "/api/v1/doctors/me/time-off",
        {"start": "2030-01-01T08:00:00Z", "end": "2030-01-02T08:00:00Z", "reason": "Holiday"},
    )
    listed = client.get("/api/v1/doctors/me/time-off")
    deleted = client.delete(f"/api/v1/doctors/me/time-off/{created.json()['id']}")

    assert created.status_code == 201
    assert listed.json()[0]["reason"] == "Holiday"
    assert deleted.status_code == 204
    assert not TimeOff.objects.exists()


def test_time_off_ending_before_it_starts_is_a_400(auth_client):
    doctor = DoctorProfileFactory()

    response = auth_client(doctor.user).post(
        "/api/v1/doctors/me/time-off", {"start": "2030-01-02T08:00:00Z", "end": "2030-01-01T08:00:00Z"}
    )

    assert response.status_code == 400


def test_another_doctors_time_off_cannot_be_deleted(auth_client):
    other = TimeOffFactory()

    response = auth_client(DoctorProfileFactory().user).delete(f"/api/v1/doctors/me/time-off/{other.pk}")

    assert response.status_code == 404
    assert TimeOff.objects.filter(pk=other.pk).exists()


def test_a_null_rule_is_a_400_naming_its_index_as_a_string(auth_client):
    # found by schemathesis: the item's index came back as the integer 0, which the schema refuses
    doctor = DoctorProfileFactory()

    response = auth_client(doctor.user).put("/api/v1/doctors/me/availability", [None], format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "0"
