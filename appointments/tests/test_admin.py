"""The admin writes schedules through the services: the availability answer follows at once."""

from datetime import UTC, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory
from appointments.models import AvailabilityRule, TimeOff
from appointments.slots import local_today
from appointments.tests.factories import AvailabilityRuleFactory
from core.models import AuditLog
from core.testing.admin import admin_form_data
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(AdminFactory())
    return client


def availability(api_client, doctor, day) -> list[str]:
    body = api_client.get(f"/api/v1/doctors/{doctor.pk}/availability", {"from": day, "to": day}).json()
    return [slot["start"] for slot in body["days"][0]["slots"]]


def stamp(day, hour: int, zone: str = "Europe/Paris") -> str:
    from datetime import datetime

    moment = datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def morning_doctor():
    """A Paris doctor seeing patients 09:00-12:00 every day."""
    doctor = DoctorProfileFactory()
    for weekday in range(7):
        AvailabilityRuleFactory(doctor=doctor, weekday=weekday, start_time=time(9), end_time=time(12))
    return doctor


def test_admin_edit_of_a_rule_changes_the_cached_availability_at_once(
    staff_client, api_client, morning_doctor, django_capture_on_commit_callbacks
):
    # Given a cached answer for a day five days ahead
    day = local_today(doctor=morning_doctor) + timedelta(days=5)
    assert stamp(day, 9) in availability(api_client, morning_doctor, day)
    rule = AvailabilityRule.objects.get(doctor=morning_doctor, weekday=day.weekday())
    url = reverse("admin:appointments_availabilityrule_change", args=[rule.pk])

    # When staff move that day's rule to the afternoon through the change view
    page = staff_client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, admin_form_data(page, start_time="14:00:00", end_time="17:00:00"))

    # Then the next answer offers the afternoon and not the morning
    assert response.status_code == 302
    starts = availability(api_client, morning_doctor, day)
    assert stamp(day, 9) not in starts
    assert stamp(day, 14) in starts
    assert AuditLog.objects.filter(action="availability.replaced").exists()


def test_admin_cannot_add_a_rule_overlapping_another(staff_client, morning_doctor):
    page = staff_client.get(reverse("admin:appointments_availabilityrule_add"))
    data = admin_form_data(page, doctor=str(morning_doctor.pk), weekday="0", start_time="11:00", end_time="13:00")

    response = staff_client.post(reverse("admin:appointments_availabilityrule_add"), data)

    assert response.status_code == 200
    assert "Two availability rules overlap on the same day." in response.content.decode()
    assert AvailabilityRule.objects.filter(doctor=morning_doctor).count() == 7


def test_admin_deleting_a_rule_empties_that_day(
    staff_client, api_client, morning_doctor, django_capture_on_commit_callbacks
):
    day = local_today(doctor=morning_doctor) + timedelta(days=5)
    assert availability(api_client, morning_doctor, day)
    rule = AvailabilityRule.objects.get(doctor=morning_doctor, weekday=day.weekday())

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:appointments_availabilityrule_delete", args=[rule.pk]), {"post": "yes"})

    assert availability(api_client, morning_doctor, day) == []


def test_admin_time_off_hides_the_slots_at_once(
    staff_client, api_client, morning_doctor, django_capture_on_commit_callbacks
):
    day = local_today(doctor=morning_doctor) + timedelta(days=5)
    assert stamp(day, 10) in availability(api_client, morning_doctor, day)
    page = staff_client.get(reverse("admin:appointments_timeoff_add"))
    data = admin_form_data(
        page,
        doctor=str(morning_doctor.pk),
        start_0=str(day),
        start_1="08:00:00",
        end_0=str(day),
        end_1="13:00:00",
        reason="Congress",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:appointments_timeoff_add"), data)

    assert response.status_code == 302
    assert TimeOff.objects.filter(doctor=morning_doctor, reason="Congress").exists()
    assert availability(api_client, morning_doctor, day) == []
