"""Races that only a real server shows: PostgreSQL row locks under concurrent requests."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from appointments.models import AppointmentStatusChange
from payments.models import Payment, PaymentEvent
from payments.services import payment_stripe_succeeded, receipt_number_allocate
from payments.tests.factories import PendingCardAppointmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(func):
    def run(arg):
        try:
            return func(arg)
        finally:
            connection.close()

    return run


def test_concurrent_receipt_numbers_are_unique_and_gap_free():
    # given 20 payments succeeding at once in the same (new) year
    @_in_thread
    def allocate(_):
        with transaction.atomic():
            number = receipt_number_allocate(when=datetime(2033, 5, 1, tzinfo=UTC))
            time.sleep(0.01)  # keep the counter lock a little while
            return number

    # when each allocates its number concurrently
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(allocate, range(20)))
    # then the numbers are 1..20, each once
    assert sorted(numbers) == [f"2033-{n:06d}" for n in range(1, 21)]


def test_same_stripe_event_delivered_concurrently_is_applied_once():
    # given a pending card payment
    appointment = PendingCardAppointmentFactory()
    Payment.objects.create(
        appointment=appointment,
        method="card",
        provider="stripe",
        provider_payment_id="pi_race",
        amount=5000,
        currency="EUR",
    )

    # when the same success event is processed by several workers at once
    @_in_thread
    def deliver(_):
        return payment_stripe_succeeded(intent_id="pi_race", stripe_event_id="evt_race").status

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(deliver, range(4)))
    # then it was applied once: one ledger event, one confirmation
    assert statuses == ["succeeded"] * 4
    assert PaymentEvent.objects.filter(stripe_event_id="evt_race").count() == 1
    assert AppointmentStatusChange.objects.filter(appointment=appointment, to_status="confirmed").count() == 1
