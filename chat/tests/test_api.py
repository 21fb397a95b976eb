import io

import pytest
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import PatientFactory
from appointments.models import AppointmentStatus
from chat.models import Message, Thread
from chat.services import message_send
from chat.tests.factories import ELF, PNG, AppointmentFactory, MessageFactory, ThreadFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def upload(name: str, content: bytes, content_type: str = "image/png"):
    file = io.BytesIO(content)
    file.name = name
    return file


def test_patient_with_appointment_opens_thread_then_gets_the_same_one(auth_client):
    appointment = AppointmentFactory()
    client = auth_client(appointment.patient)

    first = client.post("/api/v1/chat/threads", {"doctor_id": str(appointment.doctor.pk)})
    second = client.post("/api/v1/chat/threads", {"doctor_id": str(appointment.doctor.pk)})

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Thread.objects.count() == 1


def test_doctor_opens_thread_with_own_patient(auth_client):
    appointment = AppointmentFactory(status=AppointmentStatus.COMPLETED)

    response = auth_client(appointment.doctor.user).post(
        "/api/v1/chat/threads", {"patient_id": str(appointment.patient.pk)}
    )

    assert response.status_code == 201
    assert response.json()["patient"]["id"] == str(appointment.patient.pk)


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED])
def test_patient_without_a_standing_appointment_cannot_open_thread(auth_client, status):
    appointment = AppointmentFactory(status=status)

    response = auth_client(appointment.patient).post("/api/v1/chat/threads", {"doctor_id": str(appointment.doctor.pk)})

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "thread_not_allowed"


def test_doctor_cannot_open_thread_with_someone_elses_patient(auth_client):
    appointment = AppointmentFactory()
    other_doctor = DoctorProfileFactory()

    response = auth_client(other_doctor.user).post("/api/v1/chat/threads", {"patient_id": str(appointment.patient.pk)})

    assert response.status_code == 404


def test_threads_list_most_recent_first_with_last_message_and_unread_count(auth_client, thread):
    older = ThreadFactory(doctor=thread.doctor)
    message_send(thread=older, sender=older.patient, body="older")
    message_send(thread=thread, sender=thread.patient, body="one")
    message_send(thread=thread, sender=thread.patient, body="two")

    response = auth_client(thread.doctor.user).get("/api/v1/chat/threads")

    results = response.json()["results"]
    assert [r["id"] for r in results] == [str(thread.pk), str(older.pk)]
    assert results[0]["last_message"]["body"] == "two"
    assert results[0]["unread_count"] == 2
    assert results[1]["unread_count"] == 1


def test_threads_list_query_count_does_not_grow_with_threads(auth_client, django_assert_max_num_queries):
    doctor = DoctorProfileFactory()
    for _ in range(8):
        thread = ThreadFactory(doctor=doctor)
        message_send(thread=thread, sender=thread.patient, body="hi")
    client = auth_client(doctor.user)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/chat/threads")

    assert len(response.json()["results"]) == 8


def test_thread_detail_has_latest_twenty_messages(auth_client, thread):
    for index in range(25):
        MessageFactory(thread=thread, body=f"m{index}")

    response = auth_client(thread.patient).get(f"/api/v1/chat/threads/{thread.pk}")

    last = response.json()["last_messages"]
    assert len(last) == 20
    assert last[0]["body"] == "m24"


def test_messages_are_cursor_paginated_newest_first(auth_client, thread):
    for index in range(5):
        MessageFactory(thread=thread, body=f"m{index}")
    client = auth_client(thread.patient)

    first = client.get(f"/api/v1/chat/threads/{thread.pk}/messages?page_size=3").json()
    second = client.get(first["next"]).json()

    assert [m["body"] for m in first["results"]] == ["m4", "m3", "m2"]
    assert [m["body"] for m in second["results"]] == ["m1", "m0"]
    assert "count" not in first


def test_search_within_a_thread_finds_encrypted_bodies(auth_client, thread):
    MessageFactory(thread=thread, body="Prenez le médicament le soir")
    MessageFactory(thread=thread, body="Bonjour")
    MessageFactory(body="médicament in another thread")

    response = auth_client(thread.patient).get(f"/api/v1/chat/threads/{thread.pk}/messages?q=MEDICAMENT")

    assert [m["body"] for m in response.json()["results"]] == ["Prenez le médicament le soir"]


