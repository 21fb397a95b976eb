"""Clinic staff act on appointments through the services: cancel with a reason (refund as the rules
say), complete, no-show, record a clinic payment; each leaves its history row and notifies."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory
from appointments.models import AppointmentStatus
from appointments.tests.factories import AppointmentFactory
from clinics.tests.factories import ClinicFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:appointments_appointment_changelist"
DESK = ["appointments.view_appointment", "appointments.change_appointment", "payments.add_payment"]


def desk_staff(clinic, permissions=DESK):
    staff = StaffFactory(permissions=permissions)
    clinic.staff.add(staff)
    return staff


def act(client, action, appointment, **extra):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [str(appointment.pk)], **extra})


@pytest.fixture
def clinic():
    return ClinicFactory()


def test_staff_cancel_with_a_reason_and_both_participants_are_told(client, clinic, django_capture_on_commit_callbacks):
    appointment = AppointmentFactory(doctor=DoctorProfileFactory(clinic=clinic))
    staff = desk_staff(clinic)
    client.force_login(staff)

    form = act(client, "cancel_appointments", appointment)
    with django_capture_on_commit_callbacks(execute=True):
        act(client, "cancel_appointments", appointment, apply="1", reason="The doctor is ill.")

    appointment.refresh_from_db()
    assert form.status_code == 200
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancellation_reason == "The doctor is ill."
    assert appointment.status_changes.last().changed_by == staff
    told = set(Notification.objects.filter(template_key="appointment_cancelled").values_list("user_id", flat=True))
    assert told == {appointment.patient_id, appointment.doctor.user_id}


def test_staff_mark_completed_and_no_show_after_the_start(client, clinic):
    doctor = DoctorProfileFactory(clinic=clinic)
    started = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    came = AppointmentFactory(doctor=doctor, start=started, end=started + timedelta(minutes=30))
    absent = AppointmentFactory(
        doctor=doctor, start=started - timedelta(days=1), end=started - timedelta(days=1, minutes=-30)
    )
    future = AppointmentFactory(doctor=doctor)
    client.force_login(desk_staff(clinic))

    act(client, "mark_completed", came)
    act(client, "mark_no_show", absent)
    act(client, "mark_completed", future)

    for appointment in (came, absent, future):
        appointment.refresh_from_db()
    assert (came.status, absent.status, future.status) == ("completed", "no_show", "confirmed")


def test_staff_record_a_clinic_payment(client, clinic):
    started = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    appointment = AppointmentFactory(
        doctor=DoctorProfileFactory(clinic=clinic), start=started, end=started + timedelta(minutes=30)
    )
    client.force_login(desk_staff(clinic))

    act(client, "record_clinic_payment", appointment)

    appointment.refresh_from_db()
    assert appointment.payment.status == "succeeded"
    assert appointment.payment.receipt_number


def test_view_only_staff_cannot_act(client, clinic):
    appointment = AppointmentFactory(doctor=DoctorProfileFactory(clinic=clinic))
    client.force_login(desk_staff(clinic, permissions=["appointments.view_appointment"]))

    act(client, "cancel_appointments", appointment, apply="1", reason="no")
    act(client, "record_clinic_payment", appointment)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert not hasattr(appointment, "payment") or appointment.payment is None


def test_staff_cannot_act_on_another_clinics_appointment(client, clinic):
    theirs = AppointmentFactory(doctor=DoctorProfileFactory(clinic=ClinicFactory()))
    client.force_login(desk_staff(clinic))

    act(client, "cancel_appointments", theirs, apply="1", reason="forged")

    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.CONFIRMED


def test_staff_move_an_appointment_to_a_free_slot(client, clinic, django_capture_on_commit_callbacks):
    from appointments.tests.factories import open_every_day

    doctor = DoctorProfileFactory(clinic=clinic)
    open_every_day(doctor)
    appointment = AppointmentFactory(doctor=doctor)
    client.force_login(desk_staff(clinic))
    page = act(client, "reschedule_appointment", appointment)
    choices = page.context["form"].fields["start"].choices
    new_start = choices[-1][0]

    with django_capture_on_commit_callbacks(execute=True):
        act(client, "reschedule_appointment", appointment, apply="1", start=new_start)

    appointment.refresh_from_db()
    assert appointment.start.isoformat() == new_start
    told = set(Notification.objects.filter(template_key="appointment_rescheduled").values_list("user_id", flat=True))
    assert told == {appointment.patient_id, appointment.doctor.user_id}


def test_staff_cannot_move_to_a_time_that_is_not_offered(client, clinic):
    doctor = DoctorProfileFactory(clinic=clinic)
    appointment = AppointmentFactory(doctor=doctor)
    before = appointment.start
    client.force_login(desk_staff(clinic))

    act(client, "reschedule_appointment", appointment, apply="1", start="2031-01-01T03:00:00+00:00")

    appointment.refresh_from_db()
    assert appointment.start == before


BOOK = "admin:appointments_appointment_book"


def test_staff_book_a_new_phoning_patient_who_gets_an_email_to_set_a_password(
    client, clinic, mailoutbox, django_capture_on_commit_callbacks
):
    from appointments.tests.factories import open_every_day

    doctor = DoctorProfileFactory(clinic=clinic)
    open_every_day(doctor)
    client.force_login(desk_staff(clinic, permissions=[*DESK, "appointments.add_appointment"]))
    fields = {
        "doctor": str(doctor.pk),
        "email": "Nadia.Phone@example.com",
        "first_name": "Nadia",
        "last_name": "Amrani",
    }

    step_one = client.post(reverse(BOOK), fields)
    start = step_one.context["form"].fields["start"].choices[3][0]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse(BOOK), {**fields, "start": start, "reason": "Back pain"})

    assert done.status_code == 302
    patient = doctor.appointments.get().patient
    assert (patient.email, patient.has_usable_password(), patient.role) == ("nadia.phone@example.com", False, "patient")
    assert doctor.appointments.get().start.isoformat() == start
    assert [message.to for message in mailoutbox if "nadia.phone@example.com" in message.to]
    assert Notification.objects.filter(user=patient, template_key="appointment_booked").exists()


def test_staff_cannot_book_with_another_clinics_doctor(client, clinic):
    theirs = DoctorProfileFactory(clinic=ClinicFactory())
    client.force_login(desk_staff(clinic, permissions=[*DESK, "appointments.add_appointment"]))

    response = client.post(reverse(BOOK), {"doctor": str(theirs.pk), "email": "x@example.com"})

    assert "doctor" in response.context["form"].errors
    assert not theirs.appointments.exists()


def test_booking_page_needs_the_add_permission(client, clinic):
    client.force_login(desk_staff(clinic))

    assert client.get(reverse(BOOK)).status_code == 403


def test_staff_cancel_takes_a_bounded_number_of_queries(client, clinic, django_assert_max_num_queries):
    appointment = AppointmentFactory(doctor=DoctorProfileFactory(clinic=clinic))
    client.force_login(desk_staff(clinic))

    with django_assert_max_num_queries(40):
        act(client, "cancel_appointments", appointment, apply="1", reason="The doctor is ill.")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
