"""Receipts: the PDF (reportlab) in the patient's language with dates in the clinic's time zone, and
the email that carries it (through the notifications Delivery pipeline, built when it is sent).
"""

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from notifications.emails import EmailContent, email_builder_register
from notifications.models import NotificationType
from notifications.services import email_send
from payments.ledger import money_decimal
from payments.models import Payment
from payments.selectors import payment_receipt_available

RECEIPT_EMAIL = "payments.receipt"


@dataclass(frozen=True)
class ReceiptData:
    number: str
    patient_name: str
    attendee_name: str  # the relative the visit was for; "" when the account holder attended
    doctor_name: str
    # The visit type in the active language ("" for an appointment booked before visit types).
    visit_type_name: str
    clinic_name: str
    clinic_address: str
    paid_at: datetime | None
    appointment_start: datetime
    timezone: str
    amount: int
    amount_refunded: int
    currency: str
    method: str


def receipt_data(*, payment: Payment) -> ReceiptData:
    """What a receipt says; the payment detail API returns the same facts."""
    appointment = payment.appointment
    doctor = appointment.doctor
    return ReceiptData(
        number=payment.receipt_number or "",
        patient_name=appointment.patient.full_name,
        attendee_name=appointment.relative.full_name if appointment.relative is not None else "",
        doctor_name=str(doctor),
        visit_type_name=appointment.visit_type.name if appointment.visit_type is not None else "",
        clinic_name=doctor.clinic_name,
        clinic_address=", ".join(part for part in (doctor.clinic_address, doctor.city) if part),
        paid_at=payment.paid_at,
        appointment_start=appointment.start,
        timezone=doctor.timezone,
        amount=payment.amount,
        amount_refunded=payment.amount_refunded,
        currency=payment.currency,
        method=payment.method,
    )


def money_display(amount: int, currency: str) -> str:
    """`50.00 EUR` in English, `50,00 EUR` in French (active language)."""
    return f"{formats.number_format(amount / 100, decimal_pos=2, force_grouping=True)} {currency}"


def _local(value: datetime, zone: str) -> str:
    return formats.date_format(timezone.localtime(value, ZoneInfo(zone)), "DATETIME_FORMAT")


def receipt_pdf_render(*, payment: Payment) -> bytes:
    """The receipt PDF, rendered in the patient's saved locale."""
    with translation.override(payment.appointment.patient.locale):
        data = receipt_data(payment=payment)
        method_label = {"card": _("Card"), "clinic": _("At the clinic")}.get(data.method, data.method)
        rows = [
            (_("Receipt number"), data.number),
            (_("Date"), _local(data.paid_at, data.timezone) if data.paid_at else ""),
            (_("Patient"), data.patient_name),
            *([(_("For"), data.attendee_name)] if data.attendee_name else []),
            (_("Doctor"), data.doctor_name),
            (_("Clinic"), data.clinic_name),
            (_("Address"), data.clinic_address),
            (_("Appointment"), _local(data.appointment_start, data.timezone)),
            *([(_("Visit type"), data.visit_type_name)] if data.visit_type_name else []),
            (_("Time zone"), data.timezone),
            (_("Payment method"), method_label),
            (_("Amount paid"), money_display(data.amount, data.currency)),
        ]
        if data.amount_refunded:
            rows.append((_("Amount refunded"), money_display(data.amount_refunded, data.currency)))
        title = _("Payment receipt")
        footer = _("Thank you for using Tabib.")

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"{title} {data.number}")
    _width, height = A4
    y = height - 30 * mm
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(25 * mm, y, title)
    y -= 15 * mm
    for label, value in rows:
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(25 * mm, y, f"{label}:")
        pdf.setFont("Helvetica", 11)
        pdf.drawString(75 * mm, y, str(value))
        y -= 8 * mm
    pdf.setFont("Helvetica-Oblique", 10)
    pdf.drawString(25 * mm, y - 10 * mm, footer)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _receipt_email_context(payment: Payment) -> dict[str, Any]:
    relative = payment.appointment.relative
    return {
        "patient_name": payment.appointment.patient.full_name,
        "attendee_name": relative.full_name if relative is not None else "",
        "doctor_name": str(payment.appointment.doctor),
        "receipt_number": payment.receipt_number,
        "amount": money_decimal(payment.amount),
        "currency": payment.currency,
    }


def receipt_email_queue(*, payment: Payment) -> None:
    """Queue the receipt email to the patient (after commit; nothing is sent under the caller's locks)."""
    patient = payment.appointment.patient
    with translation.override(patient.locale):
        title = render_to_string("payments/email/receipt_subject.txt", _receipt_email_context(payment)).strip()
    email_send(
        user=patient,
        type=NotificationType.PAYMENT,
        template_key="payment_receipt",
        title=title,
        builder=RECEIPT_EMAIL,
        args={"payment_id": str(payment.pk)},
    )


def receipt_email_build(args: dict[str, Any]) -> EmailContent | None:
    """The receipt email with its PDF, as the payment stands when it is sent; None if no receipt."""
    payment = (
        Payment.objects.select_related(
            "appointment__doctor__user", "appointment__patient", "appointment__visit_type", "appointment__relative"
        )
        .filter(pk=args["payment_id"])
        .first()
    )
    if payment is None or not payment_receipt_available(payment=payment):
        return None
    context = _receipt_email_context(payment)
    with translation.override(payment.appointment.patient.locale):
        subject = render_to_string("payments/email/receipt_subject.txt", context).strip()
        text = render_to_string("payments/email/receipt_body.txt", context)
    return EmailContent(
        subject=subject,
        text=text,
        attachments=(
            (f"receipt-{payment.receipt_number}.pdf", receipt_pdf_render(payment=payment), "application/pdf"),
        ),
    )


email_builder_register(RECEIPT_EMAIL, receipt_email_build)
