"""Stripe webhooks: the handlers fed by dj-stripe's signals and the ledger changes they make.

dj-stripe's webhook view verifies the signature, stores the Event (once per Stripe event id) and
syncs its own copy of the object, then sends `WEBHOOK_SIGNALS[event.type]`; `on_stripe_event`
dispatches through `HANDLERS`. Each handler calls a `payment_stripe_*` service that locks the rows
it changes and records the Stripe event id (unique), so a replay changes nothing. Unknown events
are a no-op.
"""

import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from djstripe.signals import WEBHOOK_SIGNALS, webhook_processing_error

from appointments.models import Appointment, AppointmentStatus
from appointments.services import DOCTOR, PATIENT, appointment_confirm_paid
from appointments.status import appointment_transition
from core import metrics
from payments.ledger import (
    appointment_and_payment_lock,
    payment_audit,
    payment_event_record,
    payment_mark_succeeded,
    payment_participants_notify,
    refunded_status,
)
from payments.models import PAID_STATUSES, Payment, PaymentEvent, PaymentProvider, PaymentStatus
from payments.receipts import receipt_email_queue
from payments.refunds import payment_refund_apply
from waitlist.services import waitlist_offer_freed_slot

logger = logging.getLogger(__name__)


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


def handle_payment_intent_succeeded(event: Any) -> None:
    intent = event.data["object"]
    payment_stripe_succeeded(
        intent_id=intent["id"], stripe_event_id=event.id, charge_id=_id(intent.get("latest_charge"))
    )


def handle_payment_intent_payment_failed(event: Any) -> None:
    intent = event.data["object"]
    error = intent.get("last_payment_error") or {}
    payment_stripe_failed(
        intent_id=intent["id"], stripe_event_id=event.id, failure_message=str(error.get("message") or "")[:300]
    )


def handle_charge_refunded(event: Any) -> None:
    charge = event.data["object"]
    intent_id = _id(charge.get("payment_intent"))
    if not intent_id:
        logger.info("stripe refund without intent ignored", extra={"stripe_event_id": event.id})
        return
    payment_stripe_refunded(
        intent_id=intent_id, stripe_event_id=event.id, amount_refunded=int(charge.get("amount_refunded") or 0)
    )


# --- the ledger changes ---------------------------------------------------------------------


def _payment_id_for_intent(intent_id: str) -> Any:
    return (
        Payment.objects.filter(provider=PaymentProvider.STRIPE, provider_payment_id=intent_id)
        .values_list("pk", flat=True)
        .first()
    )


def _already_applied(stripe_event_id: str) -> bool:
    return PaymentEvent.objects.filter(stripe_event_id=stripe_event_id).exists()


def _stripe_change_record(
    *, payment: Payment, from_status: str, stripe_event_id: str, amount: int | None = None, note: str = ""
) -> None:
    """The payment's history row for a Stripe event (its id is unique: a replay cannot apply twice),
    and the audit row when the status changed."""
    payment_event_record(
        payment=payment,
        from_status=from_status,
        source=stripe_event_id,
        stripe_event_id=stripe_event_id,
        amount=amount,
        note=note,
    )
    payment_audit(payment=payment, from_status=from_status, source=stripe_event_id)


def _lock_for_stripe_event(
    *, intent_id: str, stripe_event_id: str, kind: str
) -> tuple[Appointment, Payment, bool] | None:
    """The locked appointment and payment a Stripe event is about, and whether that event was
    applied already; None (logged) for an intent we never created."""
    payment_id = _payment_id_for_intent(intent_id)
    if payment_id is None:
        logger.warning(
            "stripe %s for unknown intent", kind, extra={"intent_id": intent_id, "stripe_event_id": stripe_event_id}
        )
        return None
    appointment, payment = appointment_and_payment_lock(payment_id=payment_id)
    if appointment is None or payment is None:
        return None
    return appointment, payment, _already_applied(stripe_event_id)


