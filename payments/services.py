"""Payments: intents, the ledger's state changes (from webhooks, refunds, the clinic desk), receipts."""

import logging
from datetime import UTC
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appointments.models import Appointment, AppointmentStatus
from appointments.status import appointment_transition
from core import metrics
from core.effects import enqueue_task
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.services import audit_record
from notifications.services import notification_send
from payments import stripe_client
from payments.models import (
    PAID_STATUSES,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentProvider,
    PaymentStatus,
    ReceiptCounter,
)

logger = logging.getLogger(__name__)


class PaymentErrorCode(StrEnum):
    APPOINTMENT_NOT_PAYABLE = "appointment_not_payable"
    HOLD_EXPIRED = "hold_expired"
    CARD_PAYMENTS_DISABLED = "card_payments_disabled"
    NOT_REFUNDABLE = "payment_not_refundable"
    INVALID_REFUND_AMOUNT = "invalid_refund_amount"
    NOT_CLINIC_PAYMENT = "not_clinic_payment"
    RECEIPT_UNAVAILABLE = "receipt_unavailable"


def _actor(by) -> Any:
    return by if by is not None and getattr(by, "pk", None) else None


def _event_record(
    *,
    payment: Payment,
    from_status: str,
    source: str,
    by=None,
    stripe_event_id: str | None = None,
    amount: int | None = None,
    note: str = "",
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        from_status=from_status,
        to_status=payment.status,
        source=source[:80],
        stripe_event_id=stripe_event_id,
        actor=_actor(by),
        amount=amount,
        note=note[:500],
    )


def _audit(*, payment: Payment, from_status: str, source: str, by=None) -> None:
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


def _notify(
    *,
    payment: Payment,
    template_key: str,
    to_patient: bool = True,
    to_doctor: bool = True,
    extra: dict[str, Any] | None = None,
) -> None:
    appointment = payment.appointment
    doctor_user = appointment.doctor.user
    recipients = ([(appointment.patient, False)] if to_patient else []) + ([(doctor_user, True)] if to_doctor else [])
    for user, is_doctor in recipients:
        context = {
            "is_doctor": is_doctor,
            "doctor_name": str(appointment.doctor),
            "patient_name": appointment.patient.full_name,
            "amount": money_decimal(payment.amount),
            "amount_refunded": money_decimal(payment.amount_refunded),
            "currency": payment.currency,
            "start": appointment.start,
            "timezone": appointment.doctor.timezone,
            "receipt_number": payment.receipt_number or "",
            **(extra or {}),
        }
        notification_send(
            user=user,
            type="payment",
            template_key=template_key,
            context=context,
            data={"payment_id": str(payment.pk), "appointment_id": str(appointment.pk)},
        )


def receipt_number_allocate(*, when=None) -> str:
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


def _mark_succeeded(*, payment: Payment) -> None:
    payment.status = PaymentStatus.SUCCEEDED
    payment.paid_at = payment.paid_at or timezone.now()
    if not payment.receipt_number:
        payment.receipt_number = receipt_number_allocate(when=payment.paid_at)


def _lock_appointment_and_payment(*, payment_id) -> tuple[Appointment, Payment] | tuple[None, None]:
    """Lock in the one order every payment path uses (appointment, then payment) so two paths never deadlock.

    `of=("self",)`: only our rows are locked, never the joined doctor/user rows that booking locks.
    """
    appointment_id = Payment.objects.filter(pk=payment_id).values_list("appointment_id", flat=True).first()
    if appointment_id is None:
        return None, None
    appointment = Appointment.objects.select_for_update().get(pk=appointment_id)
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("appointment__doctor__user", "appointment__patient")
        .get(pk=payment_id)
    )
    payment.appointment = appointment
    return appointment, payment


# --- Card: intents ---------------------------------------------------------------------------


