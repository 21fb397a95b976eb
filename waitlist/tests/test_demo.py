import io

import pytest

from accounts import demo as accounts_demo
from appointments import demo as appointments_demo
from appointments.slots import free_slots
from doctors.tests.factories import DoctorProfileFactory
from waitlist import demo
from waitlist.models import WaitlistEntry, WaitlistStatus

pytestmark = pytest.mark.django_db


def test_demo_gives_a_full_doctor_a_waiting_list_idempotently():
    accounts_demo.seed(io.StringIO())
    doctor = DoctorProfileFactory()
    appointments_demo.seed(io.StringIO())

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    entries = WaitlistEntry.objects.filter(doctor=doctor)
    assert entries.count() == 3 and set(entries.values_list("status", flat=True)) == {WaitlistStatus.WAITING}
    first = entries.first()
    days = free_slots(doctor=doctor, date_from=first.earliest_date, date_to=first.latest_date)
    assert [slots for _day, slots in days if _day in (first.earliest_date, first.latest_date)] == [[], []]