@transaction.atomic
def payment_stripe_succeeded(*, intent_id: str, stripe_event_id: str, charge_id: str = "") -> Payment | None:
    """Apply `payment_intent.succeeded`: payment succeeded, appointment confirmed (or refunded if it can't be).

    Idempotent (one application per Stripe event) and order-tolerant (a payment already refunded or
    succeeded is not moved back).
    """
    locked = _lock_for_stripe_event(intent_id=intent_id, stripe_event_id=stripe_event_id, kind="success")
    if locked is None:
        return None
    appointment, payment, already_applied = locked
    if already_applied:
        return payment
    from_status = payment.status
    _link_stripe_objects(payment=payment, charge_id=charge_id)
    if payment.status in PAID_STATUSES:
        payment.save(update_fields=["stripe_payment_intent", "stripe_charge", "updated_at"])
        _stripe_change_record(
            payment=payment,
            from_status=from_status,
            stripe_event_id=stripe_event_id,
            note="already paid",
        )
        return payment
    payment_mark_succeeded(payment=payment)
    payment.save(
        update_fields=["status", "paid_at", "receipt_number", "stripe_payment_intent", "stripe_charge", "updated_at"]
    )
    _stripe_change_record(
        payment=payment,
        from_status=from_status,
        stripe_event_id=stripe_event_id,
        amount=payment.amount,
    )

    confirmed = appointment_confirm_paid(appointment=appointment, source=stripe_event_id)
    logger.info(
        "payment succeeded",
        extra={
            "payment_id": str(payment.pk),
            "stripe_event_id": stripe_event_id,
            "appointment_status": appointment.status,
            "confirmed": confirmed,
        },
    )
    if not confirmed:
        # The money arrived but the slot is gone (or the appointment was cancelled): give it back.
        payment_refund_apply(
            payment=payment,
            amount=payment.refundable_amount,
            reason="slot_unavailable",
            by=None,
            source=stripe_event_id,
            idempotency_key=f"tabib-autorefund-{payment.pk}",
        )
        payment_participants_notify(payment=payment, template_key="payment_auto_refunded")
        return payment
    payment_participants_notify(payment=payment, template_key="payment_succeeded", recipients=(PATIENT, DOCTOR))
    receipt_email_queue(payment=payment)
    return payment


def _link_stripe_objects(*, payment: Payment, charge_id: str) -> None:
    """Link dj-stripe's copies when it has synced them (its handlers run before ours)."""
    from djstripe.models import Charge as StripeCharge
    from djstripe.models import PaymentIntent as StripePaymentIntent

    if payment.stripe_payment_intent_id is None:
        payment.stripe_payment_intent = StripePaymentIntent.objects.filter(id=payment.provider_payment_id).first()
    if charge_id and payment.stripe_charge_id is None:
        payment.stripe_charge = StripeCharge.objects.filter(id=charge_id).first()


@transaction.atomic
def payment_stripe_failed(*, intent_id: str, stripe_event_id: str, failure_message: str = "") -> Payment | None:
    """Apply `payment_intent.payment_failed`: payment failed, a pending appointment expires (frees the slot).

    A failure arriving after a success changes nothing.
    """
    locked = _lock_for_stripe_event(intent_id=intent_id, stripe_event_id=stripe_event_id, kind="failure")
    if locked is None:
        return None
    appointment, payment, already_applied = locked
    if already_applied:
        return payment
    from_status = payment.status
    if payment.status != PaymentStatus.PENDING:
        _stripe_change_record(
            payment=payment,
            from_status=from_status,
            stripe_event_id=stripe_event_id,
            note="ignored: payment no longer pending",
        )
        logger.info(
            "payment failure ignored",
            extra={"payment_id": str(payment.pk), "status": payment.status, "stripe_event_id": stripe_event_id},
        )
        return payment
    payment.status = PaymentStatus.FAILED
    payment.save(update_fields=["status", "updated_at"])
    _stripe_change_record(
        payment=payment,
        from_status=from_status,
        stripe_event_id=stripe_event_id,
        note=failure_message,
    )
    if appointment.status == AppointmentStatus.PENDING_PAYMENT:
        appointment_transition(
            appointment=appointment, to_status=AppointmentStatus.EXPIRED, source=stripe_event_id, note="payment failed"
        )
        waitlist_offer_freed_slot(doctor=appointment.doctor, start=appointment.start, end=appointment.end)
    logger.info("payment failed", extra={"payment_id": str(payment.pk), "stripe_event_id": stripe_event_id})
    metrics.payment_declined()
    # Only the patient: the doctor is never told about an unpaid hold, so not about its end either.
    payment_participants_notify(payment=payment, template_key="payment_failed")
    return payment


