"""Stripe stand-ins for the payments tests: a localstripe server on 127.0.0.1 and signed webhooks.

Nothing of ours is patched: the stripe SDK (ours and dj-stripe's) is pointed at localstripe through
`STRIPE_API_BASE`, and webhooks go through dj-stripe's real view with Stripe's signature scheme.
"""

import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import stripe

from payments import stripe_client

TEST_SECRET_KEY = "sk_test_tabibLocalStripe0123456789abcd"
TEST_PUBLISHABLE_KEY = "pk_test_tabibLocalStripe0123456789abcd"
WEBHOOK_SECRET = "whsec_tabib_test_secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url():
    """A localstripe server for the whole session (fresh store, stopped at the end)."""
    port = _free_port()
    executable = Path(sys.executable).with_name("localstripe")
    process = subprocess.Popen(
        [str(executable), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_on_localstripe(settings, localstripe_url):
    """Stripe keys set and every SDK call (ours and dj-stripe's) sent to localstripe."""
    from djstripe.models import Account, APIKey

    settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_TEST_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = TEST_PUBLISHABLE_KEY
    settings.STRIPE_API_BASE = localstripe_url
    stripe_client.configure()
    # localstripe has no /v1/account: give dj-stripe the owner account of our key up front.
    account, _ = Account.objects.get_or_create(id="acct_tabib_local", defaults={"livemode": False})
    APIKey.objects.get_or_create(
        secret=TEST_SECRET_KEY, defaults={"type": "secret", "livemode": False, "djstripe_owner_account": account}
    )
    yield localstripe_url
    settings.STRIPE_API_BASE = ""
    stripe_client.configure()


@pytest.fixture
def webhook_endpoint(db):
    from payments.services import webhook_endpoint_upsert

    return webhook_endpoint_upsert(secret=WEBHOOK_SECRET)


def stripe_signature(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(event_type: str, obj, event_id: str | None = None) -> dict:
    """An Event as Stripe (and localstripe) sends it, around a real object fetched from localstripe."""
    data = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "api_version": "2017-08-15",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": data},
    }


@pytest.fixture
def post_webhook(client, webhook_endpoint):
    """`post_webhook(event_dict, secret=...)` -> the response of dj-stripe's webhook view."""

    def post(event: dict, secret: str = WEBHOOK_SECRET):
        payload = json.dumps(event)
        return client.post(
            webhook_endpoint.url,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(payload, secret),
        )

    return post


def localstripe_pay(intent_id: str, card_number: str = "4242424242424242"):
    """Confirm an intent on localstripe as the patient's app would (card attached, then confirm)."""
    api_key = TEST_SECRET_KEY
    method = stripe.PaymentMethod.create(
        type="card", card={"number": card_number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}, api_key=api_key
    )
    stripe.PaymentIntent.modify(intent_id, payment_method=method.id, api_key=api_key)
    with contextlib.suppress(stripe.CardError):  # a declined card: the intent records the failure
        stripe.PaymentIntent.confirm(intent_id, api_key=api_key)
    return stripe.PaymentIntent.retrieve(intent_id, api_key=api_key)
