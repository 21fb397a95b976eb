"""System checks for the Stripe settings (run by every manage.py command, and by `check --deploy`).

A key of the wrong shape is not refused by Stripe until the first webhook: dj-stripe parses the key
deep inside the webhook view and every event fails. These checks refuse it before the first customer.
"""

import re

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from djstripe.models.api import API_KEY_REGEX

WEBHOOK_SECRET_REGEX = r"^whsec_[A-Za-z0-9_]{8,}$"


def _key_kind(key: str) -> tuple[str, str] | None:
    """('sk'|'rk'|'pk', 'test'|'live') for a well-formed key, as dj-stripe parses it; else None."""
    match = re.match(API_KEY_REGEX, key)
    return (match.group(1), match.group(2)) if match else None


@register(Tags.compatibility)
def check_stripe_keys(app_configs, **kwargs) -> list:
    errors: list = []
    secret, publishable = settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY
    secret_kind = _key_kind(secret) if secret else None
    if secret and (secret_kind is None or secret_kind[0] not in ("sk", "rk")):
        errors.append(
            Error(
                "STRIPE_SECRET_KEY is not a Stripe secret key: every webhook would fail and no card payment "
                "would ever confirm.",
                hint="Use the secret (sk_test_.../sk_live_...) or restricted (rk_...) key from Stripe's dashboard, "
                "without quotes or spaces; leave it empty to offer pay-at-the-clinic only.",
                id="tabib.E001",
            )
        )
    publishable_kind = _key_kind(publishable) if publishable else None
    if publishable and (publishable_kind is None or publishable_kind[0] != "pk"):
        errors.append(
            Error(
                "STRIPE_PUBLISHABLE_KEY is not a Stripe publishable key.",
                hint="Use the publishable key (pk_test_.../pk_live_...): the apps confirm card payments with it.",
                id="tabib.E002",
            )
        )
    elif secret and not publishable:
        errors.append(
            Error(
                "Card payments are on (STRIPE_SECRET_KEY is set) but STRIPE_PUBLISHABLE_KEY is empty.",
                hint="Set STRIPE_PUBLISHABLE_KEY (pk_...) from the same Stripe account.",
                id="tabib.E002",
            )
        )
    webhook_secret = settings.STRIPE_WEBHOOK_SECRET
    if webhook_secret and not re.match(WEBHOOK_SECRET_REGEX, webhook_secret):
        errors.append(
            Error(
                "STRIPE_WEBHOOK_SECRET is not a webhook signing secret: no webhook signature would verify.",
                hint="Copy the endpoint's signing secret (whsec_...) from Stripe's dashboard.",
                id="tabib.E003",
            )
        )
    if secret_kind and publishable_kind and secret_kind[1] != publishable_kind[1]:
        errors.append(
            Warning(
                f"STRIPE_SECRET_KEY is a {secret_kind[1]} key but STRIPE_PUBLISHABLE_KEY a {publishable_kind[1]} key.",
                hint="Take both keys from the same mode (test or live) of the same account.",
                id="tabib.W001",
            )
        )
    return errors


@register(Tags.compatibility, deploy=True)
def check_stripe_webhook_secret(app_configs, **kwargs) -> list:
    if settings.CARD_PAYMENTS_ENABLED and not settings.STRIPE_WEBHOOK_SECRET:
        return [
            Error(
                "Card payments are on but STRIPE_WEBHOOK_SECRET is empty: only a verified webhook confirms a "
                "card payment, so none would ever confirm.",
                hint="Set STRIPE_WEBHOOK_SECRET (whsec_...); the deploy stores it with `manage.py stripe_webhook`.",
                id="tabib.E004",
            )
        ]
    return []
