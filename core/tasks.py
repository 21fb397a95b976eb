from celery import shared_task

from core.idempotency import idempotency_records_prune
from core.sync import sync_prune


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def sync_prune_task() -> int:
    """Daily: drop sync change-log rows that no unexpired cursor can need (idempotent)."""
    return sync_prune()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def idempotency_prune_task() -> int:
    """Daily: forget Idempotency-Key answers past their retention (idempotent)."""
    return idempotency_records_prune()
