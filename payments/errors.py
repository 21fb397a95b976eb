from enum import StrEnum


class PaymentErrorCode(StrEnum):
    """The `code` of every business-rule error of the payments app."""

    APPOINTMENT_NOT_PAYABLE = "appointment_not_payable"
    HOLD_EXPIRED = "hold_expired"
    CARD_PAYMENTS_DISABLED = "card_payments_disabled"
    NOT_REFUNDABLE = "payment_not_refundable"
    INVALID_REFUND_AMOUNT = "invalid_refund_amount"
    NOT_CLINIC_PAYMENT = "not_clinic_payment"
    RECEIPT_UNAVAILABLE = "receipt_unavailable"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
