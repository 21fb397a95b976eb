"""Who has a socket open on which thread, in the shared cache (Redis when configured).

A counter per user and thread, so several sockets (phone + portal, several Daphne processes) add up.
Keys carry a TTL refreshed while the socket lives: a process that dies without disconnecting leaves
a stale count for at most PRESENCE_TTL seconds, after which the user counts as offline again.
"""

from typing import Any

from django.core.cache import cache

PRESENCE_TTL = 300


def _key(thread_id: Any, user_id: Any) -> str:
    return f"chat:presence:{thread_id}:{user_id}"


def presence_join(*, thread_id: Any, user_id: Any) -> int:
    key = _key(thread_id, user_id)
    cache.add(key, 0, PRESENCE_TTL)
    try:
        count = cache.incr(key)
    except ValueError:  # expired (or the cache was flushed) between the two calls
        cache.set(key, 1, PRESENCE_TTL)
        return 1
    cache.touch(key, PRESENCE_TTL)
    return count


def presence_leave(*, thread_id: Any, user_id: Any) -> int:
    try:
        return cache.decr(_key(thread_id, user_id))
    except ValueError:  # expired meanwhile: already counted as offline
        return 0


def presence_touch(*, thread_id: Any, user_id: Any) -> None:
    cache.touch(_key(thread_id, user_id), PRESENCE_TTL)


def presence_is_online(*, thread_id: Any, user_id: Any) -> bool:
    return (cache.get(_key(thread_id, user_id)) or 0) > 0
