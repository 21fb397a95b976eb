"""The dashboard: the staff member's clinics only, figures linking to their changelists, pinned queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, StaffFactory
from appointments.models import AppointmentStatus
from appointments.tests.factories import AppointmentFactory
from clinics.selectors import clinic_dashboard
from clinics.tests.factories import ClinicFactory
from doctors.tests.factories import DoctorProfileFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


def clinic_with_history(name: str, *, bookings: int, cancelled: int):
    clinic = ClinicFactory(name=name)
    doctor = DoctorProfileFactory(clinic=clinic)
    now = timezone.now()
    for index in range(bookings):
        appointment = AppointmentFactory(
            doctor=doctor,
            start=now.replace(minute=0, second=0, microsecond=0) - timedelta(days=7 * index, hours=index + 1),
            status=AppointmentStatus.CANCELLED if index < cancelled else AppointmentStatus.COMPLETED,
        )
        if index >= cancelled:
            Payment.objects.create(
                appointment=appointment,
                method="clinic",
                provider="clinic",
                amount=5000,
                currency="EUR",
                status="succeeded",
                paid_at=appointment.start,
            )
    return clinic


@pytest.fixture
def clinics():
    return clinic_with_history("Alpha", bookings=6, cancelled=2), clinic_with_history("Beta", bookings=3, cancelled=0)


def staff_of(clinic):
    staff = StaffFactory(permissions=["appointments.view_appointment", "payments.view_payment"])
    clinic.staff.add(staff)
    return staff


def test_clinic_staff_dashboard_counts_their_clinic_only(clinics):
    alpha, _beta = clinics

    dashboard = clinic_dashboard(user=staff_of(alpha))

    assert sum(w.kept + w.cancelled + w.no_show for w in dashboard.weeks) == 6
    assert sum(w.cancelled for w in dashboard.weeks) == 2
    assert sum(sum(values) for values in dashboard.weekly_revenue.values()) == 4 * 5000


def test_platform_admin_dashboard_counts_every_clinic(clinics):
    dashboard = clinic_dashboard(user=AdminFactory())

    assert sum(w.kept + w.cancelled + w.no_show for w in dashboard.weeks) == 9


def test_dashboard_is_the_admin_index_with_charts_and_links(client, clinics, django_assert_max_num_queries):
    alpha, _beta = clinics
    client.force_login(staff_of(alpha))

    with django_assert_max_num_queries(16):
        page = client.get(reverse("admin:index"))

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<svg") >= 2  # bookings, and revenue in EUR
    assert reverse("admin:appointments_appointment_changelist") + "?start__gte=" in html
    assert "EUR" in html


def test_query_count_does_not_grow_with_history(client, django_assert_max_num_queries):
    clinic = clinic_with_history("Gamma", bookings=12, cancelled=5)
    client.force_login(staff_of(clinic))

    with django_assert_max_num_queries(16):
        assert client.get(reverse("admin:index")).status_code == 200


def test_figure_links_open_the_filtered_changelist_and_its_csv(client, clinics):
    alpha, _beta = clinics
    client.force_login(staff_of(alpha))
    url = reverse("admin:appointments_appointment_changelist")

    listed = client.get(url, {"status__exact": "cancelled"})
    exported = client.get(reverse("admin:appointments_appointment_export"), {"status__exact": "cancelled"})
    payments_csv = client.get(reverse("admin:payments_payment_export"))

    assert listed.status_code == 200
    assert len(listed.context["cl"].result_list) == 2
    lines = exported.content.decode().strip().splitlines()
    assert exported["Content-Type"].startswith("text/csv")
    assert len(lines) == 3  # header + Alpha's two cancellations, none of Beta's
    assert "Beta" not in payments_csv.content.decode()
    assert len(payments_csv.content.decode().strip().splitlines()) == 5


def test_csv_export_needs_the_view_permission(client, clinics):
    alpha, _beta = clinics
    staff = StaffFactory(permissions=["support.view_supportrequest"])
    alpha.staff.add(staff)
    client.force_login(staff)

    assert client.get(reverse("admin:appointments_appointment_export")).status_code == 403