@transaction.atomic
def payment_intent_create(*, patient, appointment_id) -> tuple[Payment, str, bool]:
    """Create (or return) the Stripe PaymentIntent paying `patient`'s own pending card appointment.

    Returns (payment, client_secret, created). Idempotent twice over: the existing Payment row is
    returned, and the Stripe call carries a per-appointment idempotency key, so a retry after a
    lost response never creates a second intent.
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor")
        .filter(pk=appointment_id, patient=patient)
        .first()
    )
    if appointment is None:
        raise NotFoundError(_("Appointment not found."), code="not_found")
    if appointment.status != AppointmentStatus.PENDING_PAYMENT or appointment.payment_method != PaymentMethod.CARD:
        raise ConflictError(
            _("This appointment is not awaiting a card payment."), code=PaymentErrorCode.APPOINTMENT_NOT_PAYABLE
        )
    if appointment.doctor.fee_amount <= 0:
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
        amount=doctor.fee_amount,
        currency=doctor.fee_currency,
        metadata={"appointment_id": str(appointment.pk), "patient_id": str(patient.pk), "doctor_id": str(doctor.pk)},
        idempotency_key=f"tabib-intent-{appointment.pk}",
    )
    payment = Payment.objects.create(
        appointment=appointment,
        method=PaymentMethod.CARD,
        provider=PaymentProvider.STRIPE,
        provider_payment_id=intent["id"],
        amount=doctor.fee_amount,
        currency=doctor.fee_currency,
        status=PaymentStatus.PENDING,
    )
    _event_record(
        payment=payment, from_status="", source=f"user:{patient.pk}", by=patient, note=f"intent {intent['id']}"
    )
    logger.info(
        "payment intent created",
        extra={"payment_id": str(payment.pk), "intent_id": intent["id"], "appointment_id": str(appointment.pk)},
    )
    return payment, intent["client_secret"], True


# --- Card: state changes driven by verified Stripe webhooks --------------------------------------


def _payment_id_for_intent(intent_id: str):
    return (
        Payment.objects.filter(provider=PaymentProvider.STRIPE, provider_payment_id=intent_id)
        .values_list("pk", flat=True)
        .first()
    )


def _already_applied(stripe_event_id: str) -> bool:
    return PaymentEvent.objects.filter(stripe_event_id=stripe_event_id).exists()


def _slot_taken_by_another(appointment: Appointment) -> bool:
    now = timezone.now()
    return (
        Appointment.objects.filter(
            Q(status=AppointmentStatus.CONFIRMED) | Q(status=AppointmentStatus.PENDING_PAYMENT, hold_until__gt=now),
            doctor_id=appointment.doctor_id,
            start__lt=appointment.end,
            end__gt=appointment.start,
        )
        .exclude(pk=appointment.pk)
        .exists()
    )


def _confirm_late(*, appointment: Appointment, source: str) -> bool:
    """expired -> confirmed for a payment that arrived after its hold ran out; False if the slot is gone.

    The explicit check gives a clean answer; the database's no-overlap constraint (PostgreSQL) is
    the last word, hence the savepoint around the transition.
    """
    if _slot_taken_by_another(appointment):
        return False
    try:
        with transaction.atomic():
            appointment_transition(
                appointment=appointment, to_status=AppointmentStatus.CONFIRMED, source=source, note="late payment"
            )
    except IntegrityError:
        appointment.refresh_from_db(fields=["status", "cancelled_at", "cancelled_by"])
        return False
    return True


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
    appointment, payment = _lock_appointment_and_payment(payment_id=payment_id)
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
        _event_record(
            payment=payment,
            from_status=from_status,
            source=stripe_event_id,
            stripe_event_id=stripe_event_id,
            note="already paid",
        )
        return payment
    _mark_succeeded(payment=payment)
    payment.save(
        update_fields=["status", "paid_at", "receipt_number", "stripe_payment_intent", "stripe_charge", "updated_at"]
    )
    _event_record(
        payment=payment,
        from_status=from_status,
        source=stripe_event_id,
        stripe_event_id=stripe_event_id,
        amount=payment.amount,
    )
    _audit(payment=payment, from_status=from_status, source=stripe_event_id)

    confirmed = False
    if appointment.status == AppointmentStatus.PENDING_PAYMENT:
        appointment_transition(appointment=appointment, to_status=AppointmentStatus.CONFIRMED, source=stripe_event_id)
        confirmed = True
    elif appointment.status == AppointmentStatus.EXPIRED:
        confirmed = _confirm_late(appointment=appointment, source=stripe_event_id)
    elif appointment.status in (AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED):
        confirmed = True
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
        _refund(
            payment=payment,
            amount=payment.refundable_amount,
            reason="slot_unavailable",
            by=None,
            source=stripe_event_id,
            idempotency_key=f"tabib-autorefund-{payment.pk}",
        )
        _notify(payment=payment, template_key="payment_auto_refunded", to_doctor=False)
        return payment
    _notify(payment=payment, template_key="payment_succeeded")
    _receipt_email_enqueue(payment=payment)
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
        _event_record(
            payment=payment,
            from_status=from_status,
            source=stripe_event_id,
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
    _event_record(
        payment=payment,
        from_status=from_status,
        source=stripe_event_id,
        stripe_event_id=stripe_event_id,
        note=failure_message,
    )
    _audit(payment=payment, from_status=from_status, source=stripe_event_id)
    if appointment.status == AppointmentStatus.PENDING_PAYMENT:
        appointment_transition(
            appointment=appointment, to_status=AppointmentStatus.EXPIRED, source=stripe_event_id, note="payment failed"
        )
    logger.info("payment failed", extra={"payment_id": str(payment.pk), "stripe_event_id": stripe_event_id})
    metrics.payment_declined()
    _notify(payment=payment, template_key="payment_failed")
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
        payment.status = _refunded_status(payment)
        if not payment.receipt_number:
            _mark_succeeded(payment=payment)
            payment.status = _refunded_status(payment)
    payment.save(update_fields=["status", "amount_refunded", "paid_at", "receipt_number", "updated_at"])
    _event_record(
        payment=payment,
        from_status=from_status,
        source=stripe_event_id,
        stripe_event_id=stripe_event_id,
        amount=payment.amount_refunded,
    )
    _audit(payment=payment, from_status=from_status, source=stripe_event_id)
    logger.info(
        "payment refund applied",
        extra={
            "payment_id": str(payment.pk),
            "stripe_event_id": stripe_event_id,
            "amount_refunded": payment.amount_refunded,
        },
    )
    if payment.amount_refunded > before:
        _notify(payment=payment, template_key="payment_refunded")
    return payment


def _refunded_status(payment: Payment) -> str:
    return PaymentStatus.REFUNDED if payment.amount_refunded >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED


# --- Refunds ------------------------------------------------------------------------------------


def _refund(*, payment: Payment, amount: int, reason: str, by, source: str, idempotency_key: str) -> Payment:
    """Caller holds the appointment and payment locks and has validated `amount`."""
    from_status = payment.status
    if payment.method == PaymentMethod.CARD:
        stripe_client.refund_create(
            payment_intent_id=payment.provider_payment_id,
            amount=amount,
            idempotency_key=idempotency_key,
            metadata={"payment_id": str(payment.pk), "reason": reason[:400]},
        )
    payment.amount_refunded += amount
    payment.status = _refunded_status(payment)
    payment.save(update_fields=["status", "amount_refunded", "updated_at"])
    _event_record(payment=payment, from_status=from_status, source=source, by=by, amount=amount, note=reason)
    _audit(payment=payment, from_status=from_status, source=source, by=by)
    logger.info("payment refunded", extra={"payment_id": str(payment.pk), "amount": amount, "source": source})
    return payment


@transaction.atomic
def payment_refund(*, payment: Payment, amount: int | None = None, reason: str, by) -> Payment:
    """Refund `amount` (default: all that is left) of a paid payment; card payments through Stripe."""
    _appointment, payment = _lock_appointment_and_payment(payment_id=payment.pk)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise ConflictError(_("Only a paid payment can be refunded."), code=PaymentErrorCode.NOT_REFUNDABLE)
    amount = payment.refundable_amount if amount is None else amount
    if amount <= 0 or amount > payment.refundable_amount:
        raise ApplicationError(
            _("The refund must be between 1 and %(max)s (minor units).") % {"max": payment.refundable_amount},
            code=PaymentErrorCode.INVALID_REFUND_AMOUNT,
            attr="amount",
        )
    source = f"user:{by.pk}" if _actor(by) else "system"
    _refund(
        payment=payment,
        amount=amount,
        reason=reason,
        by=by,
        source=source,
        idempotency_key=f"tabib-refund-{payment.pk}-{payment.amount_refunded}-{amount}",
    )
    _notify(payment=payment, template_key="payment_refunded")
    return payment


def payment_refund_for_cancellation(*, appointment: Appointment, by) -> Payment | None:
    """Refund in full a paid card appointment being cancelled; no-op (None) otherwise.

    Called by the appointments cancel service, inside its transaction, once it has decided the
    cancellation deserves a refund (doctor cancels, or patient before the cut-off).
    """
    payment = Payment.objects.filter(appointment=appointment).first()
    if (
        payment is None
        or payment.method != PaymentMethod.CARD
        or payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)
    ):
        return None
    return payment_refund(payment=payment, amount=None, reason="cancellation", by=by)


# --- Clinic desk ---------------------------------------------------------------------------------


@transaction.atomic
def payment_mark_clinic_paid(*, appointment: Appointment, by) -> Payment:
    """The doctor of `appointment` (or staff) records payment at the desk; issues the receipt.
    Marking an already paid appointment returns its payment unchanged."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "patient")
        .get(pk=appointment.pk)
    )
    is_staff = bool(getattr(by, "is_staff", False))
    if not is_staff and appointment.doctor.user_id != by.pk:
        if appointment.patient_id == by.pk:
            raise PermissionDeniedError(
                _("Only the doctor can record a payment at the clinic."), code="permission_denied"
            )
        raise NotFoundError(_("Appointment not found."), code="not_found")
    if appointment.payment_method != PaymentMethod.CLINIC:
        raise ConflictError(_("This appointment is paid by card."), code=PaymentErrorCode.NOT_CLINIC_PAYMENT)
    if appointment.status not in (AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED):
        raise ConflictError(
            _("Only a confirmed or completed appointment can be marked paid."),
            code=PaymentErrorCode.APPOINTMENT_NOT_PAYABLE,
        )
    payment = Payment.objects.select_for_update().filter(appointment=appointment).first()
    if payment is None:
        payment = Payment(
            appointment=appointment,
            method=PaymentMethod.CLINIC,
            provider=PaymentProvider.CLINIC,
            amount=appointment.doctor.fee_amount,
            currency=appointment.doctor.fee_currency,
        )
    elif payment.status in PAID_STATUSES:
        return payment
    payment.appointment = appointment
    from_status = "" if payment._state.adding else payment.status
    _mark_succeeded(payment=payment)
    payment.save()
    source = f"user:{by.pk}"
    _event_record(
        payment=payment, from_status=from_status, source=source, by=by, amount=payment.amount, note="paid at the clinic"
    )
    _audit(payment=payment, from_status=from_status, source=source, by=by)
    _notify(payment=payment, template_key="payment_succeeded")
    _receipt_email_enqueue(payment=payment)
    return payment


