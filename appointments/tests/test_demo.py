import io
from datetime import timedelta

import pytest

from accounts import demo as accounts_demo
from accounts.models import User
from appointments import demo
from appointments.models import Appointment, AvailabilityRule
from appointments.slots import doctor_zone, local_today
from doctors.tests.factories import DoctorProfileFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    accounts_demo.seed(io.StringIO())
    doctors = [DoctorProfileFactory(), DoctorProfileFactory()]

    demo.seed(io.StringIO())
    counts = (AvailabilityRule.objects.count(), Appointment.objects.count())
    demo.seed(io.StringIO())

    assert all(AvailabilityRule.objects.filter(doctor=d).exists() for d in doctors)
    assert counts == (AvailabilityRule.objects.count(), Appointment.objects.count())
    # the four demo patients alternate between the doctors: one past and one upcoming visit each
    second_doctors = Appointment.objects.filter(doctor=doctors[1])
    assert second_doctors.filter(status="completed").count() == second_doctors.filter(status="confirmed").count() == 2


def test_demo_showcase_gives_the_first_doctor_a_day_and_twelve_weeks_of_history():
    accounts_demo.seed(io.StringIO())
    doctor = DoctorProfileFactory()

    demo.seed(io.StringIO())

    today = local_today(doctor=doctor)
    days = {a.start.astimezone(doctor_zone(doctor)).date() for a in Appointment.objects.filter(doctor=doctor)}
    statuses = set(Appointment.objects.filter(doctor=doctor).values_list("status", flat=True))
    assert today in days
    assert len({day - timedelta(days=day.weekday()) for day in days if day < today}) >= 11
    assert {"completed", "no_show", "cancelled"} <= statuses
    assert Payment.objects.filter(appointment__doctor=doctor, method="clinic", status="succeeded").exists()


def test_the_demo_family_has_a_child_booked_with_the_showcase_doctor():
    accounts_demo.seed(io.StringIO())
    doctor = DoctorProfileFactory()

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    accounts_demo.seed(io.StringIO())

    parent = User.objects.get(email=accounts_demo.FAMILY_PARENT)
    assert sorted(parent.relatives.values_list("first_name", flat=True)) == ["Léa", "Noé"]
    booked = Appointment.objects.filter(patient=parent, relative__isnull=False)
    assert [(a.relative.first_name, a.doctor_id, a.status) for a in booked] == [("Léa", doctor.pk, "confirmed")]
