import io

import pytest
import stripe
from django.core.management import CommandError, call_command
from django.urls import reverse
from djstripe.models import PaymentIntent as StripePaymentIntent
from djstripe.models import WebhookEndpoint

from accounts.tests.factories import AdminFactory
from core.exceptions import ApplicationError
from notifications.models import Notification
from payments.models import Payment
from payments.selectors import payment_reconciliation_mismatches
from payments.services import (
    payment_intent_create,
    payment_mark_clinic_paid,
    payment_refund,
    payment_refund_for_cancellation,
    payment_stripe_succeeded,
    receipt_number_allocate,
)
from payments.tests.conftest import TEST_SECRET_KEY, localstripe_pay
from payments.tests.factories import ClinicAppointmentFactory, PendingCardAppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_card_payment(stripe_on_localstripe):
    appointment = PendingCardAppointmentFactory()
    payment, _secret, _created = payment_intent_create(patient=appointment.patient, appointment_id=appointment.pk)
    localstripe_pay(payment.provider_payment_id)
    return payment_stripe_succeeded(intent_id=payment.provider_payment_id, stripe_event_id="evt_test_paid")


def test_receipt_numbers_are_sequential_per_year():
    from datetime import UTC, datetime

    first = receipt_number_allocate(when=datetime(2031, 3, 1, tzinfo=UTC))
    second = receipt_number_allocate(when=datetime(2031, 12, 31, 23, 0, tzinfo=UTC))
    next_year = receipt_number_allocate(when=datetime(2032, 1, 1, tzinfo=UTC))
    assert (first, second, next_year) == ("2031-000001", "2031-000002", "2032-000001")


def test_partial_then_full_refund_through_stripe(paid_card_payment):
    # when staff refund 20.00 then the rest
    admin = AdminFactory()
    payment_refund(payment=paid_card_payment, amount=2000, reason="goodwill", by=admin)
    paid_card_payment.refresh_from_db()
    assert (paid_card_payment.status, paid_card_payment.amount_refunded) == ("partially_refunded", 2000)
    payment_refund(payment=paid_card_payment, reason="rest", by=admin)
    # then our ledger and the Stripe stand-in agree
    paid_card_payment.refresh_from_db()
    assert (paid_card_payment.status, paid_card_payment.amount_refunded) == ("refunded", 5000)
    refunds = stripe.Refund.list(payment_intent=paid_card_payment.provider_payment_id, api_key=TEST_SECRET_KEY)
    assert sorted(r.amount for r in refunds.data) == [2000, 3000]
    assert list(paid_card_payment.events.values_list("to_status", flat=True)) == [
        "pending",
        "succeeded",
        "partially_refunded",
        "refunded",
    ]


def test_refund_beyond_what_is_left_is_refused(paid_card_payment):
    with pytest.raises(ApplicationError) as error:
        payment_refund(payment=paid_card_payment, amount=6000, reason="too much", by=AdminFactory())
    assert error.value.code == "invalid_refund_amount"


def test_cancellation_refunds_a_paid_card_appointment_in_full(paid_card_payment):
    appointment = paid_card_payment.appointment
    payment = payment_refund_for_cancellation(appointment=appointment, by=appointment.patient)
    assert (payment.status, payment.amount_refunded) == ("refunded", 5000)
    assert Notification.objects.filter(template_key="payment_refunded").count() == 2


def test_cancellation_refund_is_a_no_op_without_a_paid_card_payment(stripe_on_localstripe):
    clinic = ClinicAppointmentFactory()
    payment_mark_clinic_paid(appointment=clinic, by=clinic.doctor.user)
    unpaid = PendingCardAppointmentFactory()
    payment_intent_create(patient=unpaid.patient, appointment_id=unpaid.pk)
    assert payment_refund_for_cancellation(appointment=clinic, by=clinic.patient) is None
    assert payment_refund_for_cancellation(appointment=unpaid, by=unpaid.patient) is None
    assert payment_refund_for_cancellation(appointment=PendingCardAppointmentFactory(), by=None) is None
    assert Payment.objects.get(appointment=clinic).status == "succeeded"


