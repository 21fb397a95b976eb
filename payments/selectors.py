from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core.exceptions import NotFoundError
from payments.models import PAID_STATUSES, Payment, PaymentMethod


def _visible_to(user: User) -> Q:
    if user.role == Role.DOCTOR:
        return Q(appointment__doctor__user=user)
    if user.role == Role.PATIENT:
        return Q(appointment__patient=user)
    return Q(pk__in=[])


def payment_list_for_user(*, user: User) -> QuerySet[Payment]:
    """The payments of the user's own appointments (as patient or as doctor), newest first."""
    return Payment.objects.filter(_visible_to(user)).order_by("-created_at")


def payment_get_for_user(*, user: User, payment_id: Any) -> Payment:
    """A payment of one of the user's appointments, with what its receipt shows; else 404."""
    payment = (
        Payment.objects.filter(_visible_to(user), pk=payment_id)
        .select_related(
            "appointment__doctor__user", "appointment__patient", "appointment__visit_type", "appointment__relative"
        )
        .first()
    )
    if payment is None:
        raise NotFoundError(_("Payment not found."), code="not_found")
    return payment


def payment_receipt_available(*, payment: Payment) -> bool:
    """Whether `payment` has a receipt to show: the one answer for the API, the portal and the email.

    Every payment that was paid has one, refunded ones included: the receipt number was issued when
    the money arrived, and the PDF lists what was refunded since. Pending and failed payments have none.
    """
    return bool(payment.receipt_number) and payment.status in PAID_STATUSES


def payment_reconciliation_mismatches() -> list[dict]:
    """Card payments where our ledger and dj-stripe's PaymentIntent copies disagree.

    - `stripe_succeeded_not_here`: Stripe says succeeded, our payment is not paid (or missing).
    - `here_succeeded_not_stripe`: our payment is paid, Stripe's intent is missing or not succeeded.
    """
    from djstripe.models import PaymentIntent

    mismatches: list[dict] = []
    intents = {pi.id: pi for pi in PaymentIntent.objects.all()}
    payments = {
        p.provider_payment_id: p
        for p in Payment.objects.filter(method=PaymentMethod.CARD)
        .exclude(provider_payment_id="")
        .select_related("appointment")
    }
    for intent_id, intent in intents.items():
        stripe_status = (intent.stripe_data or {}).get("status", "")
        payment = payments.get(intent_id)
        if stripe_status == "succeeded" and (payment is None or payment.status not in PAID_STATUSES):
            mismatches.append(
                {
                    "kind": "stripe_succeeded_not_here",
                    "intent_id": intent_id,
                    "stripe_status": stripe_status,
                    "payment": payment,
                    "ledger_status": payment.status if payment else "",
                }
            )
    for intent_id, payment in payments.items():
        intent = intents.get(intent_id)
        stripe_status = (intent.stripe_data or {}).get("status", "") if intent else ""
        if payment.status in PAID_STATUSES and stripe_status != "succeeded":
            mismatches.append(
                {
                    "kind": "here_succeeded_not_stripe",
                    "intent_id": intent_id,
                    "stripe_status": stripe_status or "missing",
                    "payment": payment,
                    "ledger_status": payment.status,
                }
            )
    return mismatches
