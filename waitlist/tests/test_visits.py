"""Entries wait for a visit type and for a relative: the freed time must fit the visit (duration and
buffer, on the doctor's grid), the hold is that visit for that person, accepting books it."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Relative
from accounts.services import user_erase
from accounts.tests.factories import PatientFactory, RelativeFactory
from appointments.models import Appointment
from appointments.services import appointment_cancel
from appointments.slots import local_today
from appointments.tests.factories import AppointmentFactory, open_every_day
from doctors.tests.factories import DoctorProfileFactory, VisitTypeFactory
from waitlist.models import WaitlistEntry, WaitlistStatus
from waitlist.services import waitlist_leave
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db
W = WaitlistStatus
URL = reverse("waitlist-list")


def _refresh(entry):
    return WaitlistEntry.objects.select_related("offer_appointment").get(pk=entry.pk)


def _in_line(doctor, start, **fields):
    """An entry whose window holds `start`'s day, joined after the ones made before it."""
    day = local_today(doctor=doctor, now=start)
    return WaitlistEntryFactory(
        doctor=doctor, earliest_date=day - timedelta(days=1), latest_date=day + timedelta(days=1), **fields
    )


def _confirmed(doctor, start, minutes=20, **fields):
    return AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=minutes), **fields)


@pytest.fixture
def twenty():
    """A doctor on a 20-minute grid whose default visit type lasts 20 minutes, open every day."""
    doctor = DoctorProfileFactory(slot_minutes=20)
    open_every_day(doctor)
    VisitTypeFactory(doctor=doctor, is_default=True, duration_minutes=20, name_en="Consultation")
    return doctor


@pytest.fixture
def gap(twenty):
    """Three back-to-back 20-minute appointments three days ahead from 10:00; the middle one will free."""
    day = local_today(doctor=twenty) + timedelta(days=3)
    start = datetime.combine(day, time(10, 20), tzinfo=ZoneInfo(twenty.timezone))
    before = _confirmed(twenty, start - timedelta(minutes=20))
    middle = _confirmed(twenty, start)
    after = _confirmed(twenty, start + timedelta(minutes=20))
    return before, middle, after


@pytest.mark.parametrize(("duration", "buffer"), [(40, 0), (20, 20)])
def test_a_longer_visit_is_not_offered_a_20_minute_gap_but_the_next_entry_is(twenty, gap, duration, buffer):
    _before, middle, after = gap
    long_visit = VisitTypeFactory(doctor=twenty, duration_minutes=duration, buffer_minutes=buffer)
    first = _in_line(twenty, middle.start, visit_type=long_visit)
    second = _in_line(twenty, middle.start)

    appointment_cancel(appointment=middle, by=middle.patient)

    first, second = _refresh(first), _refresh(second)
    assert (first.status, second.status) == (W.WAITING, W.OFFERED)
    hold = second.offer_appointment
    assert (hold.start, hold.end, hold.blocked_until) == (middle.start, middle.end, middle.end)
    assert hold.visit_type.is_default

    # The next appointment goes too: now the longer visit fits right after the held gap.
    appointment_cancel(appointment=after, by=after.patient)

    first = _refresh(first)
    assert first.status == W.OFFERED
    hold = first.offer_appointment
    assert (hold.start, hold.visit_type_id) == (after.start, long_visit.pk)
    assert hold.end == after.start + timedelta(minutes=duration)
    assert hold.blocked_until == after.start + timedelta(minutes=duration + buffer)


def test_a_cancelled_visit_frees_its_buffer_too(twenty):
    day = local_today(doctor=twenty) + timedelta(days=3)
    start = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(twenty.timezone))
    buffered = VisitTypeFactory(doctor=twenty, duration_minutes=20, buffer_minutes=20)
    cancelled = _confirmed(twenty, start, visit_type=buffered, blocked_until=start + timedelta(minutes=40))
    _confirmed(twenty, start + timedelta(minutes=40))
    first = _in_line(twenty, start)
    second = _in_line(twenty, start)

    appointment_cancel(appointment=cancelled, by=cancelled.patient)

    first, second = _refresh(first), _refresh(second)
    assert (first.status, second.status) == (W.OFFERED, W.OFFERED)
    assert first.offer_appointment.start == start
    assert second.offer_appointment.start == start + timedelta(minutes=20)


def test_an_entry_for_a_deactivated_visit_type_is_passed_over(twenty, gap):
    _before, middle, _after = gap
    retired = VisitTypeFactory(doctor=twenty, duration_minutes=20, is_active=False)
    first = _in_line(twenty, middle.start, visit_type=retired)
    second = _in_line(twenty, middle.start)

    appointment_cancel(appointment=middle, by=middle.patient)

    assert (_refresh(first).status, _refresh(second).status) == (W.WAITING, W.OFFERED)