def test_send_is_idempotent_on_client_id(auth_client, thread):
    client = auth_client(thread.patient)
    url = f"/api/v1/chat/threads/{thread.pk}/messages"

    first = client.post(url, {"body": "hello", "client_id": "c-1"})
    again = client.post(url, {"body": "hello", "client_id": "c-1"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Message.objects.filter(thread=thread).count() == 1


def test_non_participant_gets_404_everywhere(auth_client, thread, stranger):
    message = MessageFactory(thread=thread)
    client = auth_client(stranger)
    base = f"/api/v1/chat/threads/{thread.pk}"

    responses = [
        client.get(base),
        client.get(f"{base}/messages"),
        client.post(f"{base}/messages", {"body": "hi"}),
        client.post(f"{base}/read", {"up_to": str(message.pk)}),
        client.post(f"{base}/attachments", {"file": upload("a.png", PNG)}, format="multipart"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert responses[0].json()["type"] == "client_error"
    assert str(thread.pk) not in str(client.get("/api/v1/chat/threads").json())


def test_bad_token_is_refused_with_401(api_client, thread):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get("/api/v1/chat/threads")

    assert response.status_code == 401


def test_png_attachment_is_stored_and_served_only_to_participants(auth_client, thread, stranger):
    client = auth_client(thread.patient)

    response = client.post(
        f"/api/v1/chat/threads/{thread.pk}/attachments",
        {"file": upload("scan.png", PNG), "caption": "my scan"},
        format="multipart",
    )

    assert response.status_code == 201
    attachment = response.json()["attachment"]
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(PNG)
    assert response.json()["body"] == "my scan"
    download = auth_client(thread.doctor.user).get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert auth_client(stranger).get(attachment["url"]).status_code == 404


def test_executable_named_png_is_rejected_with_415(auth_client, thread):
    response = auth_client(thread.patient).post(
        f"/api/v1/chat/threads/{thread.pk}/attachments", {"file": upload("cat.png", ELF)}, format="multipart"
    )

    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"
    assert not Message.objects.exists()


def test_attachment_over_ten_megabytes_is_rejected_with_413(auth_client, thread):
    big = PNG + b"\0" * (10 * 1024 * 1024)

    response = auth_client(thread.patient).post(
        f"/api/v1/chat/threads/{thread.pk}/attachments", {"file": upload("big.png", big)}, format="multipart"
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "file_too_large"


def test_mark_read_and_unread_count(auth_client, thread):
    first, _ = message_send(thread=thread, sender=thread.patient, body="a")
    second, _ = message_send(thread=thread, sender=thread.patient, body="b")
    message_send(thread=thread, sender=thread.doctor.user, body="mine")
    client = auth_client(thread.doctor.user)
    assert client.get("/api/v1/chat/unread-count").json() == {"count": 2}

    response = client.post(f"/api/v1/chat/threads/{thread.pk}/read", {"up_to": str(first.pk)})

    assert response.status_code == 200
    assert response.json()["marked"] == 1
    assert client.get("/api/v1/chat/unread-count").json() == {"count": 1}
    second.refresh_from_db()
    assert second.read_at is None


def test_archived_thread_leaves_the_list_until_a_new_message(auth_client, thread):
    client = auth_client(thread.patient)
    client.post(f"/api/v1/chat/threads/{thread.pk}/archive", {"archived": True})
    assert client.get("/api/v1/chat/threads").json()["count"] == 0

    message_send(thread=thread, sender=thread.doctor.user, body="back")

    assert client.get("/api/v1/chat/threads").json()["count"] == 1


def test_body_column_in_database_is_not_the_plaintext(thread):
    message, _ = message_send(thread=thread, sender=thread.patient, body="I have a secret rash")

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body FROM {Message._meta.db_table} WHERE id = %s",
            [message.pk.hex if connection.vendor == "sqlite" else message.pk],
        )
        (raw,) = cursor.fetchone()

    assert "secret rash" not in raw
    assert raw.startswith("gAAAA")
    assert Message.objects.get(pk=message.pk).body == "I have a secret rash"


def test_other_users_thread_id_in_reverse_url_resolves(thread):
    assert reverse("chat-thread", kwargs={"thread_id": thread.pk}).startswith("/api/v1/chat/threads/")


def test_unknown_patient_cannot_be_named(auth_client):
    doctor = DoctorProfileFactory()
    response = auth_client(doctor.user).post("/api/v1/chat/threads", {"patient_id": str(PatientFactory().pk)})
    assert response.status_code == 404


def test_messages_list_query_count_does_not_grow_with_messages(auth_client, thread, django_assert_max_num_queries):
    for index in range(15):
        MessageFactory(thread=thread, body=f"m{index}")
    client = auth_client(thread.patient)

    with django_assert_max_num_queries(3):
        response = client.get(f"/api/v1/chat/threads/{thread.pk}/messages")

    assert len(response.json()["results"]) == 15
