from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.tests.factories import AppointmentFactory
from chat.models import Message, Thread
from chat.services import message_send, message_send_attachment
from chat.tests.conftest import access_token
from chat.tests.factories import ELF, PNG, MessageFactory, ThreadFactory
from config.asgi import application
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(doctor, patient):
    return ThreadFactory(doctor=doctor, patient=patient)


def _thread_url(thread, **query) -> str:
    url = reverse("portal:thread", args=[thread.pk])
    return url + "?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else url


def _messages_at(thread, count: int, sender) -> list[Message]:
    """`count` messages a minute apart, oldest first, ending a minute ago."""
    start = timezone.now() - timedelta(minutes=count + 1)
    messages = [MessageFactory(thread=thread, sender=sender, body=f"m{i}") for i in range(count)]
    for i, message in enumerate(messages):
        Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(minutes=i))
    return messages


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


# --- The list of threads -------------------------------------------------------------------------------


def test_threads_list_newest_activity_first_with_preview_and_unread_count(doctor_client, doctor):
    # given a thread with two unread messages from the patient and an older one where the doctor spoke last
    older = ThreadFactory(doctor=doctor, patient__first_name="Omar", patient__last_name="Idrissi")
    message_send(thread=older, sender=doctor.user, body="See you Monday")
    newer = ThreadFactory(doctor=doctor, patient__first_name="Léa", patient__last_name="Roux")
    message_send(thread=newer, sender=newer.patient, body="Hello")
    message_send(thread=newer, sender=newer.patient, body="Are you there?")
    # when the doctor opens Messages
    response = doctor_client.get(reverse("portal:messages"))
    # then the threads come newest first with their last message and unread count
    assert [t.pk for t in response.context["page"].object_list] == [newer.pk, older.pk]
    html = response.content.decode()
    assert html.index("Léa Roux") < html.index("Omar Idrissi")
    assert "Are you there?" in html
    assert "You: See you Monday" in html
    assert '<span class="count">2</span>' in html
    assert 'id="unread-messages" aria-label="2 unread messages">2<' in html


def test_threads_list_shows_only_the_doctors_own_threads(doctor_client, doctor):
    mine = ThreadFactory(doctor=doctor)
    ThreadFactory(doctor=DoctorProfileFactory())
    response = doctor_client.get(reverse("portal:messages"))
    assert [t.pk for t in response.context["page"].object_list] == [mine.pk]


def test_threads_list_query_count_is_pinned(doctor_client, doctor, django_assert_num_queries):
    for _ in range(12):
        thread = ThreadFactory(doctor=doctor)
        message_send(thread=thread, sender=thread.patient, body="hi")
        message_send(thread=thread, sender=doctor.user, body="hello")
    # session, user, doctor profile, notification and message counters, page count, page
    with django_assert_num_queries(7):
        response = doctor_client.get(reverse("portal:messages"))
    assert len(response.context["page"].object_list) == 12


# --- One thread ----------------------------------------------------------------------------------------


def test_thread_shows_the_latest_fifty_oldest_first_with_a_link_to_older(doctor_client, thread, patient):
    # given 55 messages
    messages = _messages_at(thread, 55, patient)
    # when the doctor opens the thread
    response = doctor_client.get(_thread_url(thread))
    # then the latest 50 show, oldest first, and a link leads to the five before them
    window = response.context["window"]
    assert [m.pk for m in window.messages] == [m.pk for m in messages[5:]]
    assert window.has_older
    html = response.content.decode()
    assert html.index(">m5<") < html.index(">m54<")
    assert f'href="?before={messages[5].pk}"' in html
    older = doctor_client.get(_thread_url(thread, before=messages[5].pk)).context["window"]
    assert [m.pk for m in older.messages] == [m.pk for m in messages[:5]]
    assert not older.has_older


def test_opening_a_thread_marks_the_patients_messages_read(doctor_client, doctor, thread, patient):
    first, _ = message_send(thread=thread, sender=patient, body="one")
    second, _ = message_send(thread=thread, sender=patient, body="two")
    response = doctor_client.get(_thread_url(thread))
    assert response.status_code == 200
    assert Message.objects.filter(pk__in=[first.pk, second.pk], read_at__isnull=False).count() == 2
    assert 'id="unread-messages" aria-label="0 unread messages">0<' in response.content.decode()


def test_an_older_page_marks_nothing_read_and_has_no_send_form(doctor_client, thread, patient):
    messages = _messages_at(thread, 3, patient)
    response = doctor_client.get(_thread_url(thread, before=messages[2].pk))
    assert [m.pk for m in response.context["window"].messages] == [messages[0].pk, messages[1].pk]
    assert not Message.objects.filter(read_at__isnull=False).exists()
    assert 'id="send"' not in response.content.decode()


