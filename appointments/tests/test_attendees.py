"""Booking for a relative: who attends, `patient_overlap` per person attending, the attendee in payloads."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.services import relative_delete
from accounts.tests.factories import PatientFactory, RelativeFactory
from appointments.models import Appointment
from appointments.services import appointment_book, appointment_confirm_paid
from appointments.tests.factories import AppointmentFactory, open_every_day
from appointments.tests.test_booking import BOOKING_QUERY_BUDGET
from core.exceptions import ApplicationError, ConflictError
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def book_body(doctor, start, relative=None, **extra):
    body = {
        "doctor_id": str(doctor.pk),
        "start": start.isoformat().replace("+00:00", "Z"),
        "payment_method": "clinic",
        **extra,
    }
    if relative is not None:
        body["relative_id"] = str(relative.pk)
    return body


@pytest.fixture
def other_doctor():
    doctor = DoctorProfileFactory()
    open_every_day(doctor)
    return doctor


@pytest.fixture
def family(patient):
    """A parent account with two children."""
    return (
        patient,
        RelativeFactory(user=patient, first_name="Léa", relationship="child"),
        RelativeFactory(user=patient, first_name="Noé", relationship="child"),
    )


def error(response):
    return response.json()["errors"][0]


def test_two_children_are_booked_at_the_same_time_with_two_doctors(
    auth_client, doctor, other_doctor, family, free_slot_after
):
    parent, lea, noe = family
    start = free_slot_after(doctor, timedelta(days=2))
    client = auth_client(parent)

    first = client.post("/api/v1/appointments", book_body(doctor, start, relative=lea))
    second = client.post("/api/v1/appointments", book_body(other_doctor, start, relative=noe))

    assert first.status_code == 201, first.json()
    assert second.status_code == 201, second.json()
    assert first.json()["attendee"] == {
        "first_name": "Léa",
        "last_name": lea.last_name,
        "date_of_birth": "2016-04-02",
        "relationship": "child",
    }
    assert second.json()["attendee"]["first_name"] == "Noé"
    assert set(Appointment.objects.values_list("relative_id", flat=True)) == {lea.pk, noe.pk}


def test_the_same_child_twice_at_once_is_a_patient_overlap(auth_client, doctor, other_doctor, family, free_slot_after):
    parent, lea, _noe = family
    start = free_slot_after(doctor, timedelta(days=2))
    client = auth_client(parent)
    assert client.post("/api/v1/appointments", book_body(doctor, start, relative=lea)).status_code == 201

    response = client.post("/api/v1/appointments", book_body(other_doctor, start, relative=lea))

    assert response.status_code == 409
    assert error(response)["code"] == "patient_overlap"


def test_the_account_holder_and_a_child_are_booked_at_the_same_time(
    auth_client, doctor, other_doctor, family, free_slot_after
):
    parent, lea, _noe = family
    start = free_slot_after(doctor, timedelta(days=2))
    client = auth_client(parent)

    mine = client.post("/api/v1/appointments", book_body(doctor, start))
    hers = client.post("/api/v1/appointments", book_body(other_doctor, start, relative=lea))
    mine_again = client.post("/api/v1/appointments", book_body(other_doctor, start + timedelta(minutes=30)))
    overlap = client.post("/api/v1/appointments", book_body(other_doctor, start))

    assert (mine.status_code, hers.status_code, mine_again.status_code) == (201, 201, 201)
    assert mine.json()["attendee"] is None
    assert overlap.status_code == 409  # the doctor is busy then, whoever asks


def test_the_account_holder_twice_at_once_is_still_a_patient_overlap(
    auth_client, doctor, other_doctor, family, free_slot_after
):
    parent, lea, _noe = family
    start = free_slot_after(doctor, timedelta(days=2))
    client = auth_client(parent)
    client.post("/api/v1/appointments", book_body(doctor, start, relative=lea))
    client.post("/api/v1/appointments", book_body(doctor, start + timedelta(minutes=30)))

    response = client.post("/api/v1/appointments", book_body(other_doctor, start + timedelta(minutes=30)))

    assert response.status_code == 409
    assert error(response)["code"] == "patient_overlap"


def test_someone_elses_relative_is_a_400_naming_relative_id(auth_client, doctor, patient, free_slot_after):
    stranger = RelativeFactory()
    start = free_slot_after(doctor, timedelta(days=2))

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start, relative=stranger))

    assert response.status_code == 400
    assert error(response)["code"] == "invalid_relative"
    assert error(response)["attr"] == "relative_id"
    assert not Appointment.objects.exists()


def test_a_removed_relative_cannot_be_booked_for(auth_client, doctor, patient, free_slot_after):
    removed = RelativeFactory(user=patient, removed_at=timezone.now())
    start = free_slot_after(doctor, timedelta(days=2))

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start, relative=removed))

    assert response.status_code == 400
    assert error(response)["attr"] == "relative_id"


def test_a_malformed_relative_id_is_a_400(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start, relative_id="lea"))

    assert response.status_code == 400
    assert error(response)["attr"] == "relative_id"


def test_the_doctor_sees_the_attendee_in_the_appointment_payload(auth_client, doctor, family):
    parent, lea, _noe = family
    appointment = AppointmentFactory(doctor=doctor, patient=parent, relative=lea)
    client = auth_client(doctor.user)

    detail = client.get(f"/api/v1/appointments/{appointment.pk}").json()
    listed = client.get("/api/v1/appointments").json()["results"]

    assert detail["patient"]["id"] == str(parent.pk)
    assert detail["attendee"] == {
        "first_name": "Léa",
        "last_name": lea.last_name,
        "date_of_birth": "2016-04-02",
        "relationship": "child",
    }
    assert listed[0]["attendee"] == detail["attendee"]


def test_the_calendar_shows_the_attendee(auth_client, doctor, family):
    parent, lea, _noe = family
    appointment = AppointmentFactory(doctor=doctor, patient=parent, relative=lea)
    day = appointment.start.date()

    body = (
        auth_client(parent)
        .get("/api/v1/calendar/appointments", {"from": day.isoformat(), "to": day.isoformat(), "tz": "UTC"})
        .json()
    )

    assert body["days"][0]["appointments"][0]["attendee"]["first_name"] == "Léa"


def test_rescheduling_a_child_checks_that_child_only(auth_client, doctor, other_doctor, family, free_slot_after):
    parent, lea, noe = family
    start = free_slot_after(doctor, timedelta(days=2))
    later = start + timedelta(hours=2)
    AppointmentFactory(
        doctor=other_doctor, patient=parent, relative=noe, start=later, end=later + timedelta(minutes=30)
    )
    AppointmentFactory(
        doctor=other_doctor,
        patient=parent,
        relative=lea,
        start=later + timedelta(hours=1),
        end=later + timedelta(hours=1, minutes=30),
    )
    leas = AppointmentFactory(
        doctor=doctor, patient=parent, relative=lea, start=start, end=start + timedelta(minutes=30)
    )
    client = auth_client(parent)

    onto_brother = client.patch(f"/api/v1/appointments/{leas.pk}", {"start": later.isoformat()})
    onto_herself = client.patch(f"/api/v1/appointments/{leas.pk}", {"start": (later + timedelta(hours=1)).isoformat()})

    assert onto_brother.status_code == 200, onto_brother.json()
    assert onto_herself.status_code == 409
    assert error(onto_herself)["code"] == "patient_overlap"


def test_the_appointment_list_with_attendees_takes_a_fixed_number_of_queries(
    auth_client, doctor, family, django_assert_max_num_queries
):
    parent, lea, noe = family
    now = timezone.now()
    for day in range(1, 13):
        start = now + timedelta(days=day)
        AppointmentFactory(
            doctor=doctor,
            patient=parent,
            relative=(lea, noe, None)[day % 3],
            start=start,
            end=start + timedelta(minutes=30),
        )

    for user in (parent, doctor.user):
        # auth, count, page (with doctor, patient, attendee and payment joined), specialties
        with django_assert_max_num_queries(5):
            response = auth_client(user).get("/api/v1/appointments?scope=upcoming")
        assert response.json()["count"] == 12
        assert {
            item["attendee"]["first_name"] if item["attendee"] else None for item in response.json()["results"]
        } == {
            "Léa",
            "Noé",
            None,
        }


@pytest.mark.postgres
def test_the_database_keeps_one_person_from_two_places_at_once(doctor, other_doctor, family):
    # Bypassing every service check: the exclusion constraint alone decides, per person attending.
    parent, lea, noe = family
    first = AppointmentFactory(doctor=doctor, patient=parent, relative=lea)
    same_time = {"start": first.start, "end": first.end}

    brother = AppointmentFactory(doctor=other_doctor, patient=parent, relative=noe, **same_time)
    holder = AppointmentFactory(doctor=DoctorProfileFactory(), patient=parent, **same_time)
    assert brother.pk and holder.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(doctor=DoctorProfileFactory(), patient=parent, relative=lea, **same_time)
    with pytest.raises(IntegrityError), transaction.atomic():
        # NULL (the account holder) conflicts with NULL of the same patient
        AppointmentFactory(doctor=DoctorProfileFactory(), patient=parent, **same_time)
    other_family_holder = AppointmentFactory(doctor=DoctorProfileFactory(), patient=PatientFactory(), **same_time)
    assert other_family_holder.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_bookings_of_one_child_with_several_doctors_give_one_success(free_slot_after):
    parent = PatientFactory()
    lea = RelativeFactory(user=parent)
    doctors = [DoctorProfileFactory() for _ in range(6)]
    for doctor in doctors:
        open_every_day(doctor)
    start = free_slot_after(doctors[0], timedelta(days=2))
    barrier = threading.Barrier(len(doctors))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(doctor):
        try:
            barrier.wait()
            appointment_book(patient=parent, doctor=doctor, start=start, payment_method="clinic", relative_id=lea.pk)
            result = "ok"
        except ConflictError as conflict:
            result = f"409:{conflict.code}"
        except Exception as other:  # any other outcome is a failure we want to see
            result = f"other:{other!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(doctor,)) for doctor in doctors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("409:patient_overlap") == len(doctors) - 1, outcomes


def test_a_late_payment_for_a_child_stands_when_only_the_parent_is_busy_then(
    doctor, other_doctor, family, free_slot_after
):
    parent, lea, _noe = family
    start = free_slot_after(doctor, timedelta(days=2))
    held = appointment_book(patient=parent, doctor=doctor, start=start, payment_method="card", relative_id=lea.pk)
    Appointment.objects.filter(pk=held.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
    appointment_book(patient=parent, doctor=other_doctor, start=start, payment_method="clinic")

    with transaction.atomic():
        confirmed = appointment_confirm_paid(
            appointment=Appointment.objects.select_for_update().get(pk=held.pk), source="evt_late"
        )

    assert confirmed is True
    assert Appointment.objects.get(pk=held.pk).status == "confirmed"


def test_a_late_payment_for_a_child_booked_elsewhere_meanwhile_is_refused(
    doctor, other_doctor, family, free_slot_after
):
    parent, lea, _noe = family
    start = free_slot_after(doctor, timedelta(days=2))
    held = appointment_book(patient=parent, doctor=doctor, start=start, payment_method="card", relative_id=lea.pk)
    Appointment.objects.filter(pk=held.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
    appointment_book(patient=parent, doctor=other_doctor, start=start, payment_method="clinic", relative_id=lea.pk)

    with transaction.atomic():
        confirmed = appointment_confirm_paid(
            appointment=Appointment.objects.select_for_update().get(pk=held.pk), source="evt_late"
        )

    assert confirmed is False


def test_booking_for_a_relative_query_count_is_pinned(
    auth_client, doctor, family, free_slot_after, django_assert_max_num_queries
):
    parent, lea, _noe = family
    client = auth_client(parent)
    start = free_slot_after(doctor, timedelta(days=2))

    # the clinic booking's budget plus the relative's row lock; measured on SQLite and PostgreSQL
    with django_assert_max_num_queries(BOOKING_QUERY_BUDGET["clinic"] + 1):
        response = client.post("/api/v1/appointments", book_body(doctor, start, relative=lea))

    assert response.status_code == 201


def _book_and_remove_at_once(*, parent, relative, doctor, start) -> dict[str, str]:
    """Book for `relative` and remove it on two connections at the same moment; each side's outcome."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(name, action):
        try:
            barrier.wait()
            action()
            outcomes[name] = "ok"
        except ApplicationError as refused:
            outcomes[name] = refused.code
        except Exception as other:  # any other outcome is a failure we want to see
            outcomes[name] = repr(other)
        finally:
            connection.close()

    def book():
        appointment_book(patient=parent, doctor=doctor, start=start, payment_method="clinic", relative_id=relative.pk)

    def remove():
        relative_delete(user=parent, relative_id=relative.pk)

    threads = [threading.Thread(target=run, args=("book", book)), threading.Thread(target=run, args=("delete", remove))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_removing_a_relative_while_booking_for_them_never_leaves_an_upcoming_visit_behind(free_slot_after):
    for _round in range(5):
        parent = PatientFactory()
        lea = RelativeFactory(user=parent)
        doctor = DoctorProfileFactory()
        open_every_day(doctor)

        outcomes = _book_and_remove_at_once(
            parent=parent, relative=lea, doctor=doctor, start=free_slot_after(doctor, timedelta(days=2))
        )

        assert outcomes in (
            {"book": "ok", "delete": "relative_has_upcoming_appointments"},
            {"book": "invalid_relative", "delete": "ok"},
        ), outcomes
