"""Refunds: by staff, by a cancellation, or automatic when a payment cannot keep its appointment."""

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from appointments.models import Appointment
from appointments.services import DOCTOR, PATIENT
from core.exceptions import ApplicationError, ConflictError
from payments import stripe_client
from payments.errors import PaymentErrorCode
from payments.ledger import (
    actor_or_none,
    appointment_and_payment_lock,
    payment_audit,
    payment_event_record,
    payment_participants_notify,
    refunded_status,
)
from payments.models import Payment, PaymentMethod, PaymentStatus

logger = logging.getLogger(__name__)


def payment_refund_apply(
    *, payment: Payment, amount: int, reason: str, by: Any, source: str, idempotency_key: str
) -> Payment:
    """Refund `amount` now (card: through Stripe). Caller holds the appointment and payment locks
    and has validated `amount`."""
    from_status = payment.status
    if payment.method == PaymentMethod.CARD:
        stripe_client.refund_create(
            payment_intent_id=payment.provider_payment_id,
            amount=amount,
            idempotency_key=idempotency_key,
            metadata={"payment_id": str(payment.pk), "reason": reason[:400]},
        )
    payment.amount_refunded += amount
    payment.status = refunded_status(payment)
    payment.save(update_fields=["status", "amount_refunded", "updated_at"])
    payment_event_record(payment=payment, from_status=from_status, source=source, by=by, amount=amount, note=reason)
    payment_audit(payment=payment, from_status=from_status, source=source, by=by)
    logger.info("payment refunded", extra={"payment_id": str(payment.pk), "amount": amount, "source": source})
    return payment


@transaction.atomic
def payment_refund(*, payment: Payment, amount: int | None = None, reason: str, by: Any) -> Payment:
    """Refund `amount` (default: all that is left) of a paid payment; card payments through Stripe."""
    _appointment, locked = appointment_and_payment_lock(payment_id=payment.pk)
    assert locked is not None  # the caller's payment exists
    payment = locked
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise ConflictError(_("Only a paid payment can be refunded."), code=PaymentErrorCode.NOT_REFUNDABLE)
    amount = payment.refundable_amount if amount is None else amount
    if amount <= 0 or amount > payment.refundable_amount:
        raise ApplicationError(
            _("The refund must be between 1 and %(max)s (minor units).") % {"max": payment.refundable_amount},
            code=PaymentErrorCode.INVALID_REFUND_AMOUNT,
            attr="amount",
        )
    source = f"user:{by.pk}" if actor_or_none(by) else "system"
    payment_refund_apply(
        payment=payment,
        amount=amount,
        reason=reason,
        by=by,
        source=source,
        idempotency_key=f"tabib-refund-{payment.pk}-{payment.amount_refunded}-{amount}",
    )
    payment_participants_notify(payment=payment, template_key="payment_refunded", recipients=(PATIENT, DOCTOR))
    return payment


def payment_refund_for_cancellation(*, appointment: Appointment, by: Any) -> Payment | None:
    """Refund in full a paid card appointment being cancelled; no-op (None) otherwise.

    Called by `appointments.services.appointment_cancel`, inside its transaction, when
    `appointment_full_refund_due` said the cancellation deserves it (doctor cancels, or patient
    before the cut-off).
    """
    payment = Payment.objects.filter(appointment=appointment).first()
    if (
        payment is None
        or payment.method != PaymentMethod.CARD
        or payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)
    ):
        return None
    return payment_refund(payment=payment, amount=None, reason="cancellation", by=by)
