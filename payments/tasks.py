from celery import shared_task

from payments import services


@shared_task(
    bind=True, autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=1800, retry_jitter=True, max_retries=6
)
def payment_receipt_email_task(self, payment_id: str) -> bool:
    """Email the receipt PDF of `payment_id` (no-op once sent)."""
    return services.payment_receipt_email_send(payment_id=payment_id)
