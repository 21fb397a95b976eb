"""dj-stripe's real webhook view, correctly signed payloads built around real localstripe objects."""

import re
from datetime import UTC

import pytest
import stripe
from djstripe.models import Event, WebhookEventTrigger

from appointments.models import AppointmentStatusChange
from appointments.tests.factories import open_every_day
from core.testing.metrics import metric_value
from notifications.models import Notification
from payments import stripe_client
from payments.models import Payment, PaymentEvent
from payments.services import payment_intent_create
from payments.tests.conftest import TEST_SECRET_KEY, localstripe_pay, stripe_event
from payments.tests.factories import PendingCardAppointmentFactory
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_payment(stripe_on_localstripe):
    appointment = PendingCardAppointmentFactory()
    payment, _secret, _created = payment_intent_create(patient=appointment.patient, appointment_id=appointment.pk)
    return payment


def test_signed_success_confirms_appointment_and_issues_receipt(
    pending_payment, post_webhook, django_capture_on_commit_callbacks, mailoutbox
):
    # given an intent paid on the Stripe stand-in
    intent = localstripe_pay(pending_payment.provider_payment_id)
    assert intent.status == "succeeded"
    # when Stripe tells us, correctly signed
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(stripe_event("payment_intent.succeeded", intent))
    # then the payment succeeded with a receipt number and the appointment is confirmed
    assert response.status_code == 200
    pending_payment.refresh_from_db()
    assert pending_payment.status == "succeeded"
    assert re.fullmatch(rf"{pending_payment.paid_at.astimezone(UTC).year}-\d{{6}}", pending_payment.receipt_number)
    assert pending_payment.stripe_payment_intent is not None
    assert pending_payment.appointment.status == "confirmed"
    assert Notification.objects.filter(template_key="payment_succeeded").count() == 2
    receipts = [mail for mail in mailoutbox if mail.attachments]
    assert len(receipts) == 1 and receipts[0].attachments[0][2] == "application/pdf"


def test_same_event_twice_is_applied_once(pending_payment, post_webhook, django_capture_on_commit_callbacks):
    # given a success event already delivered
    intent = localstripe_pay(pending_payment.provider_payment_id)
    event = stripe_event("payment_intent.succeeded", intent)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(event).status_code == 200
    # when Stripe delivers it again
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(event).status_code == 200
    # then nothing was applied twice
    assert PaymentEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert (
        AppointmentStatusChange.objects.filter(appointment=pending_payment.appointment, to_status="confirmed").count()
        == 1
    )
    assert Notification.objects.filter(template_key="payment_succeeded").count() == 2
    assert Event.objects.filter(id=event["id"]).count() == 1


def test_failed_payment_never_confirms_and_frees_the_slot(pending_payment, post_webhook):
    # given a declined card on the Stripe stand-in
    intent = localstripe_pay(pending_payment.provider_payment_id, card_number="4000000000000341")
    assert intent.status == "requires_payment_method"
    # when the failure arrives
    response = post_webhook(stripe_event("payment_intent.payment_failed", intent))
    # then the payment failed and the appointment expired instead of being confirmed
    assert response.status_code == 200
    pending_payment.refresh_from_db()
    assert pending_payment.status == "failed"
    assert pending_payment.appointment.status == "expired"
    # only the patient hears of it: the doctor was never told about the unpaid hold
    assert list(Notification.objects.filter(template_key="payment_failed").values_list("user", flat=True)) == [
        pending_payment.appointment.patient_id
    ]


def test_failure_arriving_after_success_changes_nothing(pending_payment, post_webhook):
    # given a payment that succeeded
    intent = localstripe_pay(pending_payment.provider_payment_id)
    post_webhook(stripe_event("payment_intent.succeeded", intent))
    # when a (stale) failure event arrives afterwards
    failed = {**intent.to_dict(), "status": "requires_payment_method"}
    response = post_webhook(stripe_event("payment_intent.payment_failed", failed))
    # then the payment and appointment stay as they were
    assert response.status_code == 200
    pending_payment.refresh_from_db()
    assert pending_payment.status == "succeeded"
    assert pending_payment.appointment.status == "confirmed"


