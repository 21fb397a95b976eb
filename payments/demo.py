"""Demo payments: a card-paid, a clinic-paid and a refunded appointment (no Stripe call; fake intent ids)."""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import demo_user
from accounts.models import Role, User
from appointments.models import Appointment
from appointments.selectors import appointment_fee
from doctors.models import DoctorProfile, VerificationStatus
from payments.models import Payment, PaymentEvent, PaymentMethod, PaymentProvider, PaymentStatus
from payments.services import payment_mark_clinic_paid, receipt_number_allocate


def _doctor() -> DoctorProfile:
    doctor = DoctorProfile.objects.filter(user__email__endswith="@demo.tabib.local").order_by("created_at").first()
    if doctor is not None:
        return doctor
    user = demo_user(
        email="dr.payments@demo.tabib.local", first_name="Inès", last_name="Moreau", role=Role.DOCTOR, locale="fr"
    )
    doctor, _ = DoctorProfile.objects.get_or_create(
        user=user,
        defaults={
            "clinic_name": "Cabinet Moreau",
            "clinic_address": "12 rue de Rivoli",
            "city": "Paris",
            "country": "FR",
            "verification_status": VerificationStatus.VERIFIED,
            "languages": ["fr", "en"],
        },
    )
    return doctor


def _appointment(*, doctor: DoctorProfile, patient: User, days_ago: int, status: str, method: str) -> Appointment:
    start = (timezone.now() - timedelta(days=days_ago)).replace(hour=9, minute=0, second=0, microsecond=0)
    appointment, _ = Appointment.objects.get_or_create(
        doctor=doctor,
        patient=patient,
        start=start,
        defaults={"end": start + timedelta(minutes=doctor.slot_minutes), "status": status, "payment_method": method},
    )
    return appointment


def _card_payment(*, appointment: Appointment, intent_id: str, refunded: bool) -> Payment:
    payment = Payment.objects.filter(appointment=appointment).first()
    if payment is not None:
        return payment
    paid_at = appointment.start - timedelta(days=3)
    amount, currency = appointment_fee(appointment=appointment)
    payment = Payment.objects.create(
        appointment=appointment,
        method=PaymentMethod.CARD,
        provider=PaymentProvider.STRIPE,
        provider_payment_id=intent_id,
        amount=amount,
        currency=currency,
        status=PaymentStatus.REFUNDED if refunded else PaymentStatus.SUCCEEDED,
        amount_refunded=amount if refunded else 0,
        paid_at=paid_at,
        receipt_number=receipt_number_allocate(when=paid_at),
    )
    PaymentEvent.objects.create(payment=payment, from_status="pending", to_status="succeeded", source="demo")
    if refunded:
        PaymentEvent.objects.create(
            payment=payment,
            from_status="succeeded",
            to_status="refunded",
            source="demo",
            amount=payment.amount,
            note="cancellation",
        )
    return payment


def seed(out) -> None:
    patients = list(User.objects.filter(role=Role.PATIENT, email__endswith="@demo.tabib.local").order_by("email"))
    if not patients:
        out.write("  payments: no demo patients, skipped")
        return
    doctor = _doctor()
    first, second = patients[0], patients[-1]
    paid = _card_payment(
        appointment=_appointment(doctor=doctor, patient=first, days_ago=10, status="completed", method="card"),
        intent_id="pi_demo_paid",
        refunded=False,
    )
    clinic_appointment = _appointment(doctor=doctor, patient=second, days_ago=8, status="completed", method="clinic")
    clinic = payment_mark_clinic_paid(appointment=clinic_appointment, by=doctor.user)
    refunded = _card_payment(
        appointment=_appointment(doctor=doctor, patient=second, days_ago=6, status="cancelled", method="card"),
        intent_id="pi_demo_refunded",
        refunded=True,
    )
    for label, payment in (("card paid", paid), ("clinic paid", clinic), ("refunded", refunded)):
        out.write(
            f"  payment  {label:11} {payment.receipt_number} {payment.amount} {payment.currency} "
            f"({payment.appointment.patient.email})"
        )