def test_the_doctors_own_messages_show_whether_the_patient_read_them(doctor_client, doctor, thread, patient):
    read, _ = message_send(thread=thread, sender=doctor.user, body="read one")
    Message.objects.filter(pk=read.pk).update(created_at=timezone.now() - timedelta(minutes=1), read_at=timezone.now())
    message_send(thread=thread, sender=doctor.user, body="unread one")
    html = doctor_client.get(_thread_url(thread)).content.decode()
    assert '<span class="receipt read">Read</span>' in html
    assert '<span class="receipt">Sent</span>' in html


def test_thread_page_query_count_is_pinned(doctor_client, thread, patient, django_assert_num_queries):
    _messages_at(thread, 60, patient)
    Message.objects.update(read_at=timezone.now())
    # session, user, doctor profile, thread, window, notification and message counters
    with django_assert_num_queries(7):
        response = doctor_client.get(_thread_url(thread))
    assert len(response.context["window"].messages) == 50


def test_thread_page_query_count_with_unread_messages_is_pinned(
    doctor_client, thread, patient, django_assert_num_queries
):
    _messages_at(thread, 60, patient)
    # ...plus message_mark_read: the target, the unread ids, their update, one insert of the sync records
    # (thread and messages), the read state, and the savepoints of its atomic blocks inside the test's
    # transaction
    with django_assert_num_queries(19):
        response = doctor_client.get(_thread_url(thread))
    assert len(response.context["window"].messages) == 50


@pytest.mark.django_db(transaction=True)
def test_opening_the_thread_sends_the_read_receipt_to_the_patients_app(doctor, patient):
    thread = ThreadFactory(doctor=doctor, patient=patient)
    message, _ = message_send(thread=thread, sender=patient, body="Are you there?")
    browser = Client()
    browser.force_login(doctor.user)

    async def scenario():
        token = await database_sync_to_async(access_token)(patient)
        app = WebsocketCommunicator(
            application, f"/ws/chat/{thread.pk}?token={token}", headers=[(b"origin", b"http://testserver")]
        )
        assert (await app.connect())[0]
        response = await database_sync_to_async(browser.get)(_thread_url(thread))
        frame = await app.receive_json_from(timeout=3)
        await app.disconnect()
        return response, frame

    response, frame = async_to_sync(scenario)()

    assert response.status_code == 200
    assert frame["type"] == "read"
    assert frame["reader_id"] == str(doctor.user.pk)
    assert frame["up_to"] == str(message.pk)


# --- Sending without JavaScript ------------------------------------------------------------------------


def test_a_message_posted_without_javascript_is_sent_once_even_if_posted_twice(doctor_client, doctor, thread):
    form = {"message-body": "Take it twice a day", "message-client_id": "portal-1"}
    first = doctor_client.post(_thread_url(thread), form)
    second = doctor_client.post(_thread_url(thread), form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == _thread_url(thread) + "#send"
    message = Message.objects.get()
    assert (message.body, message.sender, message.client_id) == ("Take it twice a day", doctor.user, "portal-1")
    thread.refresh_from_db()
    assert thread.last_message == message


def test_an_empty_message_is_a_field_error_and_nothing_is_sent(doctor_client, thread):
    response = doctor_client.post(_thread_url(thread), {"message-body": "   ", "message-client_id": "x"})
    assert response.status_code == 400
    assert response.context["message_form"].errors == {"body": ["A message needs some text or a file."]}
    assert not Message.objects.exists()


def test_a_png_is_sent_from_the_portal_and_opens_through_it(doctor_client, doctor, thread):
    response = doctor_client.post(
        _thread_url(thread),
        {
            "attachment-file": _upload("x-ray.png", PNG),
            "attachment-caption": "Your x-ray",
            "attachment-client_id": "file-1",
        },
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.body, message.attachment_content_type, message.attachment_name) == (
        "Your x-ray",
        "image/png",
        "x-ray.png",
    )
    html = doctor_client.get(_thread_url(thread)).content.decode()
    link = reverse("portal:attachment", args=[thread.pk, message.pk])
    assert f'href="{link}">x-ray.png<' in html
    download = doctor_client.get(link)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["Cache-Control"] == "private, no-store"
    assert b"".join(download.streaming_content) == PNG


def test_the_patients_file_opens_for_the_doctor(doctor_client, thread, patient):
    message, _ = message_send_attachment(thread=thread, sender=patient, file=_upload("scan.png", PNG))
    download = doctor_client.get(reverse("portal:attachment", args=[thread.pk, message.pk]))
    assert b"".join(download.streaming_content) == PNG


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("cat.png", ELF, "Only PNG, JPEG and PDF files can be sent."),
        ("big.png", PNG + b"\0" * (10 * 1024 * 1024), "Files are limited to 10 MB."),
    ],
)
def test_a_bad_file_is_a_field_error_and_nothing_is_sent(doctor_client, thread, name, content, error):
    response = doctor_client.post(
        _thread_url(thread), {"attachment-file": _upload(name, content), "attachment-client_id": "file-1"}
    )
    assert response.status_code == 400
    assert response.context["attachment_form"].errors == {"file": [error]}
    assert f"<li>{error}</li>" in response.content.decode()
    assert not Message.objects.exists()


