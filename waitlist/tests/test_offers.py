"""A freed slot goes to the first in line, held 15 minutes; unanswered, declined or left, it passes on."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_expire_lapsed_holds,
    appointment_reschedule,
    time_off_delete,
)
from appointments.slots import free_slots
from appointments.tests.factories import AppointmentFactory, TimeOffFactory, first_free_slot, open_every_day
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification
from waitlist.models import WaitlistEntry, WaitlistStatus
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db
W = WaitlistStatus


def _offers(user):
    return Notification.objects.filter(user=user, template_key="waitlist_offer")


def _refresh(entries):
    return [WaitlistEntry.objects.select_related("offer_appointment").get(pk=entry.pk) for entry in entries]


def _is_free(doctor, start) -> bool:
    day = start.date()
    return any(
        slot_start == start
        for _day, slots in free_slots(doctor=doctor, date_from=day - timedelta(days=1), date_to=day + timedelta(days=1))
        for slot_start, _end in slots
    )


def _cancel(appointment):
    appointment_cancel(appointment=appointment, by=appointment.patient)


def test_a_cancellation_with_three_waiting_offers_the_slot_to_the_first_only(
    doctor, booked, waiting, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # 41: the waitlist reads the doctor's default visit type once (the length of entries naming none).
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(41):
        _cancel(booked)

    first, second, third = _refresh(waiting)
    assert [first.status, second.status, third.status] == [W.OFFERED, W.WAITING, W.WAITING]
    hold = first.offer_appointment
    assert (hold.start, hold.end, hold.patient_id) == (booked.start, booked.end, first.patient_id)
    assert hold.status == AppointmentStatus.PENDING_PAYMENT
    assert timedelta(minutes=14) < hold.hold_until - timezone.now() <= timedelta(minutes=15)
    assert not _is_free(doctor, booked.start)
    assert _offers(first.patient).count() == 1
    assert not _offers(second.patient).exists() and not _offers(third.patient).exists()


def test_the_offer_notification_is_in_the_patients_language(doctor, booked, waiting):
    first = waiting[0]
    first.patient.locale = "fr"
    first.patient.save(update_fields=["locale"])

    _cancel(booked)

    notification = _offers(first.patient).get()
    assert notification.title == "Un créneau s'est libéré pour vous"
    assert "15 minutes" in notification.body and str(doctor) in notification.body
    assert notification.data["waitlist_entry_id"] == str(first.pk)


def test_nobody_waiting_leaves_the_freed_slot_free(doctor, booked):
    _cancel(booked)

    assert _is_free(doctor, booked.start)
    assert not Appointment.objects.filter(doctor=doctor, status=AppointmentStatus.PENDING_PAYMENT).exists()


def test_a_lapsed_offer_passes_to_the_second_when_the_list_is_read(doctor, booked, waiting, clock, auth_client):
    _cancel(booked)
    clock.advance(timedelta(minutes=16))

    response = auth_client(waiting[1].patient).get(reverse("waitlist-list"))

    assert response.status_code == 200
    [entry] = response.json()["results"]
    assert entry["status"] == "offered"
    assert entry["offer"]["start"].startswith(booked.start.strftime("%Y-%m-%dT%H:%M"))
    first, second, third = _refresh(waiting)
    assert [first.status, second.status, third.status] == [W.WAITING, W.OFFERED, W.WAITING]
    assert first.offer_appointment.status == AppointmentStatus.EXPIRED
    assert _offers(second.patient).count() == 1


def test_a_lapsed_offer_passes_on_with_the_hold_tidying_beat(doctor, booked, waiting, clock):
    _cancel(booked)
    clock.advance(timedelta(minutes=16))

    appointment_expire_lapsed_holds()

    first, second, _third = _refresh(waiting)
    assert (first.status, second.status) == (W.WAITING, W.OFFERED)
    assert second.offer_appointment.start == booked.start


def test_accepting_after_expires_at_is_409_offer_expired(doctor, booked, waiting, clock, auth_client):
    _cancel(booked)
    clock.advance(timedelta(minutes=15, seconds=1))

    response = auth_client(waiting[0].patient).post(
        reverse("waitlist-accept", args=[waiting[0].pk]), {"payment_method": "clinic"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "offer_expired"
    assert not Appointment.objects.filter(patient=waiting[0].patient, status=AppointmentStatus.CONFIRMED).exists()


def test_accepting_by_card_books_a_payment_hold(doctor, booked, waiting, auth_client, django_assert_max_num_queries):
    _cancel(booked)
    client = auth_client(waiting[0].patient)

    with django_assert_max_num_queries(36):  # booking through appointment_book, its visit type included
        response = client.post(
            reverse("waitlist-accept", args=[waiting[0].pk]), {"payment_method": "card"}, format="json"
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_payment" and body["payment_method"] == "card"
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.start == booked.start and appointment.hold_until > timezone.now()
    first = _refresh(waiting)[0]
    assert first.status == W.BOOKED and first.booked_appointment_id == appointment.pk
    assert first.offer_appointment.status == AppointmentStatus.EXPIRED


def test_accepting_for_the_clinic_confirms(doctor, booked, waiting, auth_client):
    _cancel(booked)

    response = auth_client(waiting[0].patient).post(
        reverse("waitlist-accept", args=[waiting[0].pk]), {"payment_method": "clinic"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"
    assert Notification.objects.filter(user=doctor.user, template_key="appointment_booked").exists()


def test_a_refused_booking_leaves_the_offer_open(doctor, booked, waiting, auth_client):
    doctor.accepts_payment_methods = ["clinic"]
    doctor.save(update_fields=["accepts_payment_methods"])
    _cancel(booked)

    response = auth_client(waiting[0].patient).post(
        reverse("waitlist-accept", args=[waiting[0].pk]), {"payment_method": "card"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "payment_method_not_accepted"
    first = _refresh(waiting)[0]
    assert first.status == W.OFFERED and first.offer_appointment.status == AppointmentStatus.PENDING_PAYMENT


def test_declining_passes_the_slot_on_and_it_never_comes_back(doctor, booked, waiting, auth_client):
    _cancel(booked)

    for entry in waiting:
        response = auth_client(entry.patient).post(reverse("waitlist-decline", args=[entry.pk]))
        assert response.status_code == 204

    statuses = [entry.status for entry in _refresh(waiting)]
    assert statuses == [W.WAITING, W.WAITING, W.WAITING]
    assert [_offers(entry.patient).count() for entry in waiting] == [1, 1, 1]
    assert _is_free(doctor, booked.start)


def test_declining_without_an_open_offer_is_409(doctor, waiting, auth_client):
    response = auth_client(waiting[0].patient).post(reverse("waitlist-decline", args=[waiting[0].pk]))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "no_offer"


def test_leaving_with_an_open_offer_passes_it_on(doctor, booked, waiting, auth_client):
    _cancel(booked)

    response = auth_client(waiting[0].patient).delete(reverse("waitlist-detail", args=[waiting[0].pk]))

    assert response.status_code == 204
    first, second, _third = _refresh(waiting)
    assert (first.status, second.status) == (W.CANCELLED, W.OFFERED)
    assert second.offer_appointment.start == booked.start


def test_someone_elses_entry_is_404(doctor, booked, waiting, auth_client):
    _cancel(booked)
    intruder = auth_client(waiting[1].patient)
    entry = waiting[0]

    answers = [
        intruder.delete(reverse("waitlist-detail", args=[entry.pk])),
        intruder.post(reverse("waitlist-accept", args=[entry.pk]), {"payment_method": "clinic"}, format="json"),
        intruder.post(reverse("waitlist-decline", args=[entry.pk])),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert _refresh([entry])[0].status == W.OFFERED


def test_rescheduling_away_offers_the_old_slot(doctor, booked, waiting):
    new_start = first_free_slot(doctor, timedelta(days=5))

    appointment_reschedule(appointment=booked, by=booked.patient, start=new_start)

    first = _refresh(waiting)[0]
    assert first.status == W.OFFERED and first.offer_appointment.start == booked.start


def test_removing_time_off_offers_the_freed_slot(doctor, waiting, booked):
    _cancel(booked)  # first in line now holds that slot
    start = booked.start + timedelta(hours=2)
    time_off = TimeOffFactory(doctor=doctor, start=start, end=start + timedelta(hours=1))

    time_off_delete(doctor=doctor, time_off_id=time_off.pk)

    first, second, third = _refresh(waiting)
    assert first.offer_appointment.start == booked.start
    assert (second.offer_appointment.start, third.offer_appointment.start) == (start, start + timedelta(minutes=30))


def test_an_offer_cancelled_as_an_appointment_passes_on(doctor, booked, waiting):
    _cancel(booked)
    hold = _refresh(waiting)[0].offer_appointment

    appointment_cancel(appointment=hold, by=waiting[0].patient)

    first, second, _third = _refresh(waiting)
    assert (first.status, second.status) == (W.WAITING, W.OFFERED)


def test_a_slot_that_could_not_be_accepted_in_time_is_not_offered(doctor, waiting, clock):
    # Minimum notice 2 h, offers held 15 min: a slot 2 h 10 min ahead could not be booked at the end
    # of its offer.
    start = first_free_slot(doctor, timedelta(hours=2))
    soon = Appointment.objects.create(
        doctor=doctor,
        patient=waiting[0].patient,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.CONFIRMED,
        payment_method="clinic",
    )
    entries = WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in waiting])
    entries.update(earliest_date=timezone.localdate() - timedelta(days=1))
    clock.advance(start - timedelta(hours=2, minutes=10) - timezone.now())

    appointment_cancel(appointment=soon, by=doctor.user)

    assert not WaitlistEntry.objects.filter(status=W.OFFERED).exists()


def test_an_offer_skips_a_patient_busy_then(doctor, booked, waiting):
    # The first in line already has an appointment with another doctor at that time.
    Appointment.objects.create(
        doctor=DoctorProfileFactory(),
        patient=waiting[0].patient,
        start=booked.start,
        end=booked.end,
        status=AppointmentStatus.CONFIRMED,
        payment_method="clinic",
    )

    _cancel(booked)

    first, second, _third = _refresh(waiting)
    assert (first.status, second.status) == (W.WAITING, W.OFFERED)


def test_a_booking_that_flips_a_lapsed_hold_hands_that_slot_to_the_waitlist(doctor):
    # A patient's unpaid hold with `doctor` lapsed; they now book the same time with another doctor.
    patient = PatientFactory()
    start = first_free_slot(doctor, timedelta(days=3))
    lapsed = AppointmentFactory(
        doctor=doctor,
        patient=patient,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() - timedelta(minutes=1),
    )
    entry = WaitlistEntryFactory(doctor=doctor)
    elsewhere = DoctorProfileFactory()
    open_every_day(elsewhere)

    appointment_book(patient=patient, doctor=elsewhere, start=start, payment_method="clinic")

    entry.refresh_from_db()
    assert entry.status == W.OFFERED and entry.offer_appointment.start == start
    lapsed.refresh_from_db()
    assert lapsed.status == AppointmentStatus.EXPIRED
