import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.tests.factories import AdminFactory, DoctorUserFactory, PatientFactory
from doctors.tests.factories import DoctorProfileFactory
from payments.models import Payment
from payments.services import payment_mark_clinic_paid, payment_refund
from payments.tests.conftest import TEST_PUBLISHABLE_KEY
from payments.tests.factories import ClinicAppointmentFactory, PendingCardAppointmentFactory

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_patient_creates_intent_and_a_second_call_returns_the_same(stripe_on_localstripe, auth_client):
    # given a pending card appointment
    appointment = PendingCardAppointmentFactory()
    client = auth_client(appointment.patient)
    # when the patient asks for an intent twice (a retry with the same Idempotency-Key)
    first = client.post("/api/v1/payments/intents", {"appointment_id": str(appointment.pk)}, HTTP_IDEMPOTENCY_KEY="k-1")
    replayed = client.post(
        "/api/v1/payments/intents", {"appointment_id": str(appointment.pk)}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    # and once more without a key (a client that never sends one)
    second = client.post("/api/v1/payments/intents", {"appointment_id": str(appointment.pk)})
    # then one payment, one intent, the fee and the publishable key; the keyed retry replays the first answer
    assert first.status_code == replayed.status_code == 201, first.json()
    assert replayed.json() == first.json()
    assert second.status_code == 200
    body = first.json()
    assert body["amount"] == 5000 and body["currency"] == "EUR" and body["status"] == "pending"
    assert body["publishable_key"] == TEST_PUBLISHABLE_KEY
    assert body["client_secret"].startswith(Payment.objects.get().provider_payment_id)
    assert second.json()["payment_id"] == body["payment_id"]
    assert second.json()["client_secret"] == body["client_secret"]
    assert Payment.objects.count() == 1


def test_intent_key_reused_for_another_appointment_is_409_and_creates_nothing(stripe_on_localstripe, auth_client):
    first_appointment = PendingCardAppointmentFactory()
    later = first_appointment.start + timedelta(hours=1)
    other_appointment = PendingCardAppointmentFactory(
        patient=first_appointment.patient, start=later, end=later + timedelta(minutes=30)
    )
    client = auth_client(first_appointment.patient)
    client.post("/api/v1/payments/intents", {"appointment_id": str(first_appointment.pk)}, HTTP_IDEMPOTENCY_KEY="k-1")

    response = client.post(
        "/api/v1/payments/intents", {"appointment_id": str(other_appointment.pk)}, HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert list(Payment.objects.values_list("appointment_id", flat=True)) == [first_appointment.pk]


def test_intent_for_someone_elses_appointment_is_404(stripe_on_localstripe, auth_client):
    appointment = PendingCardAppointmentFactory()
    response = auth_client(PatientFactory()).post("/api/v1/payments/intents", {"appointment_id": str(appointment.pk)})
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


@pytest.mark.parametrize("status", ["confirmed", "expired", "cancelled"])
def test_intent_for_appointment_not_pending_is_409(stripe_on_localstripe, auth_client, status):
    appointment = PendingCardAppointmentFactory(status=status)
    response = auth_client(appointment.patient).post(
        "/api/v1/payments/intents", {"appointment_id": str(appointment.pk)}
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "appointment_not_payable"


def test_intent_after_hold_ran_out_is_409(stripe_on_localstripe, auth_client):
    appointment = PendingCardAppointmentFactory(hold_until=timezone.now() - timedelta(minutes=1))
    response = auth_client(appointment.patient).post(
        "/api/v1/payments/intents", {"appointment_id": str(appointment.pk)}
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "hold_expired"


def test_intent_with_bad_body_is_400(auth_client):
    response = auth_client(PatientFactory()).post("/api/v1/payments/intents", {"appointment_id": "nope"})
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def _paid_clinic_payment(**appointment_kwargs) -> Payment:
    appointment = ClinicAppointmentFactory(**appointment_kwargs)
    return payment_mark_clinic_paid(appointment=appointment, by=appointment.doctor.user)


def test_list_shows_only_own_payments_with_bounded_queries(auth_client, django_assert_max_num_queries):
    # given payments of two patients with the same doctor
    doctor = DoctorProfileFactory()
    mine = [_paid_clinic_payment(doctor=doctor, start=timezone.now() + timedelta(days=d)) for d in (1, 2, 3)]
    other = _paid_clinic_payment(
        doctor=doctor, patient=mine[0].appointment.patient, start=timezone.now() + timedelta(days=4)
    )
    stranger = _paid_clinic_payment()
    patient_client = auth_client(mine[0].appointment.patient)
    # when the patient and the doctor list their payments
    with django_assert_max_num_queries(4):
        patient_body = patient_client.get("/api/v1/payments").json()
    doctor_body = auth_client(doctor.user).get("/api/v1/payments").json()
    # then each sees their own
    assert {p["id"] for p in patient_body["results"]} == {str(mine[0].pk), str(other.pk)}
    assert doctor_body["count"] == 4
    assert str(stranger.pk) not in {p["id"] for p in doctor_body["results"]}


def test_detail_for_participants_only_with_receipt_data(auth_client):
    payment = _paid_clinic_payment()
    body = auth_client(payment.appointment.patient).get(f"/api/v1/payments/{payment.pk}").json()
    assert body["status"] == "succeeded" and body["method"] == "clinic" and body["amount"] == 5000
    assert body["receipt_number"] == payment.receipt_number
    assert body["receipt"]["clinic_name"] == "Clinique Centrale"
    assert auth_client(payment.appointment.doctor.user).get(f"/api/v1/payments/{payment.pk}").status_code == 200
    assert auth_client(PatientFactory()).get(f"/api/v1/payments/{payment.pk}").status_code == 404


def test_receipt_pdf_has_number_and_amount(auth_client):
    payment = _paid_clinic_payment()
    response = auth_client(payment.appointment.patient).get(f"/api/v1/payments/{payment.pk}/receipt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert payment.receipt_number in text
    assert "50.00 EUR" in text
    assert "Payment receipt" in text and "At the clinic" in text


def test_receipt_is_in_the_patients_language(auth_client):
    payment = _paid_clinic_payment(patient=PatientFactory(locale="fr"))
    response = auth_client(payment.appointment.doctor.user).get(f"/api/v1/payments/{payment.pk}/receipt")
    text = pdf_text(response.content)
    assert "Reçu de paiement" in text
    assert "50,00 EUR" in text
    assert "Au cabinet" in text
    assert payment.receipt_number in text


def test_receipt_of_unpaid_payment_is_409(stripe_on_localstripe, auth_client):
    appointment = PendingCardAppointmentFactory()
    client = auth_client(appointment.patient)
    payment_id = client.post("/api/v1/payments/intents", {"appointment_id": str(appointment.pk)}).json()["payment_id"]
    response = client.get(f"/api/v1/payments/{payment_id}/receipt")
    assert response.status_code == 409


def test_doctor_marks_clinic_appointment_paid(auth_client, mailoutbox, django_capture_on_commit_callbacks):
    # given a confirmed pay-at-clinic appointment
    appointment = ClinicAppointmentFactory()
    # when its doctor marks it paid (twice: a double click)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(appointment.doctor.user).post(f"/api/v1/appointments/{appointment.pk}/mark-paid")
    again = auth_client(appointment.doctor.user).post(f"/api/v1/appointments/{appointment.pk}/mark-paid")
    # then one succeeded payment with a receipt number, emailed once
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "succeeded" and body["method"] == "clinic" and body["receipt_number"]
    assert again.json()["receipt_number"] == body["receipt_number"]
    receipts = [mail for mail in mailoutbox if mail.attachments]
    assert len(receipts) == 1
    assert receipts[0].to == [appointment.patient.email]


def test_mark_paid_refused_for_others(auth_client):
    appointment = ClinicAppointmentFactory()
    url = f"/api/v1/appointments/{appointment.pk}/mark-paid"
    assert auth_client(DoctorUserFactory()).post(url).status_code == 404
    assert auth_client(appointment.patient).post(url).status_code == 403
    card = PendingCardAppointmentFactory(status="confirmed")
    assert auth_client(card.doctor.user).post(f"/api/v1/appointments/{card.pk}/mark-paid").status_code == 409
    assert not Payment.objects.exists()


def test_staff_may_mark_paid():
    appointment = ClinicAppointmentFactory()
    payment = payment_mark_clinic_paid(appointment=appointment, by=AdminFactory())
    assert payment.status == "succeeded"


def test_payment_notifications_follow_each_recipients_language(auth_client):
    from notifications.models import Notification

    # given a French patient and an English doctor
    payment = _paid_clinic_payment(patient=PatientFactory(locale="fr"))
    # then each got the payment notification in their own language
    patient_note = Notification.objects.get(user=payment.appointment.patient, template_key="payment_succeeded")
    doctor_note = Notification.objects.get(user=payment.appointment.doctor.user, template_key="payment_succeeded")
    assert patient_note.title == "Paiement confirmé"
    assert "50,00 EUR" in patient_note.body and payment.receipt_number in patient_note.body
    assert doctor_note.title.startswith("Payment received from")
    assert "50.00 EUR" in doctor_note.body


@pytest.mark.parametrize(("refund", "status"), [(None, "refunded"), (1000, "partially_refunded")])
def test_a_refunded_payment_has_its_receipt_in_the_api_and_the_portal_alike(client, auth_client, refund, status):
    # given a clinic payment refunded in full or in part
    payment = _paid_clinic_payment()
    payment = payment_refund(payment=payment, amount=refund, reason="goodwill", by=AdminFactory())
    assert payment.status == status
    appointment = payment.appointment

    # when the patient asks the API and the doctor the portal
    api = auth_client(appointment.patient).get(f"/api/v1/payments/{payment.pk}/receipt")
    client.force_login(appointment.doctor.user)
    portal = client.get(f"/portal/appointments/{appointment.pk}/receipt/")

    # then both give the same PDF, which lists the refund
    assert (api.status_code, portal.status_code) == (200, 200)
    assert pdf_text(api.content) == pdf_text(portal.content)
    assert "Amount refunded" in pdf_text(api.content)


def test_an_unpaid_payment_has_no_receipt_in_the_api_nor_the_portal(stripe_on_localstripe, client, auth_client):
    appointment = PendingCardAppointmentFactory()
    payment_id = (
        auth_client(appointment.patient)
        .post("/api/v1/payments/intents", {"appointment_id": str(appointment.pk)})
        .json()["payment_id"]
    )
    client.force_login(appointment.doctor.user)

    assert auth_client(appointment.patient).get(f"/api/v1/payments/{payment_id}/receipt").status_code == 409
    assert client.get(f"/portal/appointments/{appointment.pk}/receipt/").status_code == 404
