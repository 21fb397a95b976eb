"""A webhook that fails is answered 5xx with a logged reason, stored, shown in the admin, and applied
when Stripe retries after the cause is fixed. Through dj-stripe's real view, correctly signed."""

import json
import logging

import pytest
import stripe
from django.test import Client
from djstripe.models import WebhookEventTrigger

from payments.models import Payment
from payments.services import payment_intent_create
from payments.tests.conftest import TEST_SECRET_KEY, localstripe_pay, stripe_event, stripe_signature
from payments.tests.factories import PendingCardAppointmentFactory

pytestmark = pytest.mark.django_db

MALFORMED_KEY = "sk-live-pasted-with-dashes-0123456789"


@pytest.fixture
def paid_intent(stripe_on_localstripe):
    appointment = PendingCardAppointmentFactory()
    payment, _secret, _created = payment_intent_create(patient=appointment.patient, appointment_id=appointment.pk)
    return payment, localstripe_pay(payment.provider_payment_id)


def deliver(endpoint, event: dict, *, secret: str = "whsec_tabib_test_secret", **headers):
    """Stripe's delivery: the signed body; a 500 is an answer here, as it is for Stripe."""
    payload = json.dumps(event)
    return Client(raise_request_exception=False).post(
        endpoint.url,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload, secret),
        **headers,
    )


def test_malformed_secret_key_fails_loudly_and_the_retry_applies_the_event(
    paid_intent, webhook_endpoint, settings, caplog, admin_client, django_capture_on_commit_callbacks
):
    # given a paid intent, and a deploy that pasted the secret key in the wrong shape
    payment, intent = paid_intent
    event = stripe_event("payment_intent.succeeded", intent)
    settings.STRIPE_SECRET_KEY = settings.STRIPE_TEST_SECRET_KEY = MALFORMED_KEY
    caplog.set_level(logging.ERROR, logger="payments.webhooks")
    # when Stripe delivers the success
    response = deliver(webhook_endpoint, event)
    # then a 5xx (Stripe retries), the reason logged without the key, the event stored for the admin
    assert response.status_code == 500
    failure = next(record for record in caplog.records if record.name == "payments.webhooks")
    assert failure.stripe_event_id == event["id"]
    assert "InvalidStripeAPIKey: Invalid API key" in failure.reason
    assert MALFORMED_KEY not in failure.reason
    trigger = WebhookEventTrigger.objects.get()
    assert json.loads(trigger.body)["id"] == event["id"]
    assert (trigger.valid, trigger.processed) == (True, False)
    assert MALFORMED_KEY not in trigger.exception + trigger.traceback
    changelist = admin_client.get("/admin/djstripe/webhookeventtrigger/")
    assert changelist.status_code == 200
    assert "Invalid API key" in changelist.content.decode()
    payment.refresh_from_db()
    assert payment.status != "succeeded"
    # when the key is fixed and Stripe retries the same event
    settings.STRIPE_SECRET_KEY = settings.STRIPE_TEST_SECRET_KEY = TEST_SECRET_KEY
    with django_capture_on_commit_callbacks(execute=True):
        retry = deliver(webhook_endpoint, event)
    # then it is applied: nothing was lost
    assert retry.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert payment.appointment.status == "confirmed"


def test_handler_exception_is_rolled_back_logged_and_kept(paid_intent, webhook_endpoint, caplog):
    # given a refund event whose amount our handler cannot read
    payment, intent = paid_intent
    charge_id = getattr(intent.latest_charge, "id", intent.latest_charge)
    charge = stripe.Charge.retrieve(charge_id, api_key=TEST_SECRET_KEY).to_dict()
    event = stripe_event("charge.refunded", {**charge, "amount_refunded": "a lot"})
    caplog.set_level(logging.ERROR, logger="payments.webhooks")
    # when Stripe delivers it
    response = deliver(webhook_endpoint, event)
    # then 500 with the reason logged, the trigger kept with its exception, our ledger untouched
    assert response.status_code == 500
    failure = next(record for record in caplog.records if record.name == "payments.webhooks")
    assert failure.stripe_event_type == "charge.refunded"
    assert failure.reason.startswith("ValueError: invalid literal for int()")
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.processed is False and "invalid literal" in trigger.exception
    assert Payment.objects.get(pk=payment.pk).amount_refunded == 0


def test_test_header_secret_override_is_refused_without_debug(paid_intent, webhook_endpoint, settings):
    # given production (DEBUG off) and an attacker who signs with a secret of their own
    payment, intent = paid_intent
    settings.DEBUG = False
    # when they also send dj-stripe's debug-only header naming that secret
    response = deliver(
        webhook_endpoint,
        stripe_event("payment_intent.succeeded", intent),
        secret="whsec_attacker_chosen",
        HTTP_X_DJSTRIPE_WEBHOOK_SECRET="whsec_attacker_chosen",
    )
    # then the signature is checked against the endpoint's own secret only
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status != "succeeded"