def test_success_for_cancelled_appointment_is_refunded(stripe_on_localstripe):
    from appointments.status import appointment_transition

    appointment = PendingCardAppointmentFactory()
    payment, _secret, _created = payment_intent_create(patient=appointment.patient, appointment_id=appointment.pk)
    appointment_transition(appointment=appointment, to_status="cancelled", by=appointment.patient, source="test")
    localstripe_pay(payment.provider_payment_id)
    payment = payment_stripe_succeeded(intent_id=payment.provider_payment_id, stripe_event_id="evt_late")
    assert (payment.status, payment.amount_refunded) == ("refunded", 5000)


def test_stripe_webhook_command_creates_then_updates_the_endpoint():
    out = io.StringIO()
    call_command("stripe_webhook", "--secret", "whsec_one", stdout=out)
    call_command("stripe_webhook", "--secret", "whsec_two", stdout=out)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == "whsec_two"
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    assert out.getvalue().splitlines() == [path, path]
    assert path.startswith("/stripe/webhook/")


def test_stripe_webhook_command_takes_the_secret_from_the_environment_by_default(settings):
    # given the deploy's STRIPE_WEBHOOK_SECRET (the migration job runs the command without arguments)
    settings.STRIPE_WEBHOOK_SECRET = "whsec_from_the_environment"
    # when the command runs with no --secret
    call_command("stripe_webhook", stdout=io.StringIO())
    # then the endpoint verifies with it; with neither, the command refuses
    assert WebhookEndpoint.objects.get().secret == "whsec_from_the_environment"
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="STRIPE_WEBHOOK_SECRET"):
        call_command("stripe_webhook", stdout=io.StringIO())


def test_reconciliation_lists_mismatches_both_ways(paid_card_payment, stripe_on_localstripe):
    # given Stripe (dj-stripe's copy) says one intent succeeded that our ledger never saw...
    appointment = PendingCardAppointmentFactory()
    unseen, _secret, _created = payment_intent_create(patient=appointment.patient, appointment_id=appointment.pk)
    localstripe_pay(unseen.provider_payment_id)
    StripePaymentIntent.sync_from_stripe_data(
        stripe.PaymentIntent.retrieve(unseen.provider_payment_id, api_key=TEST_SECRET_KEY), api_key=TEST_SECRET_KEY
    )
    # ...and our ledger says paid for an intent dj-stripe has no copy of
    assert not StripePaymentIntent.objects.filter(id=paid_card_payment.provider_payment_id).exists()
    # when reconciling
    kinds = {(row["kind"], row["intent_id"]) for row in payment_reconciliation_mismatches()}
    # then both are listed
    assert kinds == {
        ("stripe_succeeded_not_here", unseen.provider_payment_id),
        ("here_succeeded_not_stripe", paid_card_payment.provider_payment_id),
    }


def test_admin_reconciliation_page_and_refund_action(client, paid_card_payment):
    admin = AdminFactory()
    client.force_login(admin)
    page = client.get(reverse("admin:payments_payment_reconciliation"))
    assert page.status_code == 200
    assert paid_card_payment.provider_payment_id in page.content.decode()
    assert client.get(reverse("admin:payments_payment_changelist") + "?status__exact=succeeded").status_code == 200
    form = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [str(paid_card_payment.pk)]},
    )
    assert form.status_code == 200 and b"reason" in form.content
    client.post(
        reverse("admin:payments_payment_changelist"),
        {
            "action": "refund_payments",
            "_selected_action": [str(paid_card_payment.pk)],
            "apply": "1",
            "amount": "1500",
            "reason": "late doctor",
        },
    )
    paid_card_payment.refresh_from_db()
    assert (paid_card_payment.status, paid_card_payment.amount_refunded) == ("partially_refunded", 1500)
    assert paid_card_payment.events.last().note == "late doctor"


def test_demo_seed_is_idempotent():
    from accounts import demo as accounts_demo
    from payments import demo

    out = io.StringIO()
    accounts_demo.seed(out)
    demo.seed(out)
    demo.seed(out)
    assert sorted(Payment.objects.values_list("status", flat=True)) == ["refunded", "succeeded", "succeeded"]
    assert {p.method for p in Payment.objects.all()} == {"card", "clinic"}
