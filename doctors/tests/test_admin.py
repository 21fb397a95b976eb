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
