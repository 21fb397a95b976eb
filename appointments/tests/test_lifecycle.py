from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.services import appointment_book, appointment_cancel, appointment_reschedule
from appointments.status import appointment_transition
from appointments.tests.factories import AppointmentFactory
from core.exceptions import ConflictError
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=3))
    return appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic")


def test_reschedule_moves_to_another_free_slot(auth_client, booked, patient, free_slot_after):
    new_start = free_slot_after(booked.doctor, timedelta(days=5))

    response = auth_client(patient).patch(f"/api/v1/appointments/{booked.pk}", {"start": new_start.isoformat()})

    assert response.status_code == 200, response.json()
    booked.refresh_from_db()
    assert booked.start == new_start
    assert booked.end == new_start + timedelta(minutes=30)
    assert Notification.objects.filter(template_key="appointment_rescheduled").count() == 2


def test_reschedule_to_a_taken_slot_changes_nothing(auth_client, booked, patient, free_slot_after):
    # Given the target slot is someone else's
    target = free_slot_after(booked.doctor, timedelta(days=5))
    appointment_book(patient=PatientFactory(), doctor=booked.doctor, start=target, payment_method="clinic")
    old_start = booked.start

    # When the patient tries to move there
    response = auth_client(patient).patch(f"/api/v1/appointments/{booked.pk}", {"start": target.isoformat()})

    # Then 409 and the old slot is still theirs
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "slot_unavailable"
    booked.refresh_from_db()
    assert booked.start == old_start
    assert booked.status == AppointmentStatus.CONFIRMED
    assert Appointment.objects.filter(doctor=booked.doctor, start=target).count() == 1


def test_reschedule_after_the_cutoff_is_refused(auth_client, doctor, patient, free_slot_after):
    soon = appointment_book(
        patient=patient, doctor=doctor, start=free_slot_after(doctor, timedelta(hours=5)), payment_method="clinic"
    )
    target = free_slot_after(doctor, timedelta(days=4))

    response = auth_client(patient).patch(f"/api/v1/appointments/{soon.pk}", {"start": target.isoformat()})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "cutoff_passed"


def test_doctor_cannot_reschedule(booked, free_slot_after):
    from core.exceptions import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        appointment_reschedule(
            appointment=booked, by=booked.doctor.user, start=free_slot_after(booked.doctor, timedelta(days=5))
        )


def test_patient_cancelling_before_the_cutoff_gets_a_full_refund(booked, patient):
    outcome = appointment_cancel(appointment=booked, by=patient, reason="Feeling better")

    assert outcome.full_refund_due is True
    assert outcome.appointment.status == AppointmentStatus.CANCELLED
    assert outcome.appointment.cancelled_by == patient
    assert outcome.appointment.cancellation_reason == "Feeling better"


def test_patient_cancelling_after_the_cutoff_gets_no_refund(doctor, patient, free_slot_after):
    soon = appointment_book(
        patient=patient, doctor=doctor, start=free_slot_after(doctor, timedelta(hours=5)), payment_method="clinic"
    )

    outcome = appointment_cancel(appointment=soon, by=patient)

    assert outcome.full_refund_due is False


def test_doctor_cancelling_always_refunds_in_full(doctor, patient, free_slot_after):
    soon = appointment_book(
        patient=patient, doctor=doctor, start=free_slot_after(doctor, timedelta(hours=5)), payment_method="clinic"
    )

    outcome = appointment_cancel(appointment=soon, by=doctor.user, reason="Sick")

    assert outcome.full_refund_due is True


def test_cancel_frees_the_slot_and_notifies_both(auth_client, booked, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(booked.doctor.user).post(
            f"/api/v1/appointments/{booked.pk}/cancel", {"reason": "Emergency"}
        )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert Notification.objects.filter(template_key="appointment_cancelled").count() == 2
    again = appointment_book(
        patient=PatientFactory(), doctor=booked.doctor, start=booked.start, payment_method="clinic"
    )
    assert again.status == AppointmentStatus.CONFIRMED


def test_cancelling_twice_is_a_409(auth_client, booked, patient):
    auth_client(patient).post(f"/api/v1/appointments/{booked.pk}/cancel", {})

    response = auth_client(patient).post(f"/api/v1/appointments/{booked.pk}/cancel", {})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_transition"


def test_complete_before_the_start_is_a_409(auth_client, booked):
    response = auth_client(booked.doctor.user).post(f"/api/v1/appointments/{booked.pk}/complete")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_started"


@pytest.mark.parametrize(("action", "status"), [("complete", "completed"), ("no-show", "no_show")])
def test_doctor_closes_an_appointment_after_its_start(auth_client, action, status):
    started = AppointmentFactory(
        start=timezone.now() - timedelta(minutes=10), end=timezone.now() + timedelta(minutes=20)
    )

    response = auth_client(started.doctor.user).post(f"/api/v1/appointments/{started.pk}/{action}")

    assert response.status_code == 200
    assert response.json()["status"] == status
    assert Notification.objects.filter(user=started.patient).count() == 1


def test_patient_cannot_complete(auth_client):
    started = AppointmentFactory(
        start=timezone.now() - timedelta(minutes=10), end=timezone.now() + timedelta(minutes=20)
    )

    response = auth_client(started.patient).post(f"/api/v1/appointments/{started.pk}/complete")

    assert response.status_code == 403


def test_a_pending_payment_cannot_be_completed(auth_client):
    started = AppointmentFactory(
        start=timezone.now() - timedelta(minutes=10),
        end=timezone.now() + timedelta(minutes=20),
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() + timedelta(minutes=5),
    )

    response = auth_client(started.doctor.user).post(f"/api/v1/appointments/{started.pk}/complete")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("origin", "target", "allowed"),
    [
        ("pending_payment", "confirmed", True),
        ("pending_payment", "expired", True),
        ("confirmed", "completed", True),
        ("confirmed", "pending_payment", False),
        ("completed", "cancelled", False),
        ("cancelled", "confirmed", False),
        ("no_show", "completed", False),
    ],
)
def test_status_machine(origin, target, allowed):
    appointment = AppointmentFactory(status=origin)

    if allowed:
        appointment_transition(appointment=appointment, to_status=target)
        assert appointment.status == target
        assert appointment.status_changes.last().from_status == origin
    else:
        with pytest.raises(ConflictError):
            appointment_transition(appointment=appointment, to_status=target)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"start": "2030-01-01T10:00:00Z"}),
        ("post", "/cancel", {}),
        ("post", "/complete", None),
        ("post", "/no-show", None),
        ("get", "/ics", None),
    ],
)
def test_someone_elses_appointment_is_a_404(auth_client, booked, method, suffix, body):
    stranger_patient = PatientFactory()
    stranger_doctor = DoctorProfileFactory().user

    for stranger in (stranger_patient, stranger_doctor):
        response = getattr(auth_client(stranger), method)(f"/api/v1/appointments/{booked.pk}{suffix}", body)
        assert response.status_code == 404


