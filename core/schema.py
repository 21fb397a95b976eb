"""OpenAPI generation: core's extensions (drf-spectacular finds them once imported) and the error contract.

Every operation documents the errors it can answer, in the API's error shape, with the codes each
status can carry as an enum of that operation. The codes come from three places: what the framework
raises for any view of that kind (authentication, permissions, paging, parsing, throttles), the
input serializer's and filters' validation codes, and the business codes a view declares with
`@api_errors({409: [AppointmentErrorCode.SLOT_UNAVAILABLE], ...})` next to its `extend_schema`.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_standardized_errors.openapi import AutoSchema as StandardizedAutoSchema
from drf_standardized_errors.openapi_utils import get_flat_serializer_fields, get_serializer_fields_with_error_codes
from inflection import camelize
from rest_framework import serializers

_DECLARED_ATTR = "_api_error_codes"
_VALIDATION = "validation"
# Statuses whose codes are the same for every operation unless a view declares more.
DEFAULT_CODES: dict[str, frozenset[str]] = {
    # simplejwt: a bad or expired token is `token_not_valid`, a deleted/deactivated user `user_*`.
    "401": frozenset(
        {"authentication_failed", "not_authenticated", "token_not_valid", "user_not_found", "user_inactive"}
    ),
    "403": frozenset({"permission_denied"}),
    "404": frozenset({"not_found"}),
    "405": frozenset({"method_not_allowed"}),
    "406": frozenset({"not_acceptable"}),
    "413": frozenset({"request_too_large"}),
    "415": frozenset({"unsupported_media_type"}),
    "429": frozenset({"throttled"}),
    # Any operation, when no database or Redis connection comes free in time (core.errors).
    "503": frozenset({"service_unavailable"}),
}
_BODY_METHODS = ("POST", "PUT", "PATCH")


def api_errors(
    codes: Mapping[int, Iterable[str]] | None = None,
    *,
    query: type[serializers.Serializer] | None = None,
    validation: Iterable[str] = (),
) -> Callable:
    """Declare the error codes a view method answers with beyond what the schema sees by itself:
    business codes per status, and the validation codes of query parameters it validates by hand
    (`query`: the serializer it validates them with; `validation`: any other codes)."""
    declared = {str(status): frozenset(map(str, found)) for status, found in (codes or {}).items()}
    validation_codes = set(validation)
    if query is not None:
        fields = get_serializer_fields_with_error_codes(get_flat_serializer_fields(query()))
        validation_codes.update(code for field in fields for code in field.error_codes)
    if validation_codes:
        declared[_VALIDATION] = frozenset(validation_codes)

    def decorate(method: Callable) -> Callable:
        setattr(method, _DECLARED_ATTR, declared)
        return method

    return decorate


def _error_serializer(name: str, *, types: Iterable[str], codes: Iterable[str]) -> type[serializers.Serializer]:
    """`{"type", "errors": [{"code", "detail", "attr"}]}` with `type` and `code` as enums.

    The item's name ends with drf-standardized-errors' component suffix so its code enum stays inline
    (one per operation) instead of being merged into a shared enum."""
    code_choices = sorted(set(codes))
    type_choices = sorted(set(types))

    item = type(
        f"{name}Item",
        (serializers.Serializer,),
        {
            "code": serializers.ChoiceField(choices=code_choices),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
            "Meta": type("Meta", (), {"ref_name": f"{name}Item"}),
        },
    )
    return type(
        name,
        (serializers.Serializer,),
        {
            "type": serializers.ChoiceField(choices=type_choices),
            "errors": item(many=True),
            "Meta": type("Meta", (), {"ref_name": name}),
        },
    )


def _error_type(status_code: str) -> str:
    return "server_error" if status_code.startswith("5") else "client_error"


_SHARED: dict[str, type[serializers.Serializer]] = {
    status: _error_serializer(f"Api{status}Error", types=[_error_type(status)], codes=codes)
    for status, codes in DEFAULT_CODES.items()
}


class AutoSchema(StandardizedAutoSchema):
    """drf-standardized-errors' schema, with per-operation code enums, 409 and 413."""

    def _declared_codes(self) -> dict[str, frozenset[str]]:
        method = getattr(self.view, self.method.lower(), None)
        return getattr(method, _DECLARED_ATTR, {})

    def _has_request_body(self) -> bool:
        return self.method in _BODY_METHODS and self.get_request_serializer() is not None

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in responses:
            return False
        declared = self._declared_codes()
        if status_code in declared:
            return True
        if status_code == "400":
            return _VALIDATION in declared or self._has_request_body() or self._should_add_validation_error_response()
        if status_code == "409":
            return False
        if status_code == "413":
            return self._has_request_body()
        if status_code == "415":
            return self._has_request_body()
        return super()._should_add_error_response(responses, status_code)

    def _validation_codes(self) -> set[str]:
        codes = set(self._declared_codes().get(_VALIDATION, ()))
        if not self._should_add_validation_error_response():
            return codes
        for field in self._determine_fields_with_error_codes():
            codes.update(field.error_codes)
        for field_codes in self._get_extra_validation_errors().values():
            codes.update(field_codes)
        return codes

    def _get_error_response_serializer(self, status_code: str) -> Any:
        declared = self._declared_codes().get(status_code, frozenset())
        prefix = camelize(self.get_operation_id())
        if status_code == "400":
            validation = self._validation_codes()
            client = set(declared)
            if self._has_request_body():
                client.add("parse_error")
            types = (["validation_error"] if validation else []) + (["client_error"] if client else [])
            return _error_serializer(f"{prefix}400Error", types=types, codes=validation | client)
        if not declared - DEFAULT_CODES.get(status_code, frozenset()):
            return _SHARED[status_code]
        return _error_serializer(
            f"{prefix}{status_code}Error",
            types=[_error_type(status_code)],
            codes=declared | DEFAULT_CODES.get(status_code, frozenset()),
        )

    def _get_error_response_examples(self) -> list:
        return []


class TabibJWTScheme(SimpleJWTScheme):
    """Our JWTAuthentication only adds locale handling: same bearer scheme as simplejwt's."""

    target_class = "core.authentication.JWTAuthentication"
    name = "jwtAuth"
