"""A visit type's fee is what the payment charges (card intent, desk) and what the receipt shows."""

import io
from datetime import time, timedelta

import pytest
from pypdf import PdfReader

from accounts.tests.factories import PatientFactory
from appointments.services import appointment_book
from appointments.tests.factories import first_free_slot, open_every_day
from doctors.services import visit_type_default_ensure
from doctors.tests.factories import DoctorProfileFactory, VisitTypeFactory
from payments.models import Payment
from payments.receipts import receipt_data, receipt_pdf_render
from payments.services import payment_mark_clinic_paid

pytestmark = pytest.mark.django_db


def _booked(method: str, *, fee: int):
    doctor = DoctorProfileFactory(slot_minutes=20, fee_amount=5000)
    visit_type_default_ensure(doctor=doctor)
    open_every_day(doctor, start=time(8, 0), end=time(18, 0))
    visit_type = VisitTypeFactory(doctor=doctor, duration_minutes=40, fee_amount=fee, name_fr="Vaccination FR")
    start = first_free_slot(doctor, timedelta(days=2))
    appointment = appointment_book(
        patient=PatientFactory(locale="fr"),
        doctor=doctor,
        start=start,
        payment_method=method,
        visit_type_id=visit_type.pk,
    )
    return appointment


def test_the_card_intent_charges_the_visit_types_fee(stripe_on_localstripe, auth_client):
    appointment = _booked("card", fee=6500)

    response = auth_client(appointment.patient).post(
        "/api/v1/payments/intents", {"appointment_id": str(appointment.pk)}
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["amount"], response.json()["currency"]) == (6500, "EUR")
    assert Payment.objects.get(appointment=appointment).amount == 6500


def test_the_desk_records_the_visit_types_fee_and_the_receipt_shows_it():
    appointment = _booked("clinic", fee=3500)

    payment = payment_mark_clinic_paid(appointment=appointment, by=appointment.doctor.user)

    assert (payment.amount, payment.currency) == (3500, "EUR")
    assert receipt_data(payment=payment).visit_type_name == "First consultation"
    pdf = PdfReader(io.BytesIO(receipt_pdf_render(payment=payment)))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Vaccination FR" in text and "35,00" in text
