import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, DoctorUserFactory, PatientFactory
from doctors.tests.factories import DoctorProfileFactory


@pytest.fixture
def doctor():
    """A verified Paris doctor with a signed-in-able account."""
    return DoctorProfileFactory(user=DoctorUserFactory())


@pytest.fixture
def doctor_client(client, doctor):
    client.force_login(doctor.user)
    return client


@pytest.fixture
def patient():
    return PatientFactory()


@pytest.fixture
def password():
    return DEFAULT_PASSWORD
