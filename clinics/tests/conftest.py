"""Stripe on localstripe for the back-office tests that refund a card (payments.tests' fixtures)."""

from payments.tests.conftest import localstripe_url, stripe_on_localstripe  # noqa: F401 (shared fixtures)
