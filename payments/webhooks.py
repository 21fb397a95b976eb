"""Stripe webhook handlers, fed by dj-stripe's signals.

dj-stripe's webhook view verifies the signature, stores the Event (once per Stripe event id) and
syncs its own copy of the object, then sends `WEBHOOK_SIGNALS[event.type]`; `on_stripe_event`
dispatches through `HANDLERS`. Each handler calls a service that locks the rows it changes and
records the Stripe event id (unique), so a replay changes nothing. Unknown events are a no-op.
"""

import logging
import re
from collections.abc import Callable

from djstripe.signals import WEBHOOK_SIGNALS, webhook_processing_error

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


_STRIPE_KEY = re.compile(r"\b((?:sk|rk|pk)_(?:test|live)_|whsec_)[A-Za-z0-9_]+")
_REFUSED_KEY = re.compile(r"(Invalid API key: )'[^']*'")


def redact_stripe_keys(text: str) -> str:
    """dj-stripe quotes a refused key whole in its error; the trigger row and the log keep only its prefix."""
    return _REFUSED_KEY.sub(r"\1'[redacted]'", _STRIPE_KEY.sub(r"\1[redacted]", text))


def on_webhook_processing_error(sender, instance, exception, **kwargs) -> None:
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
