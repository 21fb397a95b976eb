from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation

from accounts.tests.factories import PatientFactory
from appointments.models import AppointmentStatus
from appointments.services import appointment_reminders_send_due as reminders_send_due
from appointments.tasks import appointments_send_reminders
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification, NotificationType, ReminderSent
from notifications.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def _reminders(user=None):
    reminders = Notification.objects.filter(type=NotificationType.REMINDER)
    if user is not None:
        reminders = reminders.filter(user=user)
    return list(reminders.order_by("created_at").values_list("data__kind", flat=True))


def test_reminder_fires_once_when_the_beat_runs_twice(django_capture_on_commit_callbacks):
    # given a confirmed appointment tomorrow, booked a week ago
    appointment = AppointmentFactory(start=timezone.now() + timedelta(hours=23))

    # when the beat task runs twice
    with django_capture_on_commit_callbacks(execute=True):
        appointments_send_reminders.delay()
        appointments_send_reminders.delay()

    # then the patient got one 24 h reminder, and nobody else got any
    assert _reminders(appointment.patient) == ["24h"]
    assert _reminders() == ["24h"]
    assert ReminderSent.objects.get().start == appointment.start


def test_day_and_hour_reminders_each_fire_once():
    start = timezone.now() + timedelta(days=3)
    appointment = AppointmentFactory(start=start)

    for now in (
        start - timedelta(hours=23),
        start - timedelta(hours=22),
        start - timedelta(minutes=50),
        start - timedelta(minutes=10),
    ):
        reminders_send_due(now=now)

    assert _reminders(appointment.patient) == ["24h", "1h"]


def test_late_beat_sends_the_hour_reminder_not_a_stale_day_reminder():
    # given the beat was down until 30 minutes before the appointment
    appointment = AppointmentFactory(start=timezone.now() + timedelta(minutes=30))

    reminders_send_due()

    assert _reminders(appointment.patient) == ["1h"]


@pytest.mark.parametrize(
    "status", [AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED, AppointmentStatus.PENDING_PAYMENT]
)
def test_no_reminder_for_an_appointment_that_is_not_confirmed(status):
    AppointmentFactory(start=timezone.now() + timedelta(minutes=30), status=status)
    AppointmentFactory(start=timezone.now() + timedelta(hours=20), status=status)

    assert reminders_send_due() == 0
    assert _reminders() == []


def test_no_day_reminder_when_booked_after_it_was_due():
    # given an appointment in 5 hours booked an hour ago (its 24 h reminder time had passed)
    now = timezone.now()
    start = now + timedelta(hours=5)
    appointment = AppointmentFactory(start=start, booked_at=now - timedelta(hours=1))

    reminders_send_due(now=now)
    reminders_send_due(now=start - timedelta(minutes=45))

    # then only the 1 h reminder went out
    assert _reminders(appointment.patient) == ["1h"]


def test_no_hour_reminder_when_booked_less_than_an_hour_ahead():
    now = timezone.now()
    AppointmentFactory(start=now + timedelta(minutes=40), booked_at=now - timedelta(minutes=5))

    assert reminders_send_due(now=now) == 0


def test_rescheduled_appointment_is_reminded_at_its_new_time():
    # given an appointment reminded for tomorrow, then moved two days later
    now = timezone.now()
    appointment = AppointmentFactory(start=now + timedelta(hours=23))
    reminders_send_due(now=now)
    appointment.start += timedelta(days=2)
    appointment.end += timedelta(days=2)
    appointment.save(update_fields=["start", "end"])

    # when the beat runs now and again the day before the new time
    reminders_send_due(now=now + timedelta(minutes=5))
    reminders_send_due(now=appointment.start - timedelta(hours=23))

    # then a second 24 h reminder went out, for the new start
    assert _reminders(appointment.patient) == ["24h", "24h"]
    assert set(ReminderSent.objects.values_list("start", flat=True)) == {
        appointment.start - timedelta(days=2),
        appointment.start,
    }


def test_reminder_gives_the_clinic_time_and_the_patients_own_time_in_their_language():
    # given a Paris clinic and a French-speaking patient in Montreal
    doctor = DoctorProfileFactory(timezone="Europe/Paris")
    patient = PatientFactory(locale="fr", timezone="America/Montreal")
    appointment = AppointmentFactory(
        doctor=doctor, patient=patient, start=timezone.now().replace(second=0) + timedelta(minutes=30)
    )

    reminders_send_due()

    notification = Notification.objects.get(user=patient)
    with translation.override("fr"):
        paris = formats.date_format(appointment.start.astimezone(ZoneInfo("Europe/Paris")), "DATETIME_FORMAT")
        montreal = formats.date_format(appointment.start.astimezone(ZoneInfo("America/Montreal")), "DATETIME_FORMAT")
    assert notification.title == "Votre rendez-vous est dans une heure"
    assert f"{paris}, heure du cabinet (Europe/Paris)" in notification.body
    assert f"{montreal} dans votre fuseau horaire (America/Montreal)" in notification.body


def test_reminder_gives_one_time_when_the_zones_are_the_same():
    patient = PatientFactory(timezone="Europe/Paris")
    AppointmentFactory(patient=patient, start=timezone.now() + timedelta(minutes=30))

    reminders_send_due()

    body = Notification.objects.get(user=patient).body
    assert "(Europe/Paris)" in body and "your time zone" not in body
