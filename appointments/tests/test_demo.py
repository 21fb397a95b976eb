import io

import pytest

from accounts import demo as accounts_demo
from appointments import demo
from appointments.models import Appointment, AvailabilityRule
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    accounts_demo.seed(io.StringIO())
    doctors = [DoctorProfileFactory(), DoctorProfileFactory()]

    demo.seed(io.StringIO())
    counts = (AvailabilityRule.objects.count(), Appointment.objects.count())
    demo.seed(io.StringIO())

    assert all(AvailabilityRule.objects.filter(doctor=d).exists() for d in doctors)
    assert counts == (AvailabilityRule.objects.count(), Appointment.objects.count())
    assert Appointment.objects.filter(status="completed").count() == 4
    assert Appointment.objects.filter(status="confirmed").count() == 4
