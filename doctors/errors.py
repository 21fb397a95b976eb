"""Error codes the doctors app answers with (the `code` of the API error shape)."""

from enum import StrEnum


class DoctorErrorCode(StrEnum):
    INVALID_TIMEZONE = "invalid_timezone"
    INVALID_SPECIALTY = "invalid_specialty"
    INVALID_CURRENCY = "invalid_currency"
    INVALID_PAYMENT_METHOD = "invalid_payment_method"
    INVALID_LANGUAGE = "invalid_language"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    APPOINTMENT_NOT_COMPLETED = "appointment_not_completed"
    ALREADY_REVIEWED = "already_reviewed"
    ALREADY_REPLIED = "already_replied"
    REVIEW_NOT_FOUND = "review_not_found"
    DOCTOR_NOT_FOUND = "doctor_not_found"
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_VISIT_TYPE = "invalid_visit_type"
    DEFAULT_VISIT_TYPE = "default_visit_type"
