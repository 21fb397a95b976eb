"""Celery tasks of notifications: take ids, call a service, safe to run twice.

Deliveries retry with exponential backoff (base * 2**n seconds, capped) up to
NOTIFICATIONS["DELIVERY_MAX_ATTEMPTS"] attempts; the last failure marks the delivery failed and logs
it. When Celery runs eagerly (tests, no broker) the retries run at once, countdown ignored.
"""

import random

from celery import Task, shared_task
from django.conf import settings

from notifications.services import DeliveryRetry, delivery_email_send, delivery_push_send


def _retry_plan(task: Task) -> tuple[bool, int, int]:
    """(is this the final attempt, max retries, countdown before the next attempt)."""
    conf = settings.NOTIFICATIONS
    max_attempts = max(1, conf["DELIVERY_MAX_ATTEMPTS"])
    retries = task.request.retries
    countdown = min(conf["RETRY_BACKOFF_SECONDS"] * 2**retries, conf["RETRY_BACKOFF_MAX_SECONDS"])
    return retries + 1 >= max_attempts, max_attempts - 1, countdown + random.randint(0, max(1, countdown // 4))


@shared_task(bind=True, acks_late=True)
def notification_email_deliver(self: Task, delivery_id: str) -> None:
    final, max_retries, countdown = _retry_plan(self)
    try:
        delivery_email_send(delivery_id=delivery_id, final_attempt=final)
    except DeliveryRetry as exc:
        raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc


@shared_task(bind=True, acks_late=True)
def notification_push_deliver(self: Task, delivery_id: str) -> None:
    final, max_retries, countdown = _retry_plan(self)
    try:
        delivery_push_send(delivery_id=delivery_id, final_attempt=final)
    except DeliveryRetry as exc:
        raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc
