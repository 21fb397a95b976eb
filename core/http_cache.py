"""HTTP caching of the public reads (specialties, search, doctor card, availability, FAQ, policies).

One place decides their `Cache-Control`, `ETag` and `Vary`, for the Django views and for the ASGI
fast path (`core.asgi_fast_path`), so a cache sees the same headers whichever answered.

The ETag is a digest of the exact bytes sent. Those bytes are themselves cached by the server under
its data versions (the directory version of search pages, the per-doctor schedule version of
availability), so on those routes a revalidation costs one cache round trip and no query; and a
new version that renders the same bytes (a booking outside the window asked for) still answers 304.

Anonymous answers are `public`; an answer to a request that carries credentials is `private`, and
`Vary` names everything an answer depends on (language, token, session cookie), so a shared cache
never hands one caller's answer to another.
"""

import hashlib
from dataclasses import dataclass

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework.renderers import JSONRenderer

VARY = "Accept-Language, Authorization, Cookie"


@dataclass(frozen=True)
class CachePolicy:
    max_age: int
    stale_while_revalidate: int = 0

    def cache_control(self, *, private: bool) -> str:
        if private:
            return "private, no-cache"
        value = f"public, max-age={self.max_age}"
        if self.stale_while_revalidate:
            value += f", stale-while-revalidate={self.stale_while_revalidate}"
        return value


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match header against our (strong) ETag."""
    if not if_none_match:
        return False
    tags = parse_etags(if_none_match)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def public_headers(*, policy: CachePolicy, etag: str, private: bool) -> list[tuple[str, str]]:
    return [("Cache-Control", policy.cache_control(private=private)), ("ETag", etag), ("Vary", VARY)]


def carries_credentials(request) -> bool:
    """A token or a signed-in session: the answer is that caller's, whatever the view did with it."""
    return bool(request.META.get("HTTP_AUTHORIZATION")) or bool(getattr(request.user, "is_authenticated", False))


def public_response(request, *, body: bytes, policy: CachePolicy) -> HttpResponse:
    """The JSON `body` with its caching headers, or 304 when the caller already holds these bytes."""
    etag = etag_of(body)
    if etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    for name, value in public_headers(policy=policy, etag=etag, private=carries_credentials(request)):
        response[name] = value
    return response


def public_json_response(request, *, data, policy: CachePolicy) -> HttpResponse:
    return public_response(request, body=JSONRenderer().render(data), policy=policy)
