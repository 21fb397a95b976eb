"""The relative attending shows wherever the patient's name shows: notifications (and so their
emails) and ICS events, in each reader's language."""

from datetime import timedelta

import pytest

from accounts.tests.factories import RelativeFactory
from appointments.services import appointment_book, appointment_cancel
from appointments.tests.factories import AppointmentFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea(patient):
    return RelativeFactory(user=patient, first_name="Léa", last_name="Martin")


def test_the_doctor_and_the_parent_are_told_who_attends(
    doctor, patient, lea, free_slot_after, mailoutbox, django_capture_on_commit_callbacks
):
    doctor.user.locale = "fr"
    doctor.user.save(update_fields=["locale"])
    start = free_slot_after(doctor, timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic", relative_id=lea.pk)

    to_doctor = Notification.objects.get(user=doctor.user)
    to_parent = Notification.objects.get(user=patient)
    assert f"{patient.full_name} a pris rendez-vous avec vous." in to_doctor.body
    assert "Pour : Léa Martin" in to_doctor.body
    assert "For: Léa Martin" in to_parent.body
    assert any("Léa Martin" in mail.body for mail in mailoutbox if mail.to == [doctor.user.email])


def test_nobody_is_named_twice_when_the_account_holder_attends(doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))

    appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic")

    assert "For:" not in Notification.objects.get(user=doctor.user).body


def test_a_cancellation_names_the_attendee_to_the_doctor(doctor, patient, lea):
    appointment = AppointmentFactory(doctor=doctor, patient=patient, relative=lea)

    appointment_cancel(appointment=appointment, by=patient)

    assert "For: Léa Martin" in Notification.objects.get(user=doctor.user).body


def test_the_ics_event_names_the_attendee(auth_client, doctor, patient, lea):
    appointment = AppointmentFactory(doctor=doctor, patient=patient, relative=lea)

    for_doctor = auth_client(doctor.user).get(f"/api/v1/appointments/{appointment.pk}/ics").content.decode()
    for_parent = auth_client(patient).get(f"/api/v1/appointments/{appointment.pk}/ics").content.decode()

    assert "SUMMARY:Appointment with Léa Martin" in for_doctor
    assert "For: Léa Martin" in for_parent.replace("\r\n ", "")
    assert f"SUMMARY:Appointment with {doctor}" in for_parent