# --- Receipts ------------------------------------------------------------------------------------


def _receipt_email_enqueue(*, payment: Payment) -> None:
    from payments.tasks import payment_receipt_email_task

    enqueue_task(payment_receipt_email_task, str(payment.pk))


def payment_receipt_email_send(*, payment_id) -> bool:
    """Email the PDF receipt to the patient once (safe to run twice: it records when it was sent)."""
    from payments.receipts import receipt_pdf_render

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("appointment__doctor__user", "appointment__patient")
            .filter(pk=payment_id)
            .first()
        )
        if payment is None or payment.receipt_emailed_at is not None or not payment.receipt_number:
            return False
        patient = payment.appointment.patient
        pdf = receipt_pdf_render(payment=payment)
        with translation.override(patient.locale):
            context = {
                "patient_name": patient.full_name,
                "doctor_name": str(payment.appointment.doctor),
                "receipt_number": payment.receipt_number,
                "amount": money_decimal(payment.amount),
                "currency": payment.currency,
            }
            subject = render_to_string("payments/email/receipt_subject.txt", context).strip()
            body = render_to_string("payments/email/receipt_body.txt", context)
        message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[patient.email])
        message.attach(f"receipt-{payment.receipt_number}.pdf", pdf, "application/pdf")
        message.send()
        payment.receipt_emailed_at = timezone.now()
        payment.save(update_fields=["receipt_emailed_at", "updated_at"])
    logger.info("receipt emailed", extra={"payment_id": str(payment.pk), "receipt_number": payment.receipt_number})
    return True


