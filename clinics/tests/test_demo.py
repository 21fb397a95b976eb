import io

import pytest
from django.core.management import call_command

from accounts.models import User
from clinics.models import Clinic
from clinics.selectors import clinic_scope_filter
from support.models import SupportRequest

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_two_staffed_clinics_with_a_support_queue_and_prints_the_logins():
    out = io.StringIO()

    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())  # idempotent

    printed = out.getvalue()
    assert Clinic.objects.count() == 2
    assert "every password: demo-pass-2026" in printed
    logins = printed.split("every password", 1)[1]
    for clinic in Clinic.objects.all():
        staff = clinic.staff.get()
        assert f"  staff    {staff.email}  (/admin/, {clinic.name}" in logins
        assert clinic.doctors.exists()
        visible = clinic_scope_filter(
            queryset=SupportRequest.objects.all(),
            user=User.objects.get(pk=staff.pk),
            scope="appointment__doctor__clinic",
        )
        assert visible.exists()
        assert all(request.appointment.doctor.clinic_id == clinic.pk for request in visible)
        assert [request.assignee for request in visible if request.assignee] == [staff]
