"""What appointments record and tell as they change: the sync log written by the services (no
receiver), one slot rule for booking and late payments, and who hears about a booking when."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange
from appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_confirm_paid,
    appointment_expire_lapsed_holds,
    appointment_reschedule,
)
from appointments.tests.factories import AppointmentFactory, open_every_day
from core.models import AuditLog, SyncChange, SyncOp
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def sync_rows(appointment):
    return sorted(
        (str(user_id), op)
        for user_id, op in SyncChange.objects.filter(
            resource="appointments", object_id=str(appointment.pk)
        ).values_list("user_id", "op")
    )


def both(appointment, times=1):
    return sorted(
        [(str(appointment.patient_id), SyncOp.UPSERT), (str(appointment.doctor.user_id), SyncOp.UPSERT)] * times
    )


def test_a_plain_save_or_queryset_update_records_nothing_behind_the_code(doctor, patient):
    # given an appointment (the factory logs it once, as the booking service does)
    appointment = AppointmentFactory(doctor=doctor, patient=patient)
    assert sync_rows(appointment) == both(appointment)

    # when code outside the services saves it or updates it in bulk
    appointment.reason = "edited"
    appointment.save(update_fields=["reason", "updated_at"])
    Appointment.objects.filter(pk=appointment.pk).update(reason="bulk")

    # then no hidden receiver logged anything more (nor twice)
    assert sync_rows(appointment) == both(appointment)


def test_booking_records_one_sync_change_per_participant_and_one_history_row(doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))

    appointment = appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic")

    assert sync_rows(appointment) == both(appointment)
    history = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (history.from_status, history.to_status, history.source) == ("", "confirmed", "booking")
    assert AuditLog.objects.filter(action="appointment.confirmed", target_id=str(appointment.pk)).count() == 1


def test_each_service_that_changes_an_appointment_records_it_once(doctor, patient, free_slot_after):
    appointment = appointment_book(
        patient=patient, doctor=doctor, start=free_slot_after(doctor, timedelta(days=2)), payment_method="clinic"
    )

    appointment_reschedule(appointment=appointment, by=patient, start=free_slot_after(doctor, timedelta(days=5)))
    assert sync_rows(appointment) == both(appointment, times=2)

    appointment_cancel(appointment=appointment, by=patient)
    assert sync_rows(appointment) == both(appointment, times=3)


def test_hold_tidying_and_a_paid_confirmation_are_recorded(doctor, patient, free_slot_after):
    held = appointment_book(
        patient=patient, doctor=doctor, start=free_slot_after(doctor, timedelta(days=2)), payment_method="card"
    )
    paid = appointment_book(
        patient=PatientFactory(), doctor=doctor, start=free_slot_after(doctor, timedelta(days=4)), payment_method="card"
    )

    appointment_expire_lapsed_holds(now=timezone.now() + timedelta(hours=1))
    held.refresh_from_db()
    assert held.status == AppointmentStatus.EXPIRED
    assert sync_rows(held) == both(held, times=2)

    # the second hold was tidied too: its payment arrives late, and the slot is still free
    assert appointment_confirm_paid(appointment=Appointment.objects.get(pk=paid.pk), source="evt_1") is True
    assert sync_rows(paid) == both(paid, times=3)


def test_a_late_payment_cannot_double_book_the_patient(patient, free_slot_after):
    # given a card hold that ran out, and the same patient booked meanwhile with another doctor then
    first_doctor, second_doctor = DoctorProfileFactory(), DoctorProfileFactory()
    open_every_day(first_doctor)
    open_every_day(second_doctor)
    start = free_slot_after(first_doctor, timedelta(days=2))
    held = appointment_book(patient=patient, doctor=first_doctor, start=start, payment_method="card")
    Appointment.objects.filter(pk=held.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
    other = appointment_book(patient=patient, doctor=second_doctor, start=start, payment_method="clinic")

    # when the first hold's payment arrives after all
    held = Appointment.objects.get(pk=held.pk)
    confirmed = appointment_confirm_paid(appointment=held, source="evt_late")

    # then it is refused (payments refunds it) and the patient keeps one appointment at that time
    assert confirmed is False
    held.refresh_from_db()
    assert held.status == AppointmentStatus.EXPIRED
    assert Appointment.objects.get(pk=other.pk).status == AppointmentStatus.CONFIRMED


def test_a_late_payment_for_a_slot_given_to_another_is_refused(doctor, patient, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    held = appointment_book(patient=patient, doctor=doctor, start=start, payment_method="card")
    appointment_expire_lapsed_holds(now=timezone.now() + timedelta(hours=1))
    appointment_book(patient=PatientFactory(), doctor=doctor, start=start, payment_method="clinic")

    assert appointment_confirm_paid(appointment=Appointment.objects.get(pk=held.pk), source="evt_late") is False
    assert Appointment.objects.get(pk=held.pk).status == AppointmentStatus.EXPIRED


def test_the_doctor_hears_of_a_card_booking_when_it_is_confirmed_not_when_held(
    doctor, patient, free_slot_after, django_capture_on_commit_callbacks
):
    start = free_slot_after(doctor, timedelta(days=2))
    held = appointment_book(patient=patient, doctor=doctor, start=start, payment_method="card")
    assert list(Notification.objects.filter(template_key="appointment_booked").values_list("user", flat=True)) == [
        patient.pk
    ]

    assert appointment_confirm_paid(appointment=Appointment.objects.get(pk=held.pk), source="evt_paid") is True

    doctor_notes = Notification.objects.filter(user=doctor.user, template_key="appointment_booked")
    assert doctor_notes.count() == 1
    assert "Europe/Paris" in doctor_notes.get().body


def test_a_hold_that_runs_out_tells_the_doctor_nothing(doctor, patient, free_slot_after):
    appointment_book(
        patient=patient, doctor=doctor, start=free_slot_after(doctor, timedelta(days=2)), payment_method="card"
    )

    appointment_expire_lapsed_holds(now=timezone.now() + timedelta(hours=1))

    assert not Notification.objects.filter(user=doctor.user).exists()
