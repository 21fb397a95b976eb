"""ASGI fast path for the hottest public read: an anonymous `GET /api/v1/doctors` whose page is
already cached is answered straight from Redis, without entering Django's middleware stack.

It serves exactly the bytes `views.DoctorListView` stored, under the same key
(`directory_cache.search_page_key`) and only while the directory version is current; anything
else (a token, a cookie, a miss, no Redis) goes to Django unchanged.
"""

import asyncio
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.http.request import split_domain_port, validate_host
from django.utils.translation.trans_real import parse_accept_lang_header

from core.middleware import _VALID_REQUEST_ID, SUPPORTED_LANGUAGES
from doctors.directory_cache import DIRECTORY_VERSION_KEY, search_page_key

SEARCH_PATHS = {"/api/v1/doctors", "/api/v1/doctors/"}
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"allow", b"GET, HEAD, OPTIONS"),
]


class DirectorySearchFastPath:
    def __init__(self, app) -> None:
        self.app = app
        self.enabled = bool(settings.REDIS_URL) and not settings.USE_X_FORWARDED_HOST
        self._clients: dict[int, object] = {}

    async def __call__(self, scope, receive, send):
        if self.enabled and scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in SEARCH_PATHS:
            headers = dict(scope.get("headers") or [])
            if b"authorization" not in headers and b"cookie" not in headers:
                content = await self._cached_page(scope, headers)
                if content is not None:
                    await self._respond(headers, content, send)
                    return
        await self.app(scope, receive, send)

    def _redis(self):
        from redis.asyncio import Redis

        loop_id = id(asyncio.get_running_loop())
        if loop_id not in self._clients:
            self._clients[loop_id] = Redis.from_url(settings.REDIS_URL)
        return self._clients[loop_id]

    @staticmethod
    def _language(headers) -> str:
        for lang, _q in parse_accept_lang_header(headers.get(b"accept-language", b"").decode("latin-1")):
            code = lang.split("-")[0].lower()
            if code in SUPPORTED_LANGUAGES:
                return code
        return "en"

    @staticmethod
    def _scheme(scope, headers) -> str:
        if settings.SECURE_PROXY_SSL_HEADER:
            meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
            name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode()
            if name in headers:
                return "https" if headers[name].decode("latin-1").split(",", 1)[0].strip() == secure_value else "http"
        return scope.get("scheme") or "http"

    async def _cached_page(self, scope, headers) -> bytes | None:
        host = headers.get(b"host", b"").decode("latin-1")
        domain, _port = split_domain_port(host)
        if not host or not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return None
        query = QueryDict(scope.get("query_string", b"").decode())
        key = search_page_key(query_lists=query.lists(), language=self._language(headers), host=host,
                              scheme=self._scheme(scope, headers))
        try:
            raw_version, raw_entry = await self._redis().mget(cache.make_key(DIRECTORY_VERSION_KEY),
                                                              cache.make_key(key))
        except OSError:
            return None
        if raw_version is None or raw_entry is None:
            return None
        version, content = cache.client.decode(raw_entry)
        return content if version == cache.client.decode(raw_version) else None

    @staticmethod
    async def _respond(headers, content: bytes, send) -> None:
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        language = DirectorySearchFastPath._language(headers)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
            (b"content-language", language.encode()), (b"x-request-id", request_id.encode()), *SECURITY_HEADERS,
        ]})
        await send({"type": "http.response.body", "body": content})
