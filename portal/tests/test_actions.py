from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatusChange
from appointments.tests.factories import AppointmentFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


def _act(client, appointment, action, **data):
    url = reverse("portal:appointment-action", args=[appointment.pk, action])
    return client.post(url, data, follow=True)


def _started(doctor, **kwargs):
    start = timezone.now() - timedelta(minutes=10)
    return AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30), **kwargs)


def test_completing_a_started_appointment_marks_it_completed(doctor_client, doctor):
    appointment = _started(doctor)
    response = _act(doctor_client, appointment, "complete")
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert "Appointment marked completed." in response.content.decode()


def test_completing_a_future_appointment_shows_the_services_error(doctor_client, doctor):
    # given an appointment in three days
    appointment = AppointmentFactory(doctor=doctor)
    # when the doctor tries to complete it
    response = _act(doctor_client, appointment, "complete")
    # then the API's message is shown and nothing changed
    assert "This appointment has not started yet." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_a_no_show_is_recorded_after_the_start(doctor_client, doctor):
    appointment = _started(doctor)
    _act(doctor_client, appointment, "no-show")
    appointment.refresh_from_db()
    assert appointment.status == "no_show"


def test_cancelling_with_a_reason_records_it_in_the_history(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor)
    _act(doctor_client, appointment, "cancel", reason="Doctor unwell")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancellation_reason == "Doctor unwell"
    change = AppointmentStatusChange.objects.get(appointment=appointment, to_status="cancelled")
    assert change.source == "portal"
    detail = doctor_client.get(reverse("portal:appointment-detail", args=[appointment.pk])).content.decode()
    assert "Doctor unwell" in detail


def test_cancelling_a_started_appointment_shows_the_services_error(doctor_client, doctor):
    appointment = _started(doctor)
    response = _act(doctor_client, appointment, "cancel", reason="late")
    assert "This appointment has already started." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_marking_a_clinic_payment_issues_a_receipt_the_doctor_can_open(doctor_client, doctor):
    appointment = _started(doctor)
    response = _act(doctor_client, appointment, "mark-paid", next="/portal/")
    payment = Payment.objects.get(appointment=appointment)
    assert payment.status == "succeeded"
    assert payment.receipt_number
    assert response.redirect_chain[-1][0] == "/portal/"
    detail = doctor_client.get(reverse("portal:appointment-detail", args=[appointment.pk])).content.decode()
    assert payment.receipt_number in detail
    receipt = doctor_client.get(reverse("portal:receipt", args=[appointment.pk]))
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"


def test_marking_a_card_appointment_paid_shows_the_services_error(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor, payment_method="card")
    response = _act(doctor_client, appointment, "mark-paid")
    assert "This appointment is paid by card." in response.content.decode()
    assert not Payment.objects.filter(appointment=appointment).exists()


def test_an_unpaid_appointment_has_no_receipt(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor)
    assert doctor_client.get(reverse("portal:receipt", args=[appointment.pk])).status_code == 404


def test_an_unknown_action_is_404(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor)
    assert doctor_client.post(reverse("portal:appointment-action", args=[appointment.pk, "explode"])).status_code == 404


def test_next_pointing_off_site_is_ignored(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor)
    response = doctor_client.post(
        reverse("portal:appointment-action", args=[appointment.pk, "complete"]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:appointment-detail", args=[appointment.pk])
