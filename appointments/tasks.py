from celery import shared_task

from appointments import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def appointments_expire_lapsed_holds() -> int:
    """Tidy lapsed holds to `expired` (idempotent; availability never waits for it)."""
    return services.appointment_expire_lapsed_holds()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def doctors_refresh_next_available() -> int:
    """Recompute every verified doctor's `next_available_at`: slots run out as time passes."""
    return services.doctors_refresh_next_available()


@shared_task
def appointments_send_reminders() -> int:
    """Beat task (every few minutes): the 24 h and 1 h appointment reminders that are due."""
    return services.appointment_reminders_send_due()