def test_charge_refunded_marks_partial_then_full_refund(pending_payment, post_webhook):
    # given a paid intent, refunded in part on Stripe's side
    intent = localstripe_pay(pending_payment.provider_payment_id)
    post_webhook(stripe_event("payment_intent.succeeded", intent))
    stripe.Refund.create(payment_intent=intent.id, amount=1000, api_key=TEST_SECRET_KEY)
    charge_id = getattr(intent.latest_charge, "id", intent.latest_charge)
    charge = stripe.Charge.retrieve(charge_id, api_key=TEST_SECRET_KEY).to_dict()
    # when charge.refunded events arrive (localstripe does not emit them: built from its charge)
    response = post_webhook(stripe_event("charge.refunded", {**charge, "amount_refunded": 1000, "refunded": False}))
    # then the payment is partially refunded
    assert response.status_code == 200
    pending_payment.refresh_from_db()
    assert (pending_payment.status, pending_payment.amount_refunded) == ("partially_refunded", 1000)
    # and a later full refund completes it, an older replayed figure does not undo it
    post_webhook(stripe_event("charge.refunded", {**charge, "amount_refunded": 5000, "refunded": True}))
    post_webhook(stripe_event("charge.refunded", {**charge, "amount_refunded": 1000, "refunded": False}))
    pending_payment.refresh_from_db()
    assert (pending_payment.status, pending_payment.amount_refunded) == ("refunded", 5000)
    assert Notification.objects.filter(template_key="payment_refunded").count() == 4


def test_forged_signature_is_rejected_and_ledger_untouched(pending_payment, post_webhook):
    # given a paid intent and an attacker who does not know the endpoint secret
    intent = localstripe_pay(pending_payment.provider_payment_id)
    # when they post the success event signed with another secret
    response = post_webhook(stripe_event("payment_intent.succeeded", intent), secret="whsec_forged")
    # then 400, only dj-stripe's trigger log remembers it, our ledger is untouched
    assert response.status_code == 400
    pending_payment.refresh_from_db()
    assert pending_payment.status == "pending"
    assert pending_payment.appointment.status == "pending_payment"
    assert PaymentEvent.objects.filter(stripe_event_id__isnull=False).count() == 0
    assert WebhookEventTrigger.objects.get().valid is False


def test_unsigned_request_is_rejected(pending_payment, client, webhook_endpoint):
    response = client.post(webhook_endpoint.url, data="{}", content_type="application/json")
    assert response.status_code == 400
    assert Payment.objects.get().status == "pending"


def test_success_for_expired_hold_reconfirms_when_slot_still_free(pending_payment, post_webhook):
    # given the hold ran out and the tidy-up job expired the appointment
    from appointments.status import appointment_transition

    appointment = pending_payment.appointment
    appointment_transition(appointment=appointment, to_status="expired", source="test")
    intent = localstripe_pay(pending_payment.provider_payment_id)
    # when the payment succeeds late
    post_webhook(stripe_event("payment_intent.succeeded", intent))
    # then the appointment is confirmed after all
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_success_for_expired_hold_whose_slot_is_gone_is_refunded(pending_payment, post_webhook):
    # given the hold expired and someone else booked the slot meanwhile
    from appointments.status import appointment_transition

    appointment = pending_payment.appointment
    appointment_transition(appointment=appointment, to_status="expired", source="test")
    PendingCardAppointmentFactory(doctor=appointment.doctor, start=appointment.start, status="confirmed")
    intent = localstripe_pay(pending_payment.provider_payment_id)
    # when the late success arrives
    response = post_webhook(stripe_event("payment_intent.succeeded", intent))
    # then the money goes back automatically and the patient is told
    assert response.status_code == 200
    pending_payment.refresh_from_db()
    appointment.refresh_from_db()
    assert appointment.status == "expired"
    assert (pending_payment.status, pending_payment.amount_refunded) == ("refunded", 5000)
    assert stripe.Refund.list(payment_intent=intent.id, api_key=TEST_SECRET_KEY).data[0].amount == 5000
    assert Notification.objects.get(template_key="payment_auto_refunded").user == appointment.patient


