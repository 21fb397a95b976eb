from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from appointments.models import AppointmentStatus
from appointments.tests.factories import AppointmentFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment():
    start = (timezone.now() + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
    return AppointmentFactory(
        doctor=DoctorProfileFactory(clinic_name="Clinique du Parc"),
        start=start,
        end=start + timedelta(minutes=30),
        patient__timezone="America/New_York",
    )


def test_ics_parses_back_with_icalendar(auth_client, appointment):
    response = auth_client(appointment.patient).get(f"/api/v1/appointments/{appointment.pk}/ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.start
    assert event.decoded("dtend") == appointment.end
    assert str(event["uid"]) == f"{appointment.pk}@tabib"
    description = str(event["description"])
    assert "Europe/Paris" in description  # the clinic's zone
    assert "America/New_York" in description  # and the patient's own, which differs


def test_ics_for_the_doctor_only_states_the_clinic_zone(auth_client, appointment):
    appointment.doctor.user.timezone = "Europe/Paris"
    appointment.doctor.user.save(update_fields=["timezone"])

    response = auth_client(appointment.doctor.user).get(f"/api/v1/appointments/{appointment.pk}/ics")

    description = str(Calendar.from_ical(response.content).walk("VEVENT")[0]["description"])
    assert "Europe/Paris" in description
    assert "America/New_York" not in description


def test_feed_works_without_auth_header_and_stops_after_rotation(api_client, auth_client, appointment):
    owner = auth_client(appointment.patient)
    url = owner.get("/api/v1/calendar/feed-url").json()["url"]
    path = url.split("testserver", 1)[1]

    first = api_client.get(path)
    rotated = owner.post("/api/v1/calendar/feed-url/rotate").json()["url"]
    after = api_client.get(path)
    new = api_client.get(rotated.split("testserver", 1)[1])

    assert first.status_code == 200
    events = Calendar.from_ical(first.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{appointment.pk}@tabib"]
    assert after.status_code == 404
    assert new.status_code == 200
    assert rotated != url


def test_feed_url_is_stable_until_rotated(auth_client, appointment):
    client = auth_client(appointment.patient)

    assert client.get("/api/v1/calendar/feed-url").json() == client.get("/api/v1/calendar/feed-url").json()


def test_calendar_groups_by_day_in_the_users_zone(auth_client, appointment):
    # 09:00 UTC is 04:00 or 05:00 in New York: the same calendar day; use Tokyo (+9) to cross midnight
    late = AppointmentFactory(
        patient=appointment.patient,
        start=appointment.start + timedelta(hours=14),
        end=appointment.start + timedelta(hours=14, minutes=30),
    )
    day = appointment.start.date()

    response = auth_client(appointment.patient).get(
        "/api/v1/calendar/appointments",
        {"from": day - timedelta(days=1), "to": day + timedelta(days=2), "tz": "Asia/Tokyo"},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["timezone"] == "Asia/Tokyo"
    assert [(d["date"], [a["id"] for a in d["appointments"]]) for d in body["days"]] == [
        (str(day), [str(appointment.pk)]),
        (str(day + timedelta(days=1)), [str(late.pk)]),
    ]


def test_calendar_defaults_to_the_users_saved_zone(auth_client, appointment):
    day = appointment.start.date()

    body = auth_client(appointment.patient).get("/api/v1/calendar/appointments", {"from": day, "to": day}).json()

    assert body["timezone"] == "America/New_York"


def test_calendar_hides_cancelled(auth_client, appointment):
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])
    day = appointment.start.date()

    body = auth_client(appointment.patient).get("/api/v1/calendar/appointments", {"from": day, "to": day}).json()

    assert body["days"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2030-01-01", "to": "2030-01-02", "tz": "Mars/Olympus"},
        {"from": "2030-01-01"},
        {"from": "x", "to": "2030-01-01"},
    ],
)
def test_calendar_bad_input_is_a_400(auth_client, appointment, params):
    assert auth_client(appointment.patient).get("/api/v1/calendar/appointments", params).status_code == 400
