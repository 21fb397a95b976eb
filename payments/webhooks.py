"""Stripe webhook handlers, fed by dj-stripe's signals.

dj-stripe's webhook view verifies the signature, stores the Event (once per Stripe event id) and
syncs its own copy of the object, then sends `WEBHOOK_SIGNALS[event.type]`; `on_stripe_event`
dispatches through `HANDLERS`. Each handler calls a service that locks the rows it changes and
records the Stripe event id (unique), so a replay changes nothing. Unknown events are a no-op.
"""

import logging
from collections.abc import Callable

from djstripe.signals import WEBHOOK_SIGNALS

from payments import services

logger = logging.getLogger(__name__)


def _id(value) -> str:
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


def handle_payment_intent_succeeded(event) -> None:
    intent = event.data["object"]
    services.payment_stripe_succeeded(
        intent_id=intent["id"], stripe_event_id=event.id, charge_id=_id(intent.get("latest_charge"))
    )


def handle_payment_intent_payment_failed(event) -> None:
    intent = event.data["object"]
    error = intent.get("last_payment_error") or {}
    services.payment_stripe_failed(
        intent_id=intent["id"], stripe_event_id=event.id, failure_message=str(error.get("message") or "")[:300]
    )


def handle_charge_refunded(event) -> None:
    charge = event.data["object"]
    intent_id = _id(charge.get("payment_intent"))
    if not intent_id:
        logger.info("stripe refund without intent ignored", extra={"stripe_event_id": event.id})
        return
    services.payment_stripe_refunded(
        intent_id=intent_id, stripe_event_id=event.id, amount_refunded=int(charge.get("amount_refunded") or 0)
    )


HANDLERS: dict[str, Callable] = {
    "payment_intent.succeeded": handle_payment_intent_succeeded,
    "payment_intent.payment_failed": handle_payment_intent_payment_failed,
    "charge.refunded": handle_charge_refunded,
}
HANDLED_EVENTS = frozenset(HANDLERS)


def on_stripe_event(sender, event, **kwargs) -> None:
    handler = HANDLERS.get(event.type)
    logger.info(
        "stripe event received",
        extra={"stripe_event_id": event.id, "stripe_event_type": event.type, "handled": handler is not None},
    )
    if handler is not None:
        handler(event)


def connect() -> None:
    """Called from PaymentsConfig.ready(), after dj-stripe's own receivers (which sync its models first)."""
    for event_type in HANDLERS:
        WEBHOOK_SIGNALS[event_type].connect(on_stripe_event, dispatch_uid=f"payments:{event_type}")
