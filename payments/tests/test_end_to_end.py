"""End to end over HTTP: our API creates the intent on localstripe, the "app" confirms it there,
localstripe delivers the signed webhook to our live server, the appointment ends confirmed.

localstripe does not emit `charge.refunded`, so the refund leg posts a payload built from the real
localstripe charge (after the refund), signed with the endpoint secret, over HTTP to the same server.
"""

import json
import time
import urllib.parse
import urllib.request

import pytest
import stripe

from accounts.tests.factories import AdminFactory
from appointments.models import Appointment
from payments.models import Payment, PaymentEvent
from payments.services import payment_refund
from payments.tests.conftest import TEST_SECRET_KEY, WEBHOOK_SECRET, localstripe_pay, stripe_event, stripe_signature
from payments.tests.factories import PendingCardAppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _post_form(url: str, data: dict) -> None:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


@pytest.fixture
def localstripe_delivers_to(stripe_on_localstripe, live_server, webhook_endpoint):
    """Register our live webhook URL with localstripe; switch delivery off again afterwards."""
    config_url = f"{stripe_on_localstripe}/_config/webhooks/tabib-e2e"
    url = live_server.url + webhook_endpoint.url
    _post_form(config_url, {"url": url, "secret": WEBHOOK_SECRET})
    yield url
    _post_form(config_url, {"url": url, "secret": WEBHOOK_SECRET, "events[0]": "none"})


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_card_payment_end_to_end_then_refund(localstripe_delivers_to, auth_client):
    # given a patient holding a slot
    appointment = PendingCardAppointmentFactory()
    # when they create the intent through our API and pay it on the Stripe stand-in
    response = auth_client(appointment.patient).post(
        "/api/v1/payments/intents", {"appointment_id": str(appointment.pk)}
    )
    assert response.status_code == 201
    payment = Payment.objects.get(pk=response.json()["payment_id"])
    intent = localstripe_pay(payment.provider_payment_id)
    assert intent.status == "succeeded"
    # then localstripe's signed webhook reaches dj-stripe's view and the appointment is confirmed
    assert _wait_for(lambda: Appointment.objects.get(pk=appointment.pk).status == "confirmed")
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.receipt_number
    assert PaymentEvent.objects.filter(payment=payment, stripe_event_id__startswith="evt_").count() == 1

    # when staff refund it in full (on localstripe) and Stripe's charge.refunded arrives over HTTP
    payment_refund(payment=payment, reason="doctor unavailable", by=AdminFactory())
    charge_id = getattr(intent.latest_charge, "id", intent.latest_charge)
    charge = stripe.Charge.retrieve(charge_id, api_key=TEST_SECRET_KEY)
    assert charge.amount_refunded == 5000
    payload = json.dumps(stripe_event("charge.refunded", charge))
    request = urllib.request.Request(
        localstripe_delivers_to,
        data=payload.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload)},
    )
    with urllib.request.urlopen(request, timeout=10) as delivered:
        assert delivered.status == 200
    # then the ledger says refunded once, and the event is recorded
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", 5000)
    assert PaymentEvent.objects.filter(payment=payment, stripe_event_id=json.loads(payload)["id"]).exists()
