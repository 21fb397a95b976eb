"""Card payments: the Stripe PaymentIntent of a pending appointment."""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors import appointment_fee
from core.exceptions import ConflictError, NotFoundError
from payments import stripe_client
from payments.errors import PaymentErrorCode
from payments.ledger import payment_event_record
from payments.models import Payment, PaymentMethod, PaymentProvider, PaymentStatus

logger = logging.getLogger(__name__)


@transaction.atomic
def payment_intent_create(*, patient: Any, appointment_id: Any) -> tuple[Payment, str, bool]:
    """Create (or return) the Stripe PaymentIntent paying `patient`'s own pending card appointment.

    Returns (payment, client_secret, created). Retries are safe: the existing Payment row is
    returned, and the Stripe call carries a per-appointment idempotency key, so a retry after a
    lost response never creates a second intent.
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor", "visit_type")
        .filter(pk=appointment_id, patient=patient)
        .first()
    )
    if appointment is None:
        raise NotFoundError(_("Appointment not found."), code=PaymentErrorCode.NOT_FOUND)
    if appointment.status != AppointmentStatus.PENDING_PAYMENT or appointment.payment_method != PaymentMethod.CARD:
        raise ConflictError(
            _("This appointment is not awaiting a card payment."), code=PaymentErrorCode.APPOINTMENT_NOT_PAYABLE
        )
    amount, currency = appointment_fee(appointment=appointment)
    if amount <= 0:
        raise ConflictError(
            _("This appointment is not awaiting a card payment."), code=PaymentErrorCode.APPOINTMENT_NOT_PAYABLE
        )
    if appointment.hold_until is not None and appointment.hold_until <= timezone.now():
        raise ConflictError(
            _("The hold on this time slot has expired. Please book again."), code=PaymentErrorCode.HOLD_EXPIRED
        )
    if not stripe_client.is_enabled():
        raise ConflictError(
            _("Card payments are not available. Please pay at the clinic."),
            code=PaymentErrorCode.CARD_PAYMENTS_DISABLED,
        )
    payment = Payment.objects.filter(appointment=appointment).first()
    if payment is not None and payment.provider_payment_id:
        intent = stripe_client.payment_intent_retrieve(intent_id=payment.provider_payment_id)
        return payment, intent["client_secret"], False
    doctor = appointment.doctor
    intent = stripe_client.payment_intent_create(
        amount=amount,
        currency=currency,
        metadata={"appointment_id": str(appointment.pk), "patient_id": str(patient.pk), "doctor_id": str(doctor.pk)},
        idempotency_key=f"tabib-intent-{appointment.pk}",
    )
    payment = Payment.objects.create(
        appointment=appointment,
        method=PaymentMethod.CARD,
        provider=PaymentProvider.STRIPE,
        provider_payment_id=intent["id"],
        amount=amount,
        currency=currency,
        status=PaymentStatus.PENDING,
    )
    payment_event_record(
        payment=payment, from_status="", source=f"user:{patient.pk}", by=patient, note=f"intent {intent['id']}"
    )
    logger.info(
        "payment intent created",
        extra={"payment_id": str(payment.pk), "intent_id": intent["id"], "appointment_id": str(appointment.pk)},
    )
    return payment, intent["client_secret"], True
