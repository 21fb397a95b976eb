"""The payments app's services, one module per concern behind this one name:

- `intents`: the Stripe PaymentIntent of a pending card appointment;
- `webhooks`: the ledger changes verified Stripe events make (success, failure, refunds);
- `refunds`: refunds by staff, by a cancellation, automatic ones;
- `desk`: pay at the clinic;
- `receipts`: receipt numbers, the PDF and its email;
- `endpoints`: the local webhook endpoint;
- `ledger`: the steps they share (history rows, locks, the participants' messages).

Callers outside payments import from here.
"""

from payments.desk import payment_mark_clinic_paid
from payments.endpoints import LOCAL_WEBHOOK_ENDPOINT_ID, webhook_endpoint_upsert
from payments.errors import PaymentErrorCode
from payments.intents import payment_intent_create
from payments.ledger import money_decimal, receipt_number_allocate
from payments.refunds import payment_refund, payment_refund_for_cancellation
from payments.webhooks import payment_stripe_failed, payment_stripe_refunded, payment_stripe_succeeded

__all__ = [
    "LOCAL_WEBHOOK_ENDPOINT_ID",
    "PaymentErrorCode",
    "money_decimal",
    "payment_intent_create",
    "payment_mark_clinic_paid",
    "payment_refund",
    "payment_refund_for_cancellation",
    "payment_stripe_failed",
    "payment_stripe_refunded",
    "payment_stripe_succeeded",
    "receipt_number_allocate",
    "webhook_endpoint_upsert",
]
