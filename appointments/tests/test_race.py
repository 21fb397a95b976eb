"""Concurrency: many real connections booking one slot at once. The database decides."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from appointments.services import appointment_book
from appointments.tests.factories import AppointmentFactory
from core.exceptions import ConflictError

RACERS = 20


def _race(doctor, start, patients, method="clinic"):
    barrier = threading.Barrier(len(patients))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient):
        try:
            barrier.wait()
            appointment_book(patient=patient, doctor=doctor, start=start, payment_method=method)
            result = "ok"
        except ConflictError as error:
            result = f"409:{error.code}"
        except Exception as error:  # any other outcome is a failure we want to see
            result = f"other:{error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_give_exactly_one_success(doctor, free_slot_after):
    # Given one free slot and many patients, each on their own connection
    start = free_slot_after(doctor, timedelta(days=2))
    patients = [PatientFactory() for _ in range(RACERS)]

    # When they all book it at the same moment
    outcomes = _race(doctor, start, patients)

    # Then exactly one wins, everybody else gets 409 slot_unavailable, one active row exists
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("409:slot_unavailable") == RACERS - 1, outcomes
    assert Appointment.objects.filter(doctor=doctor, start=start, status__in=ACTIVE_STATUSES).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_racing_for_a_lapsed_hold_give_exactly_one_success(doctor, free_slot_after):
    start = free_slot_after(doctor, timedelta(days=2))
    AppointmentFactory(
        doctor=doctor,
        start=start,
        end=start + timedelta(minutes=30),
        status=AppointmentStatus.PENDING_PAYMENT,
        payment_method="card",
        hold_until=timezone.now() - timedelta(minutes=1),
    )
    patients = [PatientFactory() for _ in range(10)]

    outcomes = _race(doctor, start, patients, method="card")

    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("409:slot_unavailable") == 9, outcomes
    assert Appointment.objects.filter(doctor=doctor, start=start, status__in=ACTIVE_STATUSES).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_refuses_a_second_active_appointment_on_the_same_time(doctor):
    # Bypassing every service check: the exclusion constraint alone refuses the overlap.
    first = AppointmentFactory(doctor=doctor)

    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(
            doctor=doctor, start=first.start + timedelta(minutes=15), end=first.end + timedelta(minutes=15)
        )


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_refuses_overlapping_appointments_of_one_patient():
    first = AppointmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(patient=first.patient, start=first.start, end=first.end)


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_allows_overlap_with_inactive_appointments(doctor):
    first = AppointmentFactory(doctor=doctor, status=AppointmentStatus.CANCELLED)

    second = AppointmentFactory(doctor=doctor, start=first.start, end=first.end)

    assert second.pk
