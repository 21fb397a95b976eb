"""Idempotency keys: a retried request gets the first answer back instead of acting twice.

Used by `POST /appointments` and `POST /payments/intents`. The record is taken (row-locked) in the
same transaction as the work, so two concurrent requests with one key serialise: the second waits
for the first, then replays its answer. A failed attempt (an error raised by the handler) rolls the
record back with everything else, so retrying after an error really retries. Records are kept a
day (as Stripe keeps its own keys), then pruned daily by `idempotency_records_prune`.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ConflictError
from core.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)


@dataclass(frozen=True)
class IdempotentResult:
    status: int
    body: Any
    replayed: bool


def idempotency_fingerprint(payload: Any) -> str:
    """A stable hash of a request body (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _record_take(*, user, scope: str, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, scope=scope, key=key, fingerprint=fingerprint), True
    except IntegrityError:
        # Someone else holds (or held) this key: wait for their transaction, then read their answer.
        return IdempotencyRecord.objects.select_for_update().get(user=user, scope=scope, key=key), False


def idempotent_call(
    *, user, scope: str, key: str | None, payload: Any, handler: Callable[[], tuple[int, Any]]
) -> IdempotentResult:
    """Run `handler` (-> (status, json body)) once per (user, scope, key); replay its answer afterwards.

    Same key with a different payload -> 409 `idempotency_key_reused`. Without a key, just runs.
    """
    if not key:
        status, body = handler()
        return IdempotentResult(status=status, body=body, replayed=False)
    key = key[:MAX_KEY_LENGTH]
    fingerprint = idempotency_fingerprint(payload)
    with transaction.atomic():
        record, created = _record_take(user=user, scope=scope, key=key, fingerprint=fingerprint)
        if record.fingerprint != fingerprint:
            raise ConflictError(
                _("This Idempotency-Key was already used with a different request."), code="idempotency_key_reused"
            )
        if not created and record.response_status is not None:
            return IdempotentResult(status=record.response_status, body=record.response_body, replayed=True)
        status, body = handler()
        record.response_status = status
        record.response_body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        record.save(update_fields=["response_status", "response_body", "updated_at"])
        return IdempotentResult(status=status, body=record.response_body, replayed=False)


def idempotency_records_prune(*, now: datetime | None = None) -> int:
    """Forget keys older than `RETENTION`: a retry that late is a new request. Returns how many."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
