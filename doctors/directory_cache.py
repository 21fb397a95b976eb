"""The directory version: every write that can change a search page bumps it.

Cached search pages are keyed by it, so a bump makes every cached page unreachable at once
(they then expire by themselves). The bump runs after commit: a reader that sees the new version
also sees the new rows.
"""

from django.core.cache import cache
from django.db import transaction

DIRECTORY_VERSION_KEY = "doctors:directory:version"


def directory_version() -> int:
    version = cache.get(DIRECTORY_VERSION_KEY)
    if version is None:
        cache.add(DIRECTORY_VERSION_KEY, 1, timeout=None)
        version = cache.get(DIRECTORY_VERSION_KEY) or 1
    return int(version)


def _bump() -> None:
    try:
        cache.incr(DIRECTORY_VERSION_KEY)
    except ValueError:  # key missing (evicted or never set): start a fresh series
        cache.add(DIRECTORY_VERSION_KEY, 2, timeout=None)


def directory_changed() -> None:
    """Invalidate every cached directory page once the surrounding transaction commits."""
    transaction.on_commit(_bump)