def test_the_list_pages_count_and_refuse_a_page_past_the_end(auth_client, doctor, patient):
    now = timezone.now()
    booked = [
        AppointmentFactory(
            doctor=doctor,
            patient=patient,
            start=now + timedelta(days=day),
            end=now + timedelta(days=day, minutes=30),
        )
        for day in (2, 3, 4)
    ]
    client = auth_client(patient)

    first = client.get("/api/v1/appointments", {"page_size": 2}).json()
    second = client.get("/api/v1/appointments", {"page_size": 2, "page": 2}).json()
    last = client.get("/api/v1/appointments", {"page_size": 2, "page": "last"}).json()
    beyond = client.get("/api/v1/appointments", {"page_size": 2, "page": 3})

    assert (first["count"], second["count"]) == (3, 3)
    assert [row["id"] for row in first["results"] + second["results"]] == [str(a.pk) for a in booked]
    assert first["previous"] is None and "page=2" in first["next"]
    assert second["next"] is None and second["previous"] is not None
    assert last == second
    assert beyond.status_code == 404
    assert beyond.json()["type"] == "client_error" and beyond.json()["errors"][0]["code"] == "not_found"


def test_lists_by_scope_for_patient_and_doctor(auth_client, doctor, patient, django_assert_max_num_queries):
    now = timezone.now()
    upcoming = AppointmentFactory(
        doctor=doctor, patient=patient, start=now + timedelta(days=2), end=now + timedelta(days=2, minutes=30)
    )
    AppointmentFactory(
        doctor=doctor, patient=patient, start=now + timedelta(days=3), end=now + timedelta(days=3, minutes=30)
    )
    past = AppointmentFactory(
        doctor=doctor,
        patient=patient,
        start=now - timedelta(days=2),
        end=now - timedelta(days=2) + timedelta(minutes=30),
        status="completed",
    )
    cancelled = AppointmentFactory(
        doctor=doctor,
        patient=patient,
        start=now + timedelta(days=4),
        end=now + timedelta(days=4, minutes=30),
        status="cancelled",
    )
    AppointmentFactory()  # someone else's

    with django_assert_max_num_queries(5):
        response = auth_client(patient).get("/api/v1/appointments?scope=upcoming")
    doctor_response = auth_client(doctor.user).get("/api/v1/appointments?scope=upcoming")

    assert response.json()["results"][0]["id"] == str(upcoming.pk)
    assert response.json()["count"] == 2
    assert doctor_response.json()["count"] == 2
    assert [a["id"] for a in auth_client(patient).get("/api/v1/appointments?scope=past").json()["results"]] == [
        str(past.pk)
    ]
    assert [
        a["id"] for a in auth_client(doctor.user).get("/api/v1/appointments?scope=cancelled").json()["results"]
    ] == [str(cancelled.pk)]


def test_list_query_count_does_not_grow_with_rows(auth_client, doctor, patient, django_assert_num_queries):
    now = timezone.now()
    for day in range(1, 15):
        AppointmentFactory(
            doctor=doctor, patient=patient, start=now + timedelta(days=day), end=now + timedelta(days=day, minutes=30)
        )

    client = auth_client(patient)
    # the user, the page with its count (one query: core.pagination.CountInPagePagination), the
    # doctors' specialties
    with django_assert_num_queries(3):
        response = client.get("/api/v1/appointments?scope=upcoming")

    assert response.json()["count"] == 14


def test_bad_scope_is_a_400(auth_client, patient):
    assert auth_client(patient).get("/api/v1/appointments?scope=later").status_code == 400


def test_expire_lapsed_holds_task_is_idempotent():
    from appointments.tasks import appointments_expire_lapsed_holds

    lapsed = AppointmentFactory(
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() - timedelta(minutes=1),
    )
    live = AppointmentFactory(
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() + timedelta(minutes=10),
    )

    assert appointments_expire_lapsed_holds() == 1
    assert appointments_expire_lapsed_holds() == 0
    lapsed.refresh_from_db()
    live.refresh_from_db()
    assert lapsed.status == AppointmentStatus.EXPIRED
    assert live.status == AppointmentStatus.PENDING_PAYMENT


def test_refresh_next_available_task_stores_the_first_free_slot(doctor, free_slot_after):
    from appointments.tasks import doctors_refresh_next_available

    doctors_refresh_next_available()

    doctor.refresh_from_db()
    assert doctor.next_available_at == free_slot_after(doctor, timedelta(hours=2))
