from enum import StrEnum


class AppointmentErrorCode(StrEnum):
    """The `code` of every business-rule error of the appointments app."""

    SLOT_UNAVAILABLE = "slot_unavailable"
    PATIENT_OVERLAP = "patient_overlap"
    IN_PAST = "in_past"
    INSIDE_MIN_NOTICE = "inside_min_notice"
    BEYOND_HORIZON = "beyond_horizon"
    PAYMENT_METHOD_NOT_ACCEPTED = "payment_method_not_accepted"
    CUTOFF_PASSED = "cutoff_passed"
    NOT_STARTED = "not_started"
    ALREADY_STARTED = "already_started"
    NOT_ACTIVE = "not_active"
    OVERLAPPING_RULES = "overlapping_rules"
    INVALID_RANGE = "invalid_range"
    RANGE_TOO_LONG = "range_too_long"
    INVALID_TIMEZONE = "invalid_timezone"
    PATIENTS_ONLY = "patients_only"
    DOCTORS_ONLY = "doctors_only"
    NOT_FOUND = "not_found"
    TOO_MANY_UPCOMING_WITH_DOCTOR = "too_many_upcoming_with_doctor"
    TOO_MANY_UNPAID_HOLDS = "too_many_unpaid_holds"
    NOT_A_NEW_PATIENT = "not_a_new_patient"
    INVALID_RELATIVE = "invalid_relative"
