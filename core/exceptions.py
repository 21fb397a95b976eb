"""The one exception type for business-rule failures.

Services raise it; `core.errors` turns it into the API's error shape. The portal shows `message`.
"""

from typing import Any


class ApplicationError(Exception):
    """A rule said no. `status` is the HTTP status the API answers with."""

    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        attr: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.attr = attr
        self.extra = extra or {}
        if status is not None:
            self.status = status


class ConflictError(ApplicationError):
    status = 409


class NotFoundError(ApplicationError):
    status = 404


class PermissionDeniedError(ApplicationError):
    status = 403