def test_an_attachment_form_without_a_file_is_a_field_error(doctor_client, thread):
    response = doctor_client.post(_thread_url(thread), {"attachment-caption": "x", "attachment-client_id": "f"})
    assert response.status_code == 400
    assert "file" in response.context["attachment_form"].errors
    assert not Message.objects.exists()


def test_a_message_without_a_file_has_nothing_to_open(doctor_client, thread):
    message, _ = message_send(thread=thread, sender=thread.patient, body="no file")
    assert doctor_client.get(reverse("portal:attachment", args=[thread.pk, message.pk])).status_code == 404


# --- Not yours, not a doctor, not signed in ------------------------------------------------------------


def test_another_doctors_thread_and_files_are_404_on_every_route(doctor_client):
    other = ThreadFactory(doctor=DoctorProfileFactory())
    message, _ = message_send_attachment(thread=other, sender=other.patient, file=_upload("scan.png", PNG))
    assert doctor_client.get(_thread_url(other)).status_code == 404
    assert doctor_client.post(_thread_url(other), {"message-body": "hi"}).status_code == 404
    assert doctor_client.get(reverse("portal:attachment", args=[other.pk, message.pk])).status_code == 404
    assert Message.objects.count() == 1
    assert Message.objects.get().read_at is None


def test_a_file_of_another_thread_is_404_through_my_thread(doctor_client, thread):
    other = ThreadFactory(doctor=DoctorProfileFactory())
    message, _ = message_send_attachment(thread=other, sender=other.patient, file=_upload("scan.png", PNG))
    assert doctor_client.get(reverse("portal:attachment", args=[thread.pk, message.pk])).status_code == 404
    assert doctor_client.get(_thread_url(thread, before=message.pk)).status_code == 404


def test_a_patient_is_refused_every_thread_route_with_403(client, thread, patient):
    message, _ = message_send_attachment(thread=thread, sender=patient, file=_upload("scan.png", PNG))
    client.force_login(patient)
    assert client.get(_thread_url(thread)).status_code == 403
    assert client.post(_thread_url(thread), {"message-body": "hi"}).status_code == 403
    assert client.get(reverse("portal:attachment", args=[thread.pk, message.pk])).status_code == 403
    assert client.post(reverse("portal:thread-open"), {"patient_id": patient.pk}).status_code == 403
    assert Message.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page_from_a_thread(client, thread):
    for response in (
        client.get(_thread_url(thread)),
        client.post(_thread_url(thread), {"message-body": "hi"}),
        client.post(reverse("portal:thread-open"), {"patient_id": thread.patient_id}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/login/?next=")
    assert not Message.objects.exists()


# --- Opening a thread from an appointment, counters ----------------------------------------------------


def test_message_the_patient_opens_the_thread_once(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor)
    detail = doctor_client.get(reverse("portal:appointment-detail", args=[appointment.pk])).content.decode()
    assert f'name="patient_id" value="{appointment.patient_id}"' in detail
    first = doctor_client.post(reverse("portal:thread-open"), {"patient_id": appointment.patient_id})
    second = doctor_client.post(reverse("portal:thread-open"), {"patient_id": appointment.patient_id})
    thread = Thread.objects.get()
    assert (thread.doctor, thread.patient) == (doctor, appointment.patient)
    assert first["Location"] == second["Location"] == _thread_url(thread)


@pytest.mark.parametrize("patient_id", ["not-an-id", None])
def test_message_the_patient_refuses_someone_elses_patient_with_404(doctor_client, patient_id):
    stranger = AppointmentFactory(doctor=DoctorProfileFactory()).patient
    response = doctor_client.post(reverse("portal:thread-open"), {"patient_id": patient_id or stranger.pk})
    assert response.status_code == 404
    assert not Thread.objects.exists()


def test_today_counts_unread_messages(doctor_client, doctor):
    thread = ThreadFactory(doctor=doctor, patient=PatientFactory())
    for body in ("a", "b", "c"):
        message_send(thread=thread, sender=thread.patient, body=body)
    message_send(thread=thread, sender=doctor.user, body="mine, not unread")
    for name in ("portal:today", "portal:today-live"):
        html = doctor_client.get(reverse(name)).content.decode()
        assert 'id="count-unread-messages">3<' in html


def test_a_client_id_already_used_in_another_thread_is_shown_and_nothing_is_sent(doctor_client, doctor, thread):
    message_send(thread=ThreadFactory(doctor=doctor), sender=doctor.user, body="elsewhere", client_id="dup")
    response = doctor_client.post(_thread_url(thread), {"message-body": "hi", "message-client_id": "dup"})
    assert response.status_code == 400
    assert "This client_id was already used for another message." in response.content.decode()
    assert not thread.messages.exists()
