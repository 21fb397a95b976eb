"""The ledger's shared steps: every payment path (intents, webhooks, refunds, the desk) records its
state changes, locks its rows and tells people the same way through these."""

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import PATIENT, appointment_participants_notify
from core.services import audit_record
from notifications.models import NotificationType
from payments.models import Payment, PaymentEvent, PaymentStatus, ReceiptCounter

logger = logging.getLogger("payments.services")


def actor_or_none(by: Any) -> Any:
    return by if by is not None and getattr(by, "pk", None) else None


def payment_event_record(
    *,
    payment: Payment,
    from_status: str,
    source: str,
    by: Any = None,
    stripe_event_id: str | None = None,
    amount: int | None = None,
    note: str = "",
) -> PaymentEvent:
    """One row of the payment's history (the Stripe event id is unique: a replay cannot apply twice)."""
    return PaymentEvent.objects.create(
        payment=payment,
        from_status=from_status,
        to_status=payment.status,
        source=source[:80],
        stripe_event_id=stripe_event_id,
        actor=actor_or_none(by),
        amount=amount,
        note=note[:500],
    )


def payment_audit(*, payment: Payment, from_status: str, source: str, by: Any = None) -> None:
    if from_status != payment.status:
        audit_record(
            action=f"payment.{payment.status}",
            actor=by,
            target=payment,
            data={"from": from_status, "source": source, "appointment_id": str(payment.appointment_id)},
        )


def money_decimal(amount: int) -> Decimal:
    """Minor units as a Decimal with two places, for localized display (`50,00` in French)."""
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def payment_participants_notify(
    *, payment: Payment, template_key: str, recipients: tuple[str, ...] = (PATIENT,), **extra: Any
) -> None:
    """A payment message to the appointment's participants, through appointments' one fan-out."""
    appointment_participants_notify(
        appointment=payment.appointment,
        template_key=template_key,
        type=NotificationType.PAYMENT,
        recipients=recipients,
        context={
            "amount": money_decimal(payment.amount),
            "amount_refunded": money_decimal(payment.amount_refunded),
            "currency": payment.currency,
            "receipt_number": payment.receipt_number or "",
            **extra,
        },
        data={"payment_id": str(payment.pk)},
    )


def receipt_number_allocate(*, when: datetime | None = None) -> str:
    """The next receipt number of the year, e.g. `2026-000042`: sequential and unique.

    The year's counter row is locked (select_for_update) until the caller's transaction ends, so
    concurrent payments queue here instead of taking the same number.
    """
    year = (when or timezone.now()).astimezone(UTC).year
    with transaction.atomic():
        counter, _created = ReceiptCounter.objects.select_for_update().get_or_create(year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
    return f"{year}-{counter.last_number:06d}"


def payment_mark_succeeded(*, payment: Payment) -> None:
    """Set the paid state in memory (the caller saves): status, paid_at, a receipt number once."""
    payment.status = PaymentStatus.SUCCEEDED
    payment.paid_at = payment.paid_at or timezone.now()
    if not payment.receipt_number:
        payment.receipt_number = receipt_number_allocate(when=payment.paid_at)


def refunded_status(payment: Payment) -> str:
    return PaymentStatus.REFUNDED if payment.amount_refunded >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED


def appointment_and_payment_lock(*, payment_id: Any) -> tuple[Appointment, Payment] | tuple[None, None]:
    """Lock in the one order every payment path uses (appointment, then payment) so two paths never deadlock.

    `of=("self",)`: only our rows are locked, never the joined doctor/user rows that booking locks.
    """
    appointment_id = Payment.objects.filter(pk=payment_id).values_list("appointment_id", flat=True).first()
    if appointment_id is None:
        return None, None
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "patient")
        .get(pk=appointment_id)
    )
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
    payment.appointment = appointment
    return appointment, payment
