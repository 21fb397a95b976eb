import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import PatientFactory
from chat.tests.factories import AppointmentFactory, ThreadFactory


@pytest.fixture
def thread(db):
    """A thread between a patient and a doctor they have a confirmed appointment with."""
    appointment = AppointmentFactory()
    return ThreadFactory(patient=appointment.patient, doctor=appointment.doctor)


@pytest.fixture
def stranger(db):
    return PatientFactory()


def access_token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)
