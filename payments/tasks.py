"""A task name of the previous release, kept for one release so that receipt emails it queued before
a rolling deploy still go out, through the Delivery pipeline. Delete this module in the release after."""

from typing import Any

from celery import shared_task

from payments.models import Payment
from payments.receipts import receipt_email_queue


@shared_task
def payment_receipt_email_task(payment_id: Any) -> bool:
    payment = (
        Payment.objects.select_related("appointment__doctor__user", "appointment__patient")
        .filter(pk=payment_id, receipt_emailed_at__isnull=True)
        .first()
    )
    if payment is None:
        return False
    receipt_email_queue(payment=payment)
    return True
