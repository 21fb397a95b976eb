from enum import StrEnum


class WaitlistErrorCode(StrEnum):
    """The `code` of every business-rule error of the waitlist."""

    WAITLIST_LIMIT = "waitlist_limit"
    OFFER_EXPIRED = "offer_expired"
    NO_OFFER = "no_offer"
    IN_PAST = "in_past"
    BEYOND_HORIZON = "beyond_horizon"
    INVALID_RANGE = "invalid_range"
    WINDOW_TOO_LONG = "window_too_long"
    PATIENTS_ONLY = "patients_only"
    NOT_FOUND = "not_found"
