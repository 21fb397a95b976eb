from typing import Any

from django.db import models

from core.models import AuditLog


def audit_record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    ip_address: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit row. Call it inside the transaction of the change it records."""
    return AuditLog.objects.create(
        action=action,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip_address=ip_address,
        data=data or {},
    )
