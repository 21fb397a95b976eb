"""ASGI fast path: the hottest anonymous public reads answered from Redis bytes without entering Django.

A route (a `FastPathRoute`) says which paths it answers, which cache keys hold the answer to a
request and how to tell a still-valid entry; the route's view stores those entries under the same
keys with the same validation, so the bytes are the ones Django would send. Everything else is
done here the same way for every route: only an anonymous GET (no Authorization, no Cookie) for a
host Django accepts, over https when Django would redirect plain http; the language and scheme
Django would pick; one MGET on a per-event-loop async Redis client; and a response with the headers
Django's middleware adds (request id, Content-Language, Vary, the security headers). Any request it
cannot answer (and any Redis failure) goes to Django unchanged."""

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.http.request import split_domain_port, validate_host
from redis.exceptions import RedisError

from core.http_cache import CachePolicy, etag_matches, etag_of, public_headers
from core.middleware import language_from_accept, request_id_from

Headers = list[tuple[bytes, bytes]]
# What DRF answers for a read-only view.
READ_ONLY_ALLOW = (b"allow", b"GET, HEAD, OPTIONS")


@dataclass(frozen=True)
class FastRequest:
    path: str
    query: QueryDict
    host: str
    scheme: str
    language: str
    # Without a supported Accept-Language, LocaleMiddleware looks for the signed-in user's locale,
    # which reads the session: Django's answer then carries Vary: Cookie.
    language_from_header: bool


class FastPathRoute(Protocol):
    # Headers the route's Django view adds, e.g. Allow.
    headers: Headers
    # The view's HTTP caching policy (`core.http_cache`).
    cache_policy: CachePolicy

    def matches(self, path: str) -> bool:
        """A cheap test on the path alone."""

    def cache_keys(self, request: FastRequest) -> list[str] | None:
        """The cache keys of the answer, or None when the request is not one to answer here."""

    def cached_body(self, request: FastRequest, values: list[Any]) -> bytes | None:
        """The body from the decoded values of `cache_keys` (None where missing), if still valid."""


def _security_headers(scheme: str) -> Headers:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to a response, per the settings."""
    headers: Headers = []
    if settings.SECURE_HSTS_SECONDS and scheme == "https":
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append((b"strict-transport-security", value.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        parts = [part.strip() for part in policy.split(",")] if isinstance(policy, str) else policy
        headers.append((b"referrer-policy", ",".join(parts).encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode()))
    return headers


def _scheme(scope, headers: dict[bytes, bytes]) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        if name in headers:
            return "https" if headers[name].decode("latin-1").split(",", 1)[0].strip() == secure_value else "http"
    return scope.get("scheme") or "http"


def _request(scope, headers: dict[bytes, bytes]) -> FastRequest | None:
    """The request as Django would see it, or None when Django would refuse or redirect it."""
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = _scheme(scope, headers)
    if settings.SECURE_SSL_REDIRECT and scheme != "https":
        return None
    try:
        query = QueryDict(scope.get("query_string", b"").decode())
    except UnicodeDecodeError:
        return None
    language = language_from_accept(headers.get(b"accept-language", b"").decode("latin-1"))
    return FastRequest(
        path=scope["path"],
        query=query,
        host=host,
        scheme=scheme,
        language=language or "en",
        language_from_header=language is not None,
    )


class AsgiFastPath:
    def __init__(self, app, routes: Sequence[FastPathRoute]) -> None:
        self.app = app
        self.routes = routes
        # Without Redis there is nothing to read; behind a proxy that sets the host, let Django decide.
        self.redis_url = settings.REDIS_URL
        self.enabled = bool(self.redis_url) and not settings.USE_X_FORWARDED_HOST
        self._security_headers = {scheme: _security_headers(scheme) for scheme in ("http", "https")}
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def __call__(self, scope, receive, send) -> None:
        if self.enabled and scope["type"] == "http" and scope["method"] == "GET":
            route = next((route for route in self.routes if route.matches(scope["path"])), None)
            if route is not None and await self._answer(route, scope, send):
                return
        await self.app(scope, receive, send)

    def _redis(self):
        from redis.asyncio import Redis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = Redis.from_url(self.redis_url)
        return client

    async def _answer(self, route: FastPathRoute, scope, send) -> bool:
        headers = dict(scope.get("headers") or [])
        anonymous = b"authorization" not in headers and b"cookie" not in headers
        request = _request(scope, headers) if anonymous else None
        body = await self._cached_body(route, request) if request is not None else None
        if body is None:
            return False
        etag = etag_of(body)
        not_modified = etag_matches(headers.get(b"if-none-match", b"").decode("latin-1"), etag)
        # What the view's `core.http_cache.public_response` sends; its Vary covers the session's.
        caching = [
            (name.lower().encode(), value.encode())
            for name, value in public_headers(policy=route.cache_policy, etag=etag, private=False)
        ]
        content = [] if not_modified else [(b"content-type", b"application/json")]
        await send(
            {
                "type": "http.response.start",
                "status": 304 if not_modified else 200,
                "headers": [
                    *content,
                    (b"content-length", b"0" if not_modified else str(len(body)).encode()),
                    (b"content-language", request.language.encode()),
                    (b"x-request-id", request_id_from(headers.get(b"x-request-id", b"").decode("latin-1")).encode()),
                    *caching,
                    *route.headers,
                    *self._security_headers[request.scheme],
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"" if not_modified else body})
        return True

    async def _cached_body(self, route: FastPathRoute, request: FastRequest) -> bytes | None:
        keys = route.cache_keys(request)
        if keys is None:
            return None
        try:
            raw = await self._redis().mget([cache.make_key(key) for key in keys])
        except (OSError, RedisError):
            return None
        return route.cached_body(request, [None if value is None else cache.client.decode(value) for value in raw])
