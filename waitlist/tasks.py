from celery import shared_task

from waitlist import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def waitlist_tidy() -> dict[str, int]:
    """Beat task: pass lapsed offers on, expire entries whose window has passed (idempotent)."""
    return services.waitlist_tidy()
