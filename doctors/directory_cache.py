"""The directory version and the search page cache.

Every write that can change a search page bumps the version (after commit, so a reader that sees
the new version also sees the new rows). A cached page is stored with the version it was built
under and served only while that version is current: one Redis round trip (MGET of the version and
the page) answers a hit, and a single bump retires every page at once.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from core.http_cache import CachePolicy

DIRECTORY_VERSION_KEY = "doctors:directory:version"
# A safety net for writes that bypass the services (raw updates): pages never live longer.
SEARCH_PAGE_TTL_SECONDS = 60
# What apps and shared caches may keep a search page for (`core.http_cache`).
SEARCH_HTTP_CACHE = CachePolicy(max_age=60)


def directory_version() -> int:
    version = cache.get(DIRECTORY_VERSION_KEY)
    if version is None:
        cache.add(DIRECTORY_VERSION_KEY, 1, timeout=None)
        version = cache.get(DIRECTORY_VERSION_KEY) or 1
    return int(version)


def _bump() -> None:
    try:
        cache.incr(DIRECTORY_VERSION_KEY)
    except ValueError:  # key missing (evicted or never set): any page stored under 1 is now stale
        cache.add(DIRECTORY_VERSION_KEY, 2, timeout=None)


def directory_changed() -> None:
    """Retire every cached directory page once the surrounding transaction commits."""
    transaction.on_commit(_bump)


def directory_page_current(*, version: Any, entry: Any) -> Any | None:
    """The page of a cached entry if it was built under `version`, the current one. Shared by
    the view and the ASGI fast path."""
    if version is None or entry is None:
        return None
    built_under, page = entry
    return page if built_under == version else None


def directory_page_get(key: str) -> Any | None:
    """The cached page under `key` if it was built under the current version, else None."""
    found = cache.get_many([DIRECTORY_VERSION_KEY, key])
    return directory_page_current(version=found.get(DIRECTORY_VERSION_KEY), entry=found.get(key))


def directory_page_set(key: str, page: Any, *, version: int) -> None:
    """Store a page built from data read under `version` (read the version BEFORE querying)."""
    cache.set(key, (version, page), SEARCH_PAGE_TTL_SECONDS)


def search_page_key(*, query_lists: Iterable[tuple[str, list[str]]], language: str, host: str, scheme: str) -> str:
    """The cache key of one search page: the raw query (sorted), the language and the absolute
    URL base (the page's next/previous links). Shared by the view and the ASGI fast path."""
    raw = repr((sorted(query_lists), language, host, scheme))
    return "doctors:search:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