def test_event_type_we_do_not_handle_is_a_no_op(pending_payment, post_webhook):
    # given an intent event that is not in our handler table
    intent = stripe.PaymentIntent.retrieve(pending_payment.provider_payment_id, api_key=TEST_SECRET_KEY)
    # when it arrives
    response = post_webhook(stripe_event("payment_intent.created", intent))
    # then dj-stripe stores it and our ledger does not move
    assert response.status_code == 200
    pending_payment.refresh_from_db()
    assert pending_payment.status == "pending"
    assert PaymentEvent.objects.filter(stripe_event_id__isnull=False).count() == 0


def test_signed_success_webhook_query_count_is_pinned(
    pending_payment, post_webhook, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # given a paid intent; when dj-stripe's real view takes the signed event and our handler confirms
    # the appointment, numbers the receipt and tells both participants
    intent = localstripe_pay(pending_payment.provider_payment_id)
    event = stripe_event("payment_intent.succeeded", intent)
    with django_assert_max_num_queries(WEBHOOK_QUERY_BUDGET), django_capture_on_commit_callbacks(execute=False):
        response = post_webhook(event)
    # then it fits a fixed budget (dj-stripe's event/object sync included)
    assert response.status_code == 200


WEBHOOK_QUERY_BUDGET = 76  # measured on SQLite and PostgreSQL


def test_declined_payment_is_counted_once_however_often_stripe_sends_it(
    pending_payment, post_webhook, django_capture_on_commit_callbacks
):
    # given a declined card and the failed-payments counter
    intent = localstripe_pay(pending_payment.provider_payment_id, card_number="4000000000000341")
    before = metric_value("tabib_payment_failures_total", reason="declined")
    event = stripe_event("payment_intent.payment_failed", intent)
    # when Stripe delivers the failure twice
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(event).status_code == 200
        assert post_webhook(event).status_code == 200
    # then one failed payment is counted
    assert metric_value("tabib_payment_failures_total", reason="declined") == before + 1


def test_failure_after_success_is_not_counted_as_a_failed_payment(
    pending_payment, post_webhook, django_capture_on_commit_callbacks
):
    intent = localstripe_pay(pending_payment.provider_payment_id)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(stripe_event("payment_intent.succeeded", intent))
    before = metric_value("tabib_payment_failures_total", reason="declined")
    stale_failure = {**intent.to_dict(), "status": "requires_payment_method"}

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(stripe_event("payment_intent.payment_failed", stale_failure))

    assert metric_value("tabib_payment_failures_total", reason="declined") == before


def test_unreachable_gateway_is_counted_as_a_failed_payment(settings, auth_client):
    # given Stripe keys but a gateway address nothing listens on
    settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_API_BASE = "http://127.0.0.1:18897"
    appointment = PendingCardAppointmentFactory()
    before = metric_value("tabib_payment_failures_total", reason="provider_error")
    client = auth_client(appointment.patient)
    client.raise_request_exception = False  # a 5xx is reported as a request exception: see the response
    # when the patient asks for an intent
    try:
        response = client.post("/api/v1/payments/intents", {"appointment_id": str(appointment.pk)})
    finally:
        settings.STRIPE_API_BASE = ""
        stripe_client.configure()
    # then the API says the gateway failed, and the failure is counted
    assert response.status_code == 502
    assert metric_value("tabib_payment_failures_total", reason="provider_error") == before + 1


def test_a_failed_payment_offers_the_slot_to_the_waitlist(pending_payment, post_webhook):
    appointment = pending_payment.appointment
    open_every_day(appointment.doctor)
    entry = WaitlistEntryFactory(doctor=appointment.doctor)
    intent = localstripe_pay(pending_payment.provider_payment_id, card_number="4000000000000341")

    post_webhook(stripe_event("payment_intent.payment_failed", intent))

    entry.refresh_from_db()
    assert entry.status == "offered"
    assert (entry.offer_appointment.start, entry.offer_appointment.status) == (appointment.start, "pending_payment")
