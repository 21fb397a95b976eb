"""Receipts of a visit booked for a relative say whom it was for."""

import io

import pytest
from pypdf import PdfReader

from accounts.tests.factories import RelativeFactory
from payments.services import payment_mark_clinic_paid
from payments.tests.factories import ClinicAppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_receipt_says_whom_the_visit_was_for(auth_client, mailoutbox, django_capture_on_commit_callbacks):
    relative = RelativeFactory(first_name="Léa", last_name="Martin")
    appointment = ClinicAppointmentFactory(patient=relative.user, relative=relative)

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_mark_clinic_paid(appointment=appointment, by=appointment.doctor.user)
    client = auth_client(relative.user)
    detail = client.get(f"/api/v1/payments/{payment.pk}").json()
    pdf = client.get(f"/api/v1/payments/{payment.pk}/receipt").content

    assert detail["receipt"]["attendee_name"] == "Léa Martin"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "For:" in text and "Léa Martin" in text
    receipt = next(mail for mail in mailoutbox if mail.attachments)
    assert "The appointment was for Léa Martin." in receipt.body


def test_a_receipt_of_the_account_holders_own_visit_names_nobody_else(auth_client):
    appointment = ClinicAppointmentFactory()
    payment = payment_mark_clinic_paid(appointment=appointment, by=appointment.doctor.user)

    detail = auth_client(appointment.patient).get(f"/api/v1/payments/{payment.pk}").json()

    assert detail["receipt"]["attendee_name"] == ""
