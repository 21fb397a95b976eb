"""The directory search on the ASGI fast path (`core.asgi_fast_path`): an anonymous
`GET /api/v1/doctors` whose page is cached is answered from Redis with the bytes
`views.DoctorListView` stored, under the same key and only while the directory version is current.
"""

from typing import Any

from core.asgi_fast_path import READ_ONLY_ALLOW, FastRequest
from doctors.directory_cache import (
    DIRECTORY_VERSION_KEY,
    SEARCH_HTTP_CACHE,
    directory_page_current,
    search_page_key,
)

SEARCH_PATHS = {"/api/v1/doctors", "/api/v1/doctors/"}


class DirectorySearchRoute:
    headers = [READ_ONLY_ALLOW]
    cache_policy = SEARCH_HTTP_CACHE

    def matches(self, path: str) -> bool:
        return path in SEARCH_PATHS

    def cache_keys(self, request: FastRequest) -> list[str]:
        return [
            DIRECTORY_VERSION_KEY,
            search_page_key(
                query_lists=request.query.lists(), language=request.language, host=request.host, scheme=request.scheme
            ),
        ]

    def cached_body(self, request: FastRequest, values: list[Any]) -> bytes | None:
        version, entry = values
        return directory_page_current(version=version, entry=entry)
