import pytest

from accounts.tests.factories import PatientFactory
from appointments.tests.factories import first_free_slot, open_every_day
from doctors.tests.factories import DoctorProfileFactory


@pytest.fixture
def doctor():
    """A verified Paris doctor (30-min slots) open every day from 00:00 to 23:59."""
    doctor = DoctorProfileFactory()
    open_every_day(doctor)
    return doctor


@pytest.fixture
def patient():
    return PatientFactory()


@pytest.fixture
def free_slot_after():
    """`free_slot_after(doctor, timedelta)` -> the start of the first free slot at least that far ahead."""
    return first_free_slot
