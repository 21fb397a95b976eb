import io

import pytest

from accounts import demo as accounts_demo
from doctors import demo
from doctors.models import DoctorProfile, Review, Specialty, VisitType

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_big_enough(api_client):
    accounts_demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    out = io.StringIO()

    demo.seed(out)

    verified = DoctorProfile.objects.filter(verification_status="verified")
    assert verified.count() >= 40
    assert DoctorProfile.objects.filter(verification_status="pending").exists()
    assert verified.values("city").distinct().count() >= 5
    assert Specialty.objects.filter(doctors__in=verified).distinct().count() >= 10
    assert Review.objects.exists()
    assert "doctor00@demo.tabib.local" in out.getvalue()
    # every demo doctor: the default and several other visit types, seeded once
    for doctor in verified:
        assert doctor.visit_types.filter(is_default=True).count() == 1
        assert doctor.visit_types.filter(is_active=True).count() >= 3
    assert (
        VisitType.objects.filter(name_en="First consultation", new_patients_only=True).count() == verified.count() + 4
    )
    assert api_client.get("/api/v1/doctors", {"q": "helene"}).json()["count"] >= 1
