"""Staff edit a doctor's profile through the change view, which calls `doctor_profile_update`."""

from datetime import time, timedelta

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory
from appointments.slots import local_today
from appointments.tests.factories import AvailabilityRuleFactory
from core.testing.admin import admin_form_data
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def slot_count(api_client, doctor, day) -> int:
    body = api_client.get(f"/api/v1/doctors/{doctor.pk}/availability", {"from": day, "to": day}).json()
    return len(body["days"][0]["slots"])


def test_admin_slot_length_change_reaches_the_cached_availability_at_once(
    client, api_client, django_capture_on_commit_callbacks
):
    # Given a doctor with 30-minute slots 09:00-12:00 and a cached answer (6 slots)
    doctor = DoctorProfileFactory(slot_minutes=30)
    for weekday in range(7):
        AvailabilityRuleFactory(doctor=doctor, weekday=weekday, start_time=time(9), end_time=time(12))
    day = local_today(doctor=doctor) + timedelta(days=5)
    assert slot_count(api_client, doctor, day) == 6
    client.force_login(AdminFactory())
    url = reverse("admin:doctors_doctorprofile_change", args=[doctor.pk])

    # When staff set hour-long slots through the change view
    page = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, admin_form_data(page, slot_minutes="60"))

    # Then the next answer has hour-long slots
    assert response.status_code == 302
    assert slot_count(api_client, doctor, day) == 3


def test_admin_unknown_time_zone_is_refused_on_the_form(client):
    doctor = DoctorProfileFactory(timezone="Europe/Paris")
    client.force_login(AdminFactory())
    url = reverse("admin:doctors_doctorprofile_change", args=[doctor.pk])

    response = client.post(url, admin_form_data(client.get(url), timezone="Mars/Olympus", city="Lyon"))

    assert response.status_code == 200
    assert "Unknown time zone." in response.content.decode()
    doctor.refresh_from_db()
    assert (doctor.timezone, doctor.city) == ("Europe/Paris", doctor.city)
    assert doctor.city != "Lyon"


def _default_doctor():
    from doctors.services import visit_type_default_ensure

    doctor = DoctorProfileFactory(slot_minutes=30)
    visit_type_default_ensure(doctor=doctor)
    return doctor


def test_admin_edits_visit_types_inline_through_the_services(client, django_assert_max_num_queries):
    from doctors.models import VisitType

    doctor = _default_doctor()
    extra = VisitType.objects.create(doctor=doctor, name_en="Follow-up", duration_minutes=20, fee_amount=3000)
    client.force_login(AdminFactory())
    url = reverse("admin:doctors_doctorprofile_change", args=[doctor.pk])
    page = client.get(url)
    rows = {form.instance.pk: index for index, form in enumerate(page.context["inline_admin_formsets"][0].formset)}
    default_row, extra_row = rows[VisitType.objects.get(doctor=doctor, is_default=True).pk], rows[extra.pk]

    response = client.post(
        url,
        admin_form_data(
            page,
            **{
                f"visit_types-{default_row}-duration_minutes": "45",
                f"visit_types-{extra_row}-buffer_minutes": "10",
            },
        ),
    )

    assert response.status_code == 302
    doctor.refresh_from_db()
    extra.refresh_from_db()
    # the default's duration is the profile's slot length (visit_type_update keeps them equal)
    assert doctor.slot_minutes == 45 and extra.buffer_minutes == 10


def test_admin_cannot_deactivate_the_default_visit_type(client):
    from doctors.models import VisitType

    doctor = _default_doctor()
    client.force_login(AdminFactory())
    url = reverse("admin:doctors_doctorprofile_change", args=[doctor.pk])
    page = client.get(url)
    data = admin_form_data(page)
    data.pop("visit_types-0-is_active")

    response = client.post(url, data)

    assert response.status_code == 200
    assert "The default visit type cannot be deactivated." in response.content.decode()
    assert VisitType.objects.get(doctor=doctor).is_active
