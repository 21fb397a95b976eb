"""Error codes the accounts API answers with (the `code` of the API's error shape)."""

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    TOKEN_NOT_VALID = "token_not_valid"
    EMAIL_TAKEN = "email_taken"
    INVALID_KEY = "invalid_key"
    INVALID_RESET_TOKEN = "invalid_reset_token"
    WRONG_PASSWORD = "wrong_password"
    PASSWORD_INVALID = "password_invalid"
    NOT_A_PATIENT = "not_a_patient"
    INVALID_LOCALE = "invalid_locale"
    INVALID_TIMEZONE = "invalid_timezone"
    SOCIAL_TOKEN_INVALID = "social_token_invalid"
    SOCIAL_EMAIL_NOT_VERIFIED = "social_email_not_verified"
    SOCIAL_PROVIDER_UNAVAILABLE = "social_provider_unavailable"
    SOCIAL_PROVIDER_NOT_CONFIGURED = "social_provider_not_configured"
    SOCIAL_LINK_REQUIRES_PASSWORD = "social_link_requires_password"
    SOCIAL_ACCOUNT_LINKED_ELSEWHERE = "social_account_linked_elsewhere"
    INVALID_TOTP_CODE = "invalid_totp_code"
    TOTP_ALREADY_ENABLED = "totp_already_enabled"
    TOO_MANY_RELATIVES = "too_many_relatives"
    RELATIVE_HAS_UPCOMING_APPOINTMENTS = "relative_has_upcoming_appointments"
    INVALID_DATE_OF_BIRTH = "invalid_date_of_birth"
    INVALID_NAME = "invalid_name"
    NOT_FOUND = "not_found"
