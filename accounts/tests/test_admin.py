import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory
from core.testing.admin import admin_form_data
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def test_admin_rename_of_a_doctor_goes_through_user_update(client):
    # user_update refreshes the doctor's accent-free search name; a plain save would not.
    doctor = DoctorProfileFactory()
    client.force_login(AdminFactory())
    url = reverse("admin:accounts_user_change", args=[doctor.user.pk])

    response = client.post(url, admin_form_data(client.get(url), last_name="Hélène-Dupré", is_active="on"))

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.user.last_name == "Hélène-Dupré"
    assert doctor.search_name.endswith("helene-dupre")
