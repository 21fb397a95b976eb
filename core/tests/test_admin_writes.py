"""Where the domain has a proper action (cancel, hide, refund), the admin offers no delete."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.tests.factories import AdminFactory
from appointments.models import Appointment
from doctors.models import DoctorProfile, Review
from payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Appointment, Review, Payment, DoctorProfile])
def test_no_delete_and_no_bulk_delete_where_the_domain_has_an_action(model):
    request = RequestFactory().get("/admin/")
    request.user = AdminFactory()
    model_admin = admin.site._registry[model]

    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
