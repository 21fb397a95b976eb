"""Side effects after commit: the one place services hand work to Celery and the channel layer.

A rolled-back transaction must never leave an email sent or a socket frame delivered, so both go
through `transaction.on_commit`. Recipients are always explicit.
"""

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core import metrics

logger = logging.getLogger(__name__)


def user_group(user_id: Any) -> str:
    """The channel-layer group of every open socket of one user."""
    return f"user.{user_id}"


def enqueue_task(task, *args: Any, **kwargs: Any) -> None:
    """`task.delay(*args)` once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task.delay(*args, **kwargs))


def broadcast(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Send one channel-layer event to each group after commit."""
    targets = list(groups)

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for group in targets:
            try:
                async_to_sync(layer.group_send)(group, event)
            except Exception:
                # The change is committed and the clients catch up through /sync: the caller's
                # request must not fail now, nor the other groups miss the event.
                logger.exception("socket event not delivered", extra={"group": group, "event": event.get("type")})
                metrics.socket_delivery_failed(event=event.get("type", ""))

    transaction.on_commit(send)
