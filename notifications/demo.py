"""Demo notifications: a welcome and a sample per demo patient (idempotent)."""

from notifications.models import Notification, NotificationType
from notifications.services import notification_send


def seed(out) -> None:
    # Up-call (see docs/architecture.md): the demo accounts live above notifications.
    from accounts.demo import PATIENTS
    from accounts.models import User

    users = User.objects.filter(email__in=[email for email, *_rest in PATIENTS])
    created = 0
    for user in users:
        if Notification.objects.filter(user=user, template_key="test").exists():
            continue
        notification_send(
            user=user,
            type=NotificationType.SYSTEM,
            template_key="test",
            context={"name": user.first_name or user.email},
            data={"demo": True},
        )
        created += 1
    out.write(f"  notifications: {created} demo notification(s) created")
