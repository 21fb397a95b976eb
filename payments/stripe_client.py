"""The only module that talks to the Stripe SDK.

Everything else calls these functions, so tests (and a local Stripe-compatible server such as
localstripe) only need `STRIPE_API_BASE` to redirect every call, ours and dj-stripe's alike: the
SDK's base URL is process-global, which is also what dj-stripe's re-fetches use.
"""

import logging
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from core import metrics
from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.stripe.com"


class PaymentProviderError(ApplicationError):
    """Stripe refused or could not be reached."""

    status = 502


def configure() -> None:
    """Point the SDK at `STRIPE_API_BASE` (or Stripe itself). Called at start-up and by tests."""
    stripe.api_base = settings.STRIPE_API_BASE or DEFAULT_API_BASE
    stripe.max_network_retries = 2


def is_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _call(operation: str, func, **params: Any):
    configure()
    try:
        return func(api_key=settings.STRIPE_SECRET_KEY, **params)
    except stripe.StripeError as error:
        logger.warning("stripe call failed", extra={"operation": operation, "stripe_error": str(error)[:300]})
        metrics.payment_provider_failed()
        raise PaymentProviderError(
            _("The payment provider could not process the request. Please try again."),
            code="payment_provider_error",
        ) from error


def payment_intent_create(*, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str):
    """A card PaymentIntent. The idempotency key makes a retried call return the first intent."""
    return _call(
        "payment_intent.create",
        stripe.PaymentIntent.create,
        amount=amount,
        currency=currency.lower(),
        metadata=metadata,
        payment_method_types=["card"],
        idempotency_key=idempotency_key,
    )


def payment_intent_retrieve(*, intent_id: str):
    return _call("payment_intent.retrieve", stripe.PaymentIntent.retrieve, id=intent_id)


def refund_create(*, payment_intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str):
    """Refund `amount` minor units of the intent's charge."""
    return _call(
        "refund.create",
        stripe.Refund.create,
        payment_intent=payment_intent_id,
        amount=amount,
        metadata=metadata,
        idempotency_key=idempotency_key,
    )
