"""Pay at the clinic: the doctor (or staff) records the payment at the desk; the receipt follows."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors import appointment_fee
from appointments.services import DOCTOR, PATIENT
from core.exceptions import ConflictError, NotFoundError, PermissionDeniedError
from payments.errors import PaymentErrorCode
from payments.ledger import payment_audit, payment_event_record, payment_mark_succeeded, payment_participants_notify
from payments.models import PAID_STATUSES, Payment, PaymentMethod, PaymentProvider
from payments.receipts import receipt_email_queue


@transaction.atomic
def payment_mark_clinic_paid(*, appointment: Appointment, by: Any) -> Payment:
    """The doctor of `appointment` (or staff) records payment at the desk; issues the receipt.
    Marking an already paid appointment returns its payment unchanged."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "patient", "visit_type")
        .get(pk=appointment.pk)
    )
    is_staff = bool(getattr(by, "is_staff", False))
    if not is_staff and appointment.doctor.user_id != by.pk:
        if appointment.patient_id == by.pk:
            raise PermissionDeniedError(
                _("Only the doctor can record a payment at the clinic."), code=PaymentErrorCode.PERMISSION_DENIED
            )
        raise NotFoundError(_("Appointment not found."), code=PaymentErrorCode.NOT_FOUND)
    if appointment.payment_method != PaymentMethod.CLINIC:
        raise ConflictError(_("This appointment is paid by card."), code=PaymentErrorCode.NOT_CLINIC_PAYMENT)
    if appointment.status not in (AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED):
        raise ConflictError(
            _("Only a confirmed or completed appointment can be marked paid."),
            code=PaymentErrorCode.APPOINTMENT_NOT_PAYABLE,
        )
    payment = Payment.objects.select_for_update().filter(appointment=appointment).first()
    if payment is None:
        amount, currency = appointment_fee(appointment=appointment)
        payment = Payment(
            appointment=appointment,
            method=PaymentMethod.CLINIC,
            provider=PaymentProvider.CLINIC,
            amount=amount,
            currency=currency,
        )
    elif payment.status in PAID_STATUSES:
        return payment
    payment.appointment = appointment
    from_status = "" if payment._state.adding else payment.status
    payment_mark_succeeded(payment=payment)
    payment.save()
    source = f"user:{by.pk}"
    payment_event_record(
        payment=payment, from_status=from_status, source=source, by=by, amount=payment.amount, note="paid at the clinic"
    )
    payment_audit(payment=payment, from_status=from_status, source=source, by=by)
    payment_participants_notify(payment=payment, template_key="payment_succeeded", recipients=(PATIENT, DOCTOR))
    receipt_email_queue(payment=payment)
    return payment
