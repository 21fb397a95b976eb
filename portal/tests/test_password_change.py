"""Changing the password from the portal: the API's `password_change` service, errors next to the fields."""

import pytest
from django.urls import reverse

from core.models import AuditLog

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-2026"


def _change(client, old, new, again=None):
    return client.post(
        reverse("portal:password-change"),
        {"old_password": old, "new_password": new, "new_password_again": again or new},
    )


def test_a_doctor_changes_their_password_and_stays_signed_in(doctor_client, doctor, password):
    response = _change(doctor_client, password, NEW_PASSWORD)

    assert response.status_code == 302 and response["Location"] == reverse("portal:profile")
    doctor.user.refresh_from_db()
    assert doctor.user.check_password(NEW_PASSWORD)
    assert doctor_client.get(reverse("portal:today")).status_code == 200
    assert AuditLog.objects.filter(action="auth.password_change", target_id=str(doctor.user.pk)).exists()


@pytest.mark.parametrize(
    ("old", "new", "again", "field", "message"),
    [
        ("wrong-current-1", NEW_PASSWORD, None, "old_password", "Your current password is incorrect."),
        (None, "short", None, "new_password", "at least 10 characters"),
        (None, NEW_PASSWORD, "something-else-2026", "new_password_again", "The two passwords do not match."),
    ],
)
def test_bad_input_shows_the_error_next_to_its_field_and_changes_nothing(
    doctor_client, doctor, password, old, new, again, field, message
):
    response = _change(doctor_client, old or password, new, again)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    doctor.user.refresh_from_db()
    assert doctor.user.check_password(password)


def test_allauths_password_pages_lead_to_the_portals(doctor_client):
    for path in ("/accounts/password/change/", "/accounts/password/set/"):
        response = doctor_client.get(path)
        assert response.status_code == 302 and response["Location"] == reverse("portal:password-change")
