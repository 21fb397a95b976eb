"""Issue 17, item 7: one patient cannot hoard a doctor's slots nor the calendar with unpaid holds,
and booking is throttled per account."""

from datetime import timedelta

import pytest

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.tests.factories import open_every_day
from appointments.tests.test_booking import book_body
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def later_slots(doctor, free_slot_after):
    """`later_slots(n)`: n free slots of `doctor`, a day apart."""
    return lambda count: [free_slot_after(doctor, timedelta(days=2 + index)) for index in range(count)]


def test_a_third_upcoming_appointment_with_the_same_doctor_is_409(auth_client, doctor, patient, later_slots):
    client = auth_client(patient)
    first, second, third = later_slots(3)
    assert client.post("/api/v1/appointments", book_body(doctor, first)).status_code == 201
    assert client.post("/api/v1/appointments", book_body(doctor, second)).status_code == 201

    response = client.post("/api/v1/appointments", book_body(doctor, third))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "too_many_upcoming_with_doctor"
    assert Appointment.objects.filter(patient=patient).count() == 2


def test_a_cancelled_appointment_frees_its_place_under_the_cap(auth_client, doctor, patient, later_slots):
    client = auth_client(patient)
    first, second, third = later_slots(3)
    booked = client.post("/api/v1/appointments", book_body(doctor, first)).json()
    client.post("/api/v1/appointments", book_body(doctor, second))
    client.post(f"/api/v1/appointments/{booked['id']}/cancel", {"reason": "changed my mind"})

    response = client.post("/api/v1/appointments", book_body(doctor, third))

    assert response.status_code == 201


def test_a_third_unpaid_hold_is_409_even_with_other_doctors(auth_client, patient, free_slot_after):
    doctors = [DoctorProfileFactory() for _ in range(3)]
    for doctor in doctors:
        open_every_day(doctor)
    client = auth_client(patient)
    for days, doctor in enumerate(doctors[:2], start=2):
        start = free_slot_after(doctor, timedelta(days=days))
        assert client.post("/api/v1/appointments", book_body(doctor, start, method="card")).status_code == 201

    response = client.post(
        "/api/v1/appointments", book_body(doctors[2], free_slot_after(doctors[2], timedelta(days=4)), method="card")
    )
    clinic = client.post("/api/v1/appointments", book_body(doctors[2], free_slot_after(doctors[2], timedelta(days=5))))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "too_many_unpaid_holds"
    assert clinic.status_code == 201
    assert Appointment.objects.filter(status=AppointmentStatus.PENDING_PAYMENT).count() == 2


def test_booking_is_throttled_per_account(auth_client, doctor, patient, later_slots, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "booking": "2/hour"},
    }
    client = auth_client(patient)
    first, second = later_slots(2)
    client.post("/api/v1/appointments", book_body(doctor, first))
    client.post("/api/v1/appointments", book_body(doctor, second, method="nope"))

    response = client.post("/api/v1/appointments", book_body(doctor, second))

    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "throttled"
    assert "Retry-After" in response
    # Reading one's appointments is not counted, and another account has its own budget.
    assert client.get("/api/v1/appointments").status_code == 200
    assert auth_client(PatientFactory()).post("/api/v1/appointments", book_body(doctor, second)).status_code == 201


def test_booking_writes_stay_within_a_fixed_number_of_queries(
    auth_client, doctor, patient, later_slots, django_assert_max_num_queries
):
    client = auth_client(patient)
    start = later_slots(1)[0]

    with django_assert_max_num_queries(32):
        response = client.post("/api/v1/appointments", book_body(doctor, start))

    assert response.status_code == 201
