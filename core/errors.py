"""Every error the API returns has the drf-standardized-errors shape, including Django's own 404/500."""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_standardized_errors.handler import ExceptionHandler as StandardizedExceptionHandler
from psycopg_pool import PoolTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf_exceptions

from core.exceptions import ApplicationError


class _ApplicationAPIException(drf_exceptions.APIException):
    def __init__(self, error: ApplicationError) -> None:
        super().__init__(detail=error.message, code=error.code)
        self.status_code = error.status
        self.attr = error.attr


class RequestTooLarge(drf_exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


class ServiceUnavailable(drf_exceptions.APIException):
    """Overloaded or cut off from PostgreSQL or Redis: try again shortly (with `Retry-After`)."""

    status_code = 503
    default_detail = gettext_lazy("The service is busy. Please try again in a few seconds.")
    default_code = "service_unavailable"
    wait = 5  # seconds, sent as Retry-After


_UNAVAILABLE = (PoolTimeout, RedisConnectionError, RedisTimeoutError)


def _is_unavailable(exc: BaseException | None) -> bool:
    """No database connection came free from the pool in time, or Redis could not be reached or
    its pool had nothing free: what Django's and django-redis' wrappers were raised from."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, _UNAVAILABLE):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class ExceptionHandler(StandardizedExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, ApplicationError):
            return _ApplicationAPIException(exc)
        if _is_unavailable(exc):
            return ServiceUnavailable()
        # Django raises these while DRF reads the body; untreated they would be 500s.
        if isinstance(exc, RequestDataTooBig):
            return RequestTooLarge()
        if isinstance(exc, SuspiciousOperation):
            return drf_exceptions.ParseError()
        return super().convert_known_exceptions(exc)

    def format_exception(self, exc):
        data = super().format_exception(exc)
        attr = getattr(exc, "attr", None)
        if attr and isinstance(exc, _ApplicationAPIException):
            data["errors"][0]["attr"] = attr
        for error in data["errors"]:
            # A list body's item errors are named by their index (`[null]` -> 0): `attr` is always a string.
            if error["attr"] is not None:
                error["attr"] = str(error["attr"])
        return data


def _error_body(error_type: str, code: str, detail: str) -> dict:
    return {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}]}


def django_not_found(request, exception=None):
    if request.path.startswith("/api/") or request.path.startswith("/health/"):
        return JsonResponse(_error_body("client_error", "not_found", _("Not found.")), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def django_server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(_error_body("server_error", "error", _("A server error occurred.")), status=500)
    from django.views.defaults import server_error

    return server_error(request)
