"""Check an in-process API answer against the committed contract (docs/openapi.yaml), with the
same validation schemathesis applies to the live stack: status code, content type and body."""

from functools import cache
from pathlib import Path

import httpx
import schemathesis
from django.conf import settings


@cache
def _contract():
    return schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "docs" / "openapi.yaml")


def assert_matches_contract(response, *, path: str, method: str) -> None:
    """`path` as the schema writes it (`/api/v1/doctors/{id}`); raises when the answer is not one the
    schema describes for that operation."""
    request = httpx.Request(method.upper(), f"http://testserver{response.request['PATH_INFO']}")
    answer = httpx.Response(
        response.status_code, headers=dict(response.headers), content=response.content, request=request
    )
    _contract()[path][method.upper()].validate_response(answer)
