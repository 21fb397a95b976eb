import pytest

from chat.services import message_mark_read, message_send

pytestmark = pytest.mark.django_db


def sync(client, since=None):
    response = client.get("/api/v1/sync", {"since": since} if since else {})
    assert response.status_code == 200, response.content
    return response.json()


def test_offline_patient_receives_new_messages_threads_and_read_receipts(auth_client, thread, stranger):
    patient_client = auth_client(thread.patient)
    cursor = sync(patient_client)["cursor"]

    # while the patient is offline the doctor writes twice, then the patient's phone marks one read
    doctor = thread.doctor.user
    first, _ = message_send(thread=thread, sender=doctor, body="Bonjour", client_id="c1")
    second, _ = message_send(thread=thread, sender=doctor, body="Results are in", client_id="c2")
    message_mark_read(thread=thread, reader=thread.patient, up_to=first.pk)
    page = sync(patient_client, cursor)

    messages = {item["id"]: item for item in page["changes"]["messages"]}
    assert set(messages) == {str(first.pk), str(second.pk)}
    assert messages[str(first.pk)]["read_at"] is not None and messages[str(second.pk)]["read_at"] is None
    assert [item["id"] for item in page["changes"]["threads"]] == [str(thread.pk)]
    assert sync(auth_client(stranger))["changes"]["messages"] == []
