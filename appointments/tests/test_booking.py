from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.services import appointment_book
from appointments.tests.factories import AppointmentFactory
from core.exceptions import ApplicationError, ConflictError
from doctors.models import VerificationStatus
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def book_body(doctor, start, method="clinic", **extra):
    return {
        "doctor_id": str(doctor.pk),
        "start": start.isoformat().replace("+00:00", "Z"),
        "payment_method": method,
        **extra,
    }


def test_clinic_booking_is_confirmed_and_notifies_both_participants(
    auth_client, doctor, patient, free_slot_after, django_capture_on_commit_callbacks
):
    start = free_slot_after(doctor, timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start, reason="Back pain"))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["reason"] == "Back pain"
    assert body["doctor"]["id"] == str(doctor.pk)
    assert body["patient"]["id"] == str(patient.pk)
    assert body["payment"] is None
    assert set(Notification.objects.values_list("user_id", flat=True)) == {patient.pk, doctor.user.pk}
    patient_note = Notification.objects.get(user=patient)
    assert "Europe/Paris" in patient_note.body and "UTC" in patient_note.body  # clinic zone and the patient's own
    doctor.refresh_from_db()
    assert doctor.next_available_at is not None and doctor.next_available_at != start


def test_card_booking_holds_the_slot_until_payment(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start, method="card"))

    assert response.status_code == 201
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.PENDING_PAYMENT
    assert timezone.now() < appointment.hold_until <= timezone.now() + timedelta(minutes=15)


def test_a_time_that_is_not_a_slot_is_rejected_with_400(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2)) + timedelta(minutes=10)

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start))

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "slot_unavailable"


def test_a_taken_slot_is_a_409(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30))

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "slot_unavailable"


def test_patient_cannot_hold_two_overlapping_appointments(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    AppointmentFactory(patient=patient, start=start, end=start + timedelta(minutes=30))

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "patient_overlap"


@pytest.mark.parametrize(
    ("ahead", "code"),
    [
        (timedelta(hours=-3), "in_past"),
        (timedelta(minutes=60), "inside_min_notice"),
        (timedelta(days=95), "beyond_horizon"),
    ],
)
def test_policy_rejects_past_notice_and_horizon(auth_client, doctor, patient, ahead, code):
    start = (timezone.now() + ahead).replace(minute=0, second=0, microsecond=0)

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start))

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code


def test_payment_method_the_doctor_does_not_accept_is_rejected(auth_client, doctor, patient, free_slot_after):
    doctor.accepts_payment_methods = ["clinic"]
    doctor.save(update_fields=["accepts_payment_methods"])
    start = free_slot_after(doctor, timedelta(days=2))

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, start, method="card"))

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "payment_method_not_accepted"


def test_unverified_doctor_cannot_be_booked(auth_client, patient):
    doctor = DoctorProfileFactory(verification_status=VerificationStatus.PENDING)

    response = auth_client(patient).post("/api/v1/appointments", book_body(doctor, timezone.now() + timedelta(days=2)))

    assert response.status_code == 404


def test_a_doctor_cannot_book(auth_client, doctor, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))

    response = auth_client(doctor.user).post("/api/v1/appointments", book_body(doctor, start))

    assert response.status_code == 403


def test_lapsed_hold_frees_the_slot_without_any_job(doctor, patient, free_slot_after):
    # Given another patient's card hold on the slot, which ran out a minute ago (no task has run)
    start = free_slot_after(doctor, timedelta(days=2))
    lapsed = AppointmentFactory(
        doctor=doctor,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() - timedelta(minutes=1),
    )

    # When the patient books it
    appointment = appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic")

    # Then they get it and the old hold is tidied to expired on the way
    assert appointment.status == AppointmentStatus.CONFIRMED
    lapsed.refresh_from_db()
    assert lapsed.status == AppointmentStatus.EXPIRED