def test_an_entry_for_a_relative_gets_a_hold_for_them_and_accepting_books_for_them(twenty, gap, auth_client):
    _before, middle, _after = gap
    child = RelativeFactory(first_name="Lina")
    patient = child.user
    # The account holder is busy then with another doctor; the child is not.
    elsewhere = DoctorProfileFactory()
    _confirmed(elsewhere, middle.start, patient=patient)
    entry = _in_line(twenty, middle.start, patient=patient, relative=child)

    appointment_cancel(appointment=middle, by=middle.patient)

    entry = _refresh(entry)
    assert entry.status == W.OFFERED
    hold = entry.offer_appointment
    assert (hold.start, hold.patient_id, hold.relative_id) == (middle.start, patient.pk, child.pk)

    client = auth_client(patient)
    listed = client.get(URL).json()["results"][0]
    assert listed["attendee"]["first_name"] == "Lina"
    assert listed["visit_type"] is None and listed["offer"]["start"]

    response = client.post(reverse("waitlist-accept", args=[entry.pk]), {"payment_method": "clinic"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed" and body["attendee"]["first_name"] == "Lina"
    booked = Appointment.objects.get(pk=body["id"])
    assert (booked.relative_id, booked.start, booked.visit_type.is_default) == (child.pk, middle.start, True)


def test_the_account_holders_entry_skips_a_time_they_are_busy_even_if_their_relative_is_not(twenty, gap):
    _before, middle, _after = gap
    child = RelativeFactory()
    patient = child.user
    _confirmed(DoctorProfileFactory(), middle.start, patient=patient, relative=child)
    mine = _in_line(twenty, middle.start, patient=patient)
    other = _in_line(twenty, middle.start)

    appointment_cancel(appointment=middle, by=middle.patient)

    # The child is busy then, the account holder is not: the holder's own entry gets the slot.
    assert (_refresh(mine).status, _refresh(other).status) == (W.OFFERED, W.WAITING)


# --- joining ------------------------------------------------------------------------------------


def _join(client, doctor, **fields):
    today = local_today(doctor=doctor)
    payload = {
        "doctor_id": str(doctor.pk),
        "earliest_date": today.isoformat(),
        "latest_date": (today + timedelta(days=7)).isoformat(),
        **fields,
    }
    return client.post(URL, payload, format="json")


def test_joining_for_a_visit_type_and_a_relative_shows_both(twenty, auth_client, django_assert_max_num_queries):
    visit = VisitTypeFactory(doctor=twenty, duration_minutes=40, name_en="First consultation")
    child = RelativeFactory(first_name="Lina")
    client = auth_client(child.user)

    with django_assert_max_num_queries(15):  # the visit type and the relative read and locked
        response = _join(client, twenty, visit_type_id=str(visit.pk), relative_id=str(child.pk))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["visit_type"] == {"id": str(visit.pk), "name": "First consultation", "duration_minutes": 40}
    assert body["attendee"] == {
        "first_name": "Lina",
        "last_name": child.last_name,
        "date_of_birth": child.date_of_birth.isoformat(),
        "relationship": "child",
    }
    entry = WaitlistEntry.objects.get(pk=body["id"])
    assert (entry.visit_type_id, entry.relative_id) == (visit.pk, child.pk)


def _inactive(doctor):
    return VisitTypeFactory(doctor=doctor, is_active=False)


@pytest.mark.parametrize(
    "visit_type", [lambda doctor: VisitTypeFactory(), _inactive], ids=["another doctors", "deactivated"]
)
def test_joining_for_a_visit_type_the_doctor_does_not_offer_is_400(twenty, auth_client, visit_type):
    response = _join(auth_client(PatientFactory()), twenty, visit_type_id=str(visit_type(twenty).pk))

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["attr"]) == ("invalid_visit_type", "visit_type_id")
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("removed", [False, True], ids=["someone elses", "removed"])
def test_joining_for_a_relative_not_ones_own_is_400(twenty, auth_client, removed):
    patient = PatientFactory()
    relative = RelativeFactory(user=patient, removed_at=timezone.now()) if removed else RelativeFactory()

    response = _join(auth_client(patient), twenty, relative_id=str(relative.pk))

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["attr"]) == ("invalid_relative", "relative_id")
    assert not WaitlistEntry.objects.exists()


# --- removing the relative ------------------------------------------------------------------------


def test_a_relative_on_a_waitlist_cannot_be_removed_until_the_entry_is_left(twenty, auth_client):
    child = RelativeFactory()
    entry = WaitlistEntryFactory(doctor=twenty, patient=child.user, relative=child)
    client = auth_client(child.user)
    url = reverse("patients-me-relative-detail", args=[child.pk])

    response = client.delete(url)

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "relative_on_waitlist"
    waitlist_leave(patient=child.user, entry_id=entry.pk)

    assert client.delete(url).status_code == 204
    # The cancelled entry still names them: they stay as history, removed.
    child.refresh_from_db()
    assert child.removed_at is not None
    assert WaitlistEntry.objects.get(pk=entry.pk).relative_id == child.pk


def test_erasing_the_account_with_a_relative_on_a_waitlist_removes_both(twenty):
    child = RelativeFactory()
    WaitlistEntryFactory(doctor=twenty, patient=child.user, relative=child)

    user_erase(user=child.user)

    assert not WaitlistEntry.objects.filter(patient=child.user).exists()
    assert not Relative.objects.filter(pk=child.pk).exists()


def test_the_list_with_visit_types_and_relatives_stays_at_six_queries(
    twenty, auth_client, django_assert_max_num_queries
):
    child = RelativeFactory()
    for index in range(4):
        WaitlistEntryFactory(
            patient=child.user,
            visit_type=VisitTypeFactory(doctor=twenty) if index % 2 else None,
            relative=child if index % 2 else None,
            doctor=twenty,
        )
    client = auth_client(child.user)

    with django_assert_max_num_queries(6):
        response = client.get(URL)

    results = response.json()["results"]
    assert len(results) == 4
    assert sum(entry["visit_type"] is not None for entry in results) == 2
    assert sum(entry["attendee"] is not None for entry in results) == 2
