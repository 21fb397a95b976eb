import pytest
from django.core import mail
from django.db import transaction

from accounts.tests.factories import DoctorUserFactory, PatientFactory
from appointments.services import appointment_participants_notify
from appointments.tests.factories import AppointmentFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Channel, Delivery, DeliveryStatus, Notification, NotificationType
from notifications.services import notification_preferences_update, notification_send

pytestmark = pytest.mark.django_db

EVENTS = [("booked", "réservé"), ("rescheduled", "déplacé"), ("cancelled", "annulé"), ("paid", "payé")]


def test_each_event_notifies_each_participant_once_in_their_language(
    test_templates, django_capture_on_commit_callbacks
):
    # given an English patient and a French doctor with an appointment
    patient = PatientFactory(locale="en", first_name="Alice", last_name="Martin")
    doctor = DoctorUserFactory(locale="fr", first_name="Jean", last_name="Dupont")
    appointment = AppointmentFactory(patient=patient, doctor=DoctorProfileFactory(user=doctor))

    # when booking, rescheduling, cancelling and payment events go through the one participant fan-out
    with django_capture_on_commit_callbacks(execute=True):
        for event_en, event_fr in EVENTS:
            with transaction.atomic():
                appointment_participants_notify(
                    appointment=appointment,
                    template_key="test_event",
                    context={"event_en": event_en, "event_fr": event_fr},
                )

    # then each participant has exactly one notification per event, in their own language
    assert list(Notification.objects.filter(user=patient).order_by("created_at").values_list("title", flat=True)) == [
        f"Appointment {en}" for en, _fr in EVENTS
    ]
    assert list(Notification.objects.filter(user=doctor).order_by("created_at").values_list("title", flat=True)) == [
        f"Rendez-vous {fr}" for _en, fr in EVENTS
    ]
    # and one email each per event, in the same language
    assert sorted(m.to[0] for m in mail.outbox) == sorted([patient.email, doctor.email] * len(EVENTS))
    doctor_mail = next(m for m in mail.outbox if m.to == [doctor.email])
    assert doctor_mail.subject.startswith("Rendez-vous")
    assert "Avec Alice Martin." in doctor_mail.body
    html = doctor_mail.alternatives[0][0]
    assert '<html lang="fr">' in html and '<p class="rich">' in html and "Ouvrir Tabib" in html


def test_email_switched_off_sends_no_email_but_keeps_the_in_app_notification(
    test_templates, django_capture_on_commit_callbacks
):
    # given a patient who switched appointment emails off
    patient = PatientFactory()
    notification_preferences_update(user=patient, preferences={"appointment": {"email": False}})

    # when an appointment event notifies them
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            user=patient,
            type=NotificationType.APPOINTMENT,
            template_key="test_event",
            context={"event_en": "booked", "other": "Dr X"},
        )

    # then no email, no email delivery, but the in-app notification is there
    assert mail.outbox == []
    assert not Delivery.objects.filter(channel=Channel.EMAIL).exists()
    assert Notification.objects.get(user=patient).in_app is True


def test_chat_notifications_send_no_email_by_default(test_templates, django_capture_on_commit_callbacks):
    patient = PatientFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            user=patient, type=NotificationType.CHAT, template_key="test_event", context={"event_en": "x", "other": "y"}
        )

    assert mail.outbox == []
    assert Notification.objects.filter(user=patient, type="chat").count() == 1


def test_email_delivery_is_recorded_as_sent(test_templates, django_capture_on_commit_callbacks):
    patient = PatientFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_send(
            user=patient,
            type=NotificationType.PAYMENT,
            template_key="test_event",
            context={"event_en": "paid", "other": "Dr X"},
        )

    delivery = notification.deliveries.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == (Channel.EMAIL, DeliveryStatus.SENT, 1)


def test_in_app_switched_off_hides_the_notification_but_email_still_goes(
    test_templates, django_capture_on_commit_callbacks, auth_client
):
    # given a user who does not want system notifications in the app
    patient = PatientFactory()
    notification_preferences_update(user=patient, preferences={"system": {"in_app": False}})

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            user=patient,
            type=NotificationType.SYSTEM,
            template_key="test_event",
            context={"event_en": "x", "other": "y"},
        )

    assert len(mail.outbox) == 1
    response = auth_client(patient).get("/api/v1/notifications")
    assert response.json()["results"] == []


def test_appointment_in_app_notifications_cannot_be_switched_off(test_templates):
    patient = PatientFactory()

    preferences = notification_preferences_update(
        user=patient, preferences={"appointment": {"in_app": False, "push": False}}
    )

    assert preferences["appointment"] == {"in_app": True, "email": True, "push": False}
    notification = notification_send(
        user=patient,
        type=NotificationType.APPOINTMENT,
        template_key="test_event",
        context={"event_en": "x", "other": "y"},
    )
    assert notification.in_app is True


def test_nothing_leaves_when_the_transaction_rolls_back(test_templates, django_capture_on_commit_callbacks):
    patient = PatientFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notification_send(
            user=patient,
            type=NotificationType.APPOINTMENT,
            template_key="test_event",
            context={"event_en": "x", "other": "y"},
        )
        raise RuntimeError("booking failed")

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_reminder_template_is_translated_in_french():
    from notifications.services import notification_render

    title, _body = notification_render(template_key="appointment_reminder", context={"kind": "1h"}, locale="fr")

    assert title == "Votre rendez-vous est dans une heure"