def test_live_hold_keeps_the_slot(doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    AppointmentFactory(
        doctor=doctor,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() + timedelta(minutes=5),
    )

    with pytest.raises(ConflictError) as error:
        appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic")

    assert error.value.code == "slot_unavailable"


def test_idempotency_key_replays_the_first_answer(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    client = auth_client(patient)

    first = client.post("/api/v1/appointments", book_body(doctor, start), HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post("/api/v1/appointments", book_body(doctor, start), HTTP_IDEMPOTENCY_KEY="abc-123")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Appointment.objects.count() == 1


def test_idempotency_key_with_a_different_body_is_a_409(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    client = auth_client(patient)
    client.post("/api/v1/appointments", book_body(doctor, start), HTTP_IDEMPOTENCY_KEY="abc-123")

    response = client.post(
        "/api/v1/appointments", book_body(doctor, start + timedelta(minutes=30)), HTTP_IDEMPOTENCY_KEY="abc-123"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Appointment.objects.count() == 1


def test_same_idempotency_key_from_another_user_is_independent(auth_client, doctor, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    auth_client(PatientFactory()).post("/api/v1/appointments", book_body(doctor, start), HTTP_IDEMPOTENCY_KEY="k")

    response = auth_client(PatientFactory()).post(
        "/api/v1/appointments", book_body(doctor, start), HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 409  # a real second attempt, refused because the slot is taken


def test_failed_attempt_is_not_remembered_by_the_idempotency_key(auth_client, doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    blocker = AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30))
    client = auth_client(patient)
    assert client.post("/api/v1/appointments", book_body(doctor, start), HTTP_IDEMPOTENCY_KEY="x").status_code == 409
    blocker.status = AppointmentStatus.CANCELLED
    blocker.save(update_fields=["status"])

    response = client.post("/api/v1/appointments", book_body(doctor, start), HTTP_IDEMPOTENCY_KEY="x")

    assert response.status_code == 201


def test_booking_errors_are_application_errors(doctor, patient):
    with pytest.raises(ApplicationError):
        appointment_book(
            patient=patient, doctor=doctor, start=timezone.now() - timedelta(hours=1), payment_method="clinic"
        )


def test_notifications_are_written_in_each_recipients_language_and_zone(doctor, free_slot_after):
    patient = PatientFactory(locale="fr", timezone="America/Montreal")
    start = free_slot_after(doctor, timedelta(days=2))

    appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic")

    patient_note = Notification.objects.get(user=patient)
    doctor_note = Notification.objects.get(user=doctor.user)
    assert patient_note.title == "Rendez-vous réservé"
    assert "heure du cabinet (Europe/Paris)" in patient_note.body
    assert "America/Montreal" in patient_note.body
    assert doctor_note.title == "Appointment booked"


@pytest.mark.parametrize("method", ["clinic", "card"])
def test_booking_query_count_is_pinned(
    auth_client, doctor, patient, free_slot_after, method, django_assert_max_num_queries
):
    # given a doctor with other bookings already (the count must not grow with them)
    for days in (3, 4, 5):
        AppointmentFactory(doctor=doctor, start=free_slot_after(doctor, timedelta(days=days)))
    client = auth_client(patient)
    start = free_slot_after(doctor, timedelta(days=2))

    # when the patient books, then a fixed budget of queries covers checks, insert, history, audit,
    # sync log, notifications (in-app rows, preferences, deliveries) and the response
    with django_assert_max_num_queries(BOOKING_QUERY_BUDGET[method]):
        response = client.post("/api/v1/appointments", book_body(doctor, start, method=method))

    assert response.status_code == 201


def test_a_refused_booking_costs_only_its_checks(
    auth_client, doctor, patient, free_slot_after, django_assert_num_queries
):
    # given a slot someone else has booked (as for every loser of a race for one slot)
    start = free_slot_after(doctor, timedelta(days=2))
    AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30))
    client = auth_client(patient)

    # when the patient asks for it, the refusal costs the user, the doctor, the visit type, the day's
    # rules and time off, and the conflict check inside the booking's transaction (a savepoint here,
    # rolled back and released): no lapsed hold is looked for, no row is locked
    with django_assert_num_queries(REFUSED_BOOKING_QUERIES) as captured:
        response = client.post("/api/v1/appointments", book_body(doctor, start))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "slot_unavailable"
    assert not [query["sql"] for query in captured.captured_queries if "FOR UPDATE" in query["sql"]]


REFUSED_BOOKING_QUERIES = 9


# measured on SQLite and PostgreSQL; the booking caps (patient row lock + one aggregate) are 2 of them,
# the visit type (the default one here) 1
BOOKING_QUERY_BUDGET = {"clinic": 30, "card": 25}