# --- Operations ----------------------------------------------------------------------------------


def webhook_endpoint_upsert(*, secret: str, base_url: str = ""):
    """Create or update the local dj-stripe WebhookEndpoint that verifies Stripe's signatures."""
    from django.urls import reverse
    from djstripe.enums import WebhookEndpointStatus, WebhookEndpointValidation
    from djstripe.models import WebhookEndpoint

    from payments.webhooks import HANDLED_EVENTS

    endpoint = WebhookEndpoint.objects.filter(id=LOCAL_WEBHOOK_ENDPOINT_ID).first()
    if endpoint is None:
        endpoint = WebhookEndpoint(id=LOCAL_WEBHOOK_ENDPOINT_ID, livemode=False, metadata={})
    endpoint.secret = secret
    endpoint.enabled_events = sorted(HANDLED_EVENTS)
    endpoint.status = WebhookEndpointStatus.enabled
    endpoint.djstripe_validation_method = WebhookEndpointValidation.verify_signature
    endpoint.api_version = endpoint.api_version or ""
    endpoint.save()
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    if endpoint.url != base_url.rstrip("/") + path:
        endpoint.url = base_url.rstrip("/") + path
        endpoint.save(update_fields=["url"])
    return endpoint


LOCAL_WEBHOOK_ENDPOINT_ID = "we_tabib_local"
