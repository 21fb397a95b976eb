"""Public availability on the ASGI fast path (`core.asgi_fast_path`): an anonymous
`GET /api/v1/doctors/{id}/availability?from=YYYY-MM-DD&to=YYYY-MM-DD[&visit_type=<uuid>]` whose answer for the current
minute is cached is served from Redis with the bytes `availability_cache.availability_json` stored,
under the same keys and with the same check (schedule version and doctor facts).

Dates in any other form, or missing, or a visit type that is not a UUID, go to Django, which validates
them and picks the defaults.
"""

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from django.urls.converters import UUIDConverter

from appointments.availability_cache import AVAILABILITY_HTTP_CACHE, availability_cached, availability_keys
from core.asgi_fast_path import READ_ONLY_ALLOW, FastRequest

PATH = re.compile(rf"/api/v1/doctors/(?P<doctor_id>{UUIDConverter.regex})/availability/?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: str | None) -> date | None:
    if value is None or not DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class AvailabilityRoute:
    headers = [READ_ONLY_ALLOW]
    cache_policy = AVAILABILITY_HTTP_CACHE

    def matches(self, path: str) -> bool:
        return PATH.fullmatch(path) is not None

    def cache_keys(self, request: FastRequest) -> list[str] | None:
        date_from, date_to = _date(request.query.get("from")), _date(request.query.get("to"))
        if date_from is None or date_to is None:
            return None
        visit_type_id = request.query.get("visit_type") or None
        if visit_type_id is not None:
            try:
                visit_type_id = uuid.UUID(visit_type_id)
            except ValueError:
                return None
        return list(
            availability_keys(
                doctor_id=PATH.fullmatch(request.path)["doctor_id"],
                date_from=date_from,
                date_to=date_to,
                minute=datetime.now(UTC).replace(second=0, microsecond=0),
                visit_type_id=visit_type_id,
            )
        )

    def cached_body(self, request: FastRequest, values: list[Any]) -> bytes | None:
        facts, version, answer = values
        return availability_cached(facts=facts, version=version, answer=answer)
