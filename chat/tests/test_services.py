import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts.demo import seed as seed_accounts
from chat import demo
from chat.models import Message, Thread
from chat.services import message_send, thread_get_or_create
from chat.tests.factories import AppointmentFactory
from core.exceptions import ConflictError

pytestmark = pytest.mark.django_db


def raw_body(message: Message) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body FROM {Message._meta.db_table} WHERE id = %s",
            [message.pk.hex if connection.vendor == "sqlite" else message.pk],
        )
        return cursor.fetchone()[0]


def test_rotate_field_keys_re_encrypts_bodies_with_the_newest_key(thread, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old_key
    message, _ = message_send(thread=thread, sender=thread.patient, body="rotate me")
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"

    call_command("rotate_field_keys", stdout=io.StringIO())

    assert Fernet(new_key.encode()).decrypt(raw_body(message).encode()) == b"rotate me"
    settings.FIELD_ENCRYPTION_KEY = new_key
    assert Message.objects.get(pk=message.pk).body == "rotate me"


def test_thread_get_or_create_returns_the_existing_thread(thread):
    AppointmentFactory(patient=thread.patient, doctor=thread.doctor)

    again, created = thread_get_or_create(user=thread.patient, doctor_id=thread.doctor.pk)

    assert (again, created) == (thread, False)


def test_client_id_reused_in_another_thread_is_a_conflict(thread):
    other = AppointmentFactory(patient=thread.patient)
    other_thread, _ = thread_get_or_create(user=thread.patient, doctor_id=other.doctor.pk)
    message_send(thread=thread, sender=thread.patient, body="a", client_id="same")

    with pytest.raises(ConflictError):
        message_send(thread=other_thread, sender=thread.patient, body="b", client_id="same")


def test_demo_seed_is_idempotent():
    from doctors.tests.factories import DoctorProfileFactory

    seed_accounts(io.StringIO())
    DoctorProfileFactory()

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert Thread.objects.count() == 1
    assert Message.objects.count() == len(demo.SCRIPT)


def test_offline_notification_is_in_the_recipients_language_without_the_body(thread):
    from notifications.models import Notification

    doctor_user = thread.doctor.user
    doctor_user.locale = "fr"
    doctor_user.save(update_fields=["locale"])

    message_send(thread=thread, sender=thread.patient, body="mon secret médical")

    notification = Notification.objects.get(user=doctor_user)
    assert notification.title.startswith("Nouveau message de")
    assert "secret" not in notification.title + notification.body


def test_a_message_to_an_offline_recipient_is_stored_in_ten_queries(thread, django_assert_num_queries):
    # savepoint; the message; the thread's last message; one insert of both participants' sync rows
    # (the thread and the message together); the recipient's unread check, notification preferences,
    # notification and its sync row; savepoint released
    with django_assert_num_queries(10):
        message_send(thread=thread, sender=thread.patient, body="one more", client_id="pinned-1")

    assert Message.objects.filter(client_id="pinned-1").exists()
