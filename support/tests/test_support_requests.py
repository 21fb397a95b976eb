import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, PatientFactory
from core.exceptions import ConflictError
from notifications.models import Notification
from support.models import SupportRequest, SupportStatus
from support.services import support_request_close, support_request_create, support_request_reply
from support.tests.factories import AppointmentFactory, SupportRequestFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/help/support-requests"


def test_patient_opens_a_request_about_their_own_appointment(auth_client):
    appointment = AppointmentFactory()

    response = auth_client(appointment.patient).post(
        URL,
        {
            "subject": "Wrong address",
            "message": "The clinic moved?",
            "category": "appointment",
            "appointment_id": str(appointment.id),
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open"
    assert body["appointment_id"] == str(appointment.id)
    assert SupportRequest.objects.get(pk=body["id"]).requester == appointment.patient


def test_doctor_may_attach_an_appointment_they_give(auth_client):
    appointment = AppointmentFactory()

    response = auth_client(appointment.doctor.user).post(
        URL,
        {
            "subject": "No-show",
            "message": "Patient never came",
            "appointment_id": str(appointment.id),
        },
    )

    assert response.status_code == 201


def test_someone_elses_appointment_is_refused_without_revealing_it(auth_client):
    appointment = AppointmentFactory()

    response = auth_client(PatientFactory()).post(
        URL,
        {
            "subject": "Hi",
            "message": "Hello",
            "appointment_id": str(appointment.id),
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "appointment_not_found",
        "detail": "No such appointment.",
        "attr": "appointment_id",
    }
    assert not SupportRequest.objects.exists()


def test_missing_fields_are_a_validation_error(auth_client):
    response = auth_client(PatientFactory()).post(URL, {"subject": ""})

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_requester_lists_only_their_requests(auth_client, django_assert_max_num_queries):
    patient = PatientFactory()
    mine = [SupportRequestFactory(requester=patient) for _ in range(3)]
    SupportRequestFactory()

    with django_assert_max_num_queries(4):
        response = auth_client(patient).get(URL)

    assert response.json()["count"] == 3
    assert {item["id"] for item in response.json()["results"]} == {str(r.id) for r in mine}


def test_staff_reply_answers_and_notifies_the_requester_in_their_language(django_capture_on_commit_callbacks):
    patient = PatientFactory(locale="fr")
    request = support_request_create(requester=patient, subject="Facture", message="?", category="payment")

    with django_capture_on_commit_callbacks(execute=True):
        support_request_reply(request=request, by=AdminFactory(), reply="Envoyée par email.")

    request.refresh_from_db()
    assert request.status == SupportStatus.ANSWERED
    assert request.staff_reply == "Envoyée par email."
    assert request.replied_at is not None
    notification = Notification.objects.get(user=patient)
    assert notification.title == "Le support a répondu : Facture"
    assert notification.body == "Envoyée par email."
    assert notification.data == {"support_request_id": str(request.id)}


def test_a_closed_request_cannot_be_answered():
    request = SupportRequestFactory()
    support_request_close(request=request, by=AdminFactory())

    with pytest.raises(ConflictError):
        support_request_reply(request=request, by=AdminFactory(), reply="Too late")


def test_admin_queue_lists_open_requests_first_oldest_first(client):
    answered = SupportRequestFactory(status=SupportStatus.ANSWERED)
    old_open = SupportRequestFactory()
    new_open = SupportRequestFactory()
    SupportRequest.objects.filter(pk=old_open.pk).update(created_at=answered.created_at.replace(year=2020))
    client.force_login(AdminFactory())

    response = client.get(reverse("admin:support_supportrequest_changelist"))

    queue = list(response.context["cl"].queryset)
    assert queue == [SupportRequest.objects.get(pk=old_open.pk), new_open, answered]


def test_admin_reply_form_goes_through_the_service(client):
    request = SupportRequestFactory()
    client.force_login(AdminFactory())
    url = reverse("admin:support_supportrequest_reply", args=[request.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"reply": "Fixed now."})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == SupportStatus.ANSWERED
    assert Notification.objects.filter(user=request.requester, template_key="support_reply").exists()
