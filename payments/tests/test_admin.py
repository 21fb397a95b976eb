"""The refund action and the reconciliation page check the payment permissions."""

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from clinics.tests.factories import ClinicFactory
from payments.tests.test_services import paid_card_payment  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

PLATFORM = "clinics.view_all_clinics"
VIEW = "payments.view_payment"
CHANGE = "payments.change_payment"


def refund(client, payment):
    return client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [str(payment.pk)], "apply": "1", "reason": "late doctor"},
    )


def test_view_only_staff_cannot_refund(client, paid_card_payment):  # noqa: F811
    client.force_login(StaffFactory(permissions=[PLATFORM, VIEW]))

    refund(client, paid_card_payment)

    paid_card_payment.refresh_from_db()
    assert paid_card_payment.amount_refunded == 0


def test_staff_with_the_change_permission_refund(client, paid_card_payment):  # noqa: F811
    client.force_login(StaffFactory(permissions=[PLATFORM, VIEW, CHANGE]))

    refund(client, paid_card_payment)

    paid_card_payment.refresh_from_db()
    assert paid_card_payment.status == "refunded"


def test_reconciliation_page_needs_the_view_permission(client, paid_card_payment):  # noqa: F811
    url = reverse("admin:payments_payment_reconciliation")
    client.force_login(StaffFactory(permissions=["support.view_faqentry"]))
    refused = client.get(url)
    client.force_login(StaffFactory(permissions=[PLATFORM, VIEW]))
    allowed = client.get(url)

    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_staff_cancel_refunds_a_paid_card_appointment_in_full(client, paid_card_payment):  # noqa: F811
    appointment = paid_card_payment.appointment
    clinic = ClinicFactory()
    appointment.doctor.clinic = clinic
    appointment.doctor.save(update_fields=["clinic"])
    staff = StaffFactory(permissions=["appointments.view_appointment", "appointments.change_appointment"])
    clinic.staff.add(staff)
    client.force_login(staff)

    client.post(
        reverse("admin:appointments_appointment_changelist"),
        {
            "action": "cancel_appointments",
            "_selected_action": [str(appointment.pk)],
            "apply": "1",
            "reason": "Closed for works.",
        },
    )

    paid_card_payment.refresh_from_db()
    assert paid_card_payment.status == "refunded"
