"""Joining, listing and the caps of the waitlist API."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_erase
from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.services import appointment_cancel
from appointments.slots import local_today
from core.models import SyncChange
from waitlist.models import WaitlistEntry, WaitlistStatus
from waitlist.services import waitlist_tidy
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db
URL = reverse("waitlist-list")


def _join(client, doctor, earliest, latest):
    return client.post(
        URL,
        {"doctor_id": str(doctor.pk), "earliest_date": earliest.isoformat(), "latest_date": latest.isoformat()},
        format="json",
    )


def test_joining_answers_201_waiting_with_the_place_in_line(doctor, auth_client, django_assert_max_num_queries):
    WaitlistEntryFactory(doctor=doctor)
    today = local_today(doctor=doctor)
    client = auth_client(PatientFactory())

    with django_assert_max_num_queries(13):
        response = _join(client, doctor, today, today + timedelta(days=59))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["position"], body["offer"]) == ("waiting", 2, None)
    assert body["doctor"]["id"] == str(doctor.pk)
    assert WaitlistEntry.objects.filter(pk=body["id"], status=WaitlistStatus.WAITING).exists()


@pytest.mark.parametrize(
    ("start_in", "days", "code"),
    [(-1, 5, "in_past"), (0, 60, "window_too_long"), (3, -2, "invalid_range"), (91, 3, "beyond_horizon")],
)
def test_a_bad_window_is_400(doctor, auth_client, start_in, days, code):
    earliest = local_today(doctor=doctor) + timedelta(days=start_in)

    response = _join(auth_client(PatientFactory()), doctor, earliest, earliest + timedelta(days=days))

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
    assert not WaitlistEntry.objects.exists()


def test_a_sixth_active_entry_is_409_waitlist_limit(doctor, auth_client):
    patient = PatientFactory()
    for _ in range(5):
        WaitlistEntryFactory(patient=patient)
    WaitlistEntryFactory(patient=patient, status=WaitlistStatus.CANCELLED)
    today = local_today(doctor=doctor)

    response = _join(auth_client(patient), doctor, today, today + timedelta(days=7))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "waitlist_limit"
    assert WaitlistEntry.objects.filter(patient=patient).count() == 6


def test_a_doctor_cannot_join(doctor, auth_client):
    today = local_today(doctor=doctor)

    response = _join(auth_client(doctor.user), doctor, today, today)

    assert response.status_code == 403


def test_the_list_shows_own_entries_with_the_offer_in_a_fixed_number_of_queries(
    doctor, booked, waiting, auth_client, django_assert_max_num_queries
):
    patient = waiting[0].patient
    appointment_cancel(appointment=booked, by=booked.patient)
    for _ in range(3):
        WaitlistEntryFactory(patient=patient)
    client = auth_client(patient)

    with django_assert_max_num_queries(6):
        response = client.get(URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 4
    offered = next(entry for entry in results if entry["id"] == str(waiting[0].pk))
    assert offered["status"] == "offered" and offered["position"] is None
    assert set(offered["offer"]) == {"start", "end", "expires_at"}
    assert all(entry["offer"] is None for entry in results if entry["id"] != str(waiting[0].pk))


def test_entries_past_their_window_expire(doctor):
    entry = WaitlistEntryFactory(doctor=doctor)
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        earliest_date=timezone.localdate() - timedelta(days=5), latest_date=timezone.localdate() - timedelta(days=2)
    )

    assert waitlist_tidy()["entries_expired"] == 1

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED


def test_erasure_removes_the_entries_and_passes_an_open_offer_on(doctor, booked, waiting):
    appointment_cancel(appointment=booked, by=booked.patient)
    first = waiting[0]

    user_erase(user=first.patient)

    assert not WaitlistEntry.objects.filter(patient=first.patient).exists()
    second = WaitlistEntry.objects.select_related("offer_appointment").get(pk=waiting[1].pk)
    assert second.status == WaitlistStatus.OFFERED and second.offer_appointment.start == booked.start
    hold = Appointment.objects.get(patient=first.patient, start=booked.start)
    assert hold.status == AppointmentStatus.EXPIRED


def test_the_entry_is_in_the_patients_offline_sync(doctor, auth_client):
    patient = PatientFactory()
    today = local_today(doctor=doctor)

    entry_id = _join(auth_client(patient), doctor, today, today + timedelta(days=3)).json()["id"]

    assert SyncChange.objects.filter(user=patient, resource="waitlist", object_id=entry_id).exists()
    body = auth_client(patient).get(reverse("sync")).json()
    assert [entry["id"] for entry in body["changes"]["waitlist"]] == [entry_id]
