import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

current_request_id: ContextVar[str] = ContextVar("request_id", default="")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (or makes one), logs with it and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not request.headers: that would build a dict of every header on each request.
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID", ""))
        token = current_request_id.set(request_id)
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def request_id_from(incoming: str) -> str:
    """The caller's request id when it is safe to log and echo back, else a new one."""
    return incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class LocaleMiddleware:
    """Picks the language of a response.

    API: Accept-Language, else the signed-in user's saved locale, else English (JWT users are only
    known inside DRF, so `core.authentication` applies their locale when the header is absent).
    Pages (portal, admin): the signed-in user's saved locale, else the language cookie, else the
    header, so the portal's EN/FR switch wins over the browser's default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            language = language_from_header(request) or user_locale(request)
        else:
            language = user_locale(request) or language_from_cookie(request) or language_from_header(request)
        language = language or "en"
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or language)
        translation.deactivate()
        return response


SUPPORTED_LANGUAGES = ("en", "fr")


def language_from_header(request) -> str | None:
    return language_from_accept(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))


def language_from_accept(header: str) -> str | None:
    """The first supported language of an Accept-Language header."""
    for lang, _q in translation.trans_real.parse_accept_lang_header(header):
        code = lang.split("-")[0].lower()
        if code in SUPPORTED_LANGUAGES:
            return code
    return None


def language_from_cookie(request) -> str | None:
    from django.conf import settings

    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return cookie if cookie in SUPPORTED_LANGUAGES else None


def user_locale(request) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.locale in SUPPORTED_LANGUAGES:
        return user.locale
    return None


class ApiTrailingSlashMiddleware:
    """API paths are written without a trailing slash; a trailing slash is accepted too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/v1/") and len(request.path_info) > len("/api/v1/"):
            request.path_info = request.path_info.rstrip("/")
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """413 for a request whose Content-Length is over settings.MAX_REQUEST_BODY_BYTES, decided on
    the header alone: Django never reads, parses or stores the body (it would otherwise parse a
    multipart upload and write its files before the view's own size check refuses it). Daphne has
    received the body by then; the load balancer's `client_max_body_size` stops the transfer itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django answers a malformed header itself
        if declared > settings.MAX_REQUEST_BODY_BYTES:
            detail = _("The request body is too large.")
            if request.path.startswith("/api/"):
                body = {
                    "type": "client_error",
                    "errors": [{"code": "request_too_large", "detail": detail, "attr": None}],
                }
                response = JsonResponse(body, status=413)
            else:
                response = HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
            # The unread body stays on the connection: close it rather than parse it as a request.
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class ApiPrivateByDefaultMiddleware:
    """An API answer nobody marked cacheable (`core.http_cache` marks the public reads) is private
    and not stored: it is someone's appointments, messages, tokens or an error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/") and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response
