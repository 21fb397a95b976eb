"""Concurrency on PostgreSQL: two slots freed at the same moment, each on its own connection."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.services import appointment_cancel, time_off_delete
from appointments.tests.factories import AppointmentFactory, TimeOffFactory, first_free_slot
from waitlist.models import WaitlistEntry, WaitlistStatus
from waitlist.tests.factories import WaitlistEntryFactory


def _cancel_together(appointments):
    barrier = threading.Barrier(len(appointments))
    errors: list[str] = []

    def cancel(appointment):
        try:
            barrier.wait()
            appointment_cancel(appointment=appointment, by=appointment.patient)
        except Exception as error:  # any failure is one we want to see
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(appointment,)) for appointment in appointments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _two_booked(doctor):
    first = first_free_slot(doctor, timedelta(days=3))
    second = first + timedelta(hours=1)
    return [
        AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30)) for start in (first, second)
    ]


def _live_holds(doctor):
    return Appointment.objects.filter(doctor=doctor, status=AppointmentStatus.PENDING_PAYMENT)


def _free_overlapping(first, second):
    """Run `first` and keep its transaction open while `second` runs on another connection: the
    worst interleaving, forced rather than hoped for."""
    first_done = threading.Event()
    errors: list[str] = []

    def hold_open():
        try:
            with transaction.atomic():
                first()
                first_done.set()
                time.sleep(1)
        except Exception as error:  # any failure is one we want to see
            errors.append(repr(error))
        finally:
            first_done.set()
            connection.close()

    def meanwhile():
        try:
            first_done.wait()
            second()
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_open), threading.Thread(target=meanwhile)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slot_freed_while_another_offer_is_uncommitted_never_goes_to_the_same_entry(doctor):
    # A cancellation and a time off removal do not lock the same rows: only the waitlist's own
    # locks keep the second from offering to the entry the first has just (uncommitted) offered to.
    booked = _two_booked(doctor)[0]
    start = booked.start + timedelta(hours=2)
    time_off = TimeOffFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30))
    entry = WaitlistEntryFactory(doctor=doctor, patient=PatientFactory())

    errors = _free_overlapping(
        lambda: appointment_cancel(appointment=booked, by=booked.patient),
        lambda: time_off_delete(doctor=doctor, time_off_id=time_off.pk),
    )

    assert errors == []
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    assert list(_live_holds(doctor).values_list("patient_id", flat=True)) == [entry.patient_id]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", range(3))
def test_two_slots_freed_at_once_never_go_to_one_entry(doctor, run):
    booked = _two_booked(doctor)
    entry = WaitlistEntryFactory(doctor=doctor, patient=PatientFactory())

    errors = _cancel_together(booked)

    assert errors == []
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    assert list(_live_holds(doctor).values_list("patient_id", flat=True)) == [entry.patient_id]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", range(3))
def test_two_slots_freed_at_once_go_to_the_first_two_in_line(doctor, run):
    booked = _two_booked(doctor)
    entries = [WaitlistEntryFactory(doctor=doctor, patient=PatientFactory()) for _ in range(3)]

    errors = _cancel_together(booked)

    assert errors == []
    statuses = [WaitlistEntry.objects.get(pk=entry.pk).status for entry in entries]
    assert statuses == [WaitlistStatus.OFFERED, WaitlistStatus.OFFERED, WaitlistStatus.WAITING]
    holders = sorted(str(patient) for patient in _live_holds(doctor).values_list("patient_id", flat=True))
    assert holders == sorted(str(entry.patient_id) for entry in entries[:2])