@transaction.atomic
def payment_stripe_refunded(*, intent_id: str, stripe_event_id: str, amount_refunded: int) -> Payment | None:
    """Apply `charge.refunded`: Stripe's cumulative refunded amount. Refunds only grow, so the larger of
    ours and Stripe's wins, which makes replays and out-of-order deliveries harmless."""
    locked = _lock_for_stripe_event(intent_id=intent_id, stripe_event_id=stripe_event_id, kind="refund")
    if locked is None:
        return None
    _appointment, payment, already_applied = locked
    if already_applied:
        return payment
    from_status, before = payment.status, payment.amount_refunded
    payment.amount_refunded = min(max(payment.amount_refunded, amount_refunded), payment.amount)
    if payment.amount_refunded > 0:
        payment.status = refunded_status(payment)
        if not payment.receipt_number:
            payment_mark_succeeded(payment=payment)
            payment.status = refunded_status(payment)
    payment.save(update_fields=["status", "amount_refunded", "paid_at", "receipt_number", "updated_at"])
    _stripe_change_record(
        payment=payment,
        from_status=from_status,
        stripe_event_id=stripe_event_id,
        amount=payment.amount_refunded,
    )
    logger.info(
        "payment refund applied",
        extra={
            "payment_id": str(payment.pk),
            "stripe_event_id": stripe_event_id,
            "amount_refunded": payment.amount_refunded,
        },
    )
    if payment.amount_refunded > before:
        payment_participants_notify(payment=payment, template_key="payment_refunded", recipients=(PATIENT, DOCTOR))
    return payment


HANDLERS: dict[str, Callable[[Any], None]] = {
    "payment_intent.succeeded": handle_payment_intent_succeeded,
    "payment_intent.payment_failed": handle_payment_intent_payment_failed,
    "charge.refunded": handle_charge_refunded,
}
HANDLED_EVENTS = frozenset(HANDLERS)


def on_stripe_event(sender: Any, event: Any, **kwargs: Any) -> None:
    handler = HANDLERS.get(event.type)
    logger.info(
        "stripe event received",
        extra={"stripe_event_id": event.id, "stripe_event_type": event.type, "handled": handler is not None},
    )
    if handler is not None:
        handler(event)


_STRIPE_KEY = re.compile(r"\b((?:sk|rk|pk)_(?:test|live)_|whsec_)[A-Za-z0-9_]+")
_REFUSED_KEY = re.compile(r"(Invalid API key: )'[^']*'")


def redact_stripe_keys(text: str) -> str:
    """dj-stripe quotes a refused key whole in its error; the trigger row and the log keep only its prefix."""
    return _REFUSED_KEY.sub(r"\1'[redacted]'", _STRIPE_KEY.sub(r"\1[redacted]", text))


def on_webhook_processing_error(sender: Any, instance: Any, exception: Exception, **kwargs: Any) -> None:
    """dj-stripe's hand-over when verifying or processing an event raised: it then stores the trigger
    (body, headers, exception: the admin's "Webhook event triggers") and answers 500, so Stripe retries
    the same event later. Here: the reason in the log, and no secret in the stored row."""
    instance.exception = redact_stripe_keys(instance.exception or "")
    instance.traceback = redact_stripe_keys(instance.traceback or "")
    body = instance.json_body
    logger.error(
        "stripe webhook failed, stored for Stripe's retry",
        extra={
            "stripe_event_id": body.get("id", ""),
            "stripe_event_type": body.get("type", ""),
            "webhook_trigger_id": instance.pk,
            "reason": f"{type(exception).__name__}: {instance.exception}",
        },
    )


def connect() -> None:
    """Called from PaymentsConfig.ready(), after dj-stripe's own receivers (which sync its models first)."""
    for event_type in HANDLERS:
        WEBHOOK_SIGNALS[event_type].connect(on_stripe_event, dispatch_uid=f"payments:{event_type}")
    webhook_processing_error.connect(on_webhook_processing_error, dispatch_uid="payments:webhook-error")
