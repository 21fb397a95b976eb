"""Issue 17, item 3: a password change signs out every other device; a rotated refresh token
presented again revokes the whole family."""

import pytest
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.models import AuditLog
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-Quiet-river-77"


def _login(api_client, user, password=DEFAULT_PASSWORD) -> dict:
    response = api_client.post("/api/v1/auth/login", {"email": user.email, "password": password})
    assert response.status_code == 200
    return response.json()


def _refresh(api_client, refresh: str):
    return api_client.post("/api/v1/auth/refresh", {"refresh": refresh})


def test_password_change_revokes_the_other_devices_and_keeps_the_current_one(api_client):
    user = UserFactory()
    phone, stolen = _login(api_client, user), _login(api_client, user)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {phone['access']}")
    response = api_client.post(
        "/api/v1/auth/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    api_client.credentials()

    assert response.status_code == 204
    assert _refresh(api_client, stolen["refresh"]).status_code == 401
    # The refused token above was revoked, not rotated: presenting it does not sign the phone out.
    assert _refresh(api_client, phone["refresh"]).status_code == 200
    assert AuditLog.objects.get(action="auth.password_change").data == {"revoked_tokens": 1}


def test_password_change_ends_the_user_portal_sessions(api_client):
    doctor = DoctorProfileFactory().user
    browser = Client()
    browser.force_login(doctor)
    assert browser.get("/portal/").status_code == 200
    tokens = _login(api_client, doctor)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    api_client.post("/api/v1/auth/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})

    response = browser.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


def test_reusing_a_rotated_refresh_token_revokes_every_token_of_the_user(api_client):
    user = UserFactory()
    first = _login(api_client, user)
    other_device = _login(api_client, user)
    rotated = _refresh(api_client, first["refresh"]).json()

    # The thief (or the victim, whoever comes second) presents the already-rotated token.
    reused = _refresh(api_client, first["refresh"])

    assert reused.status_code == 401
    assert _refresh(api_client, rotated["refresh"]).status_code == 401
    assert _refresh(api_client, other_device["refresh"]).status_code == 401
    assert AuditLog.objects.filter(action="auth.refresh_reuse", target_id=str(user.pk)).count() == 1
    assert _login(api_client, user)["refresh"]


def test_rotating_each_new_refresh_token_in_turn_keeps_working(api_client):
    tokens = _login(api_client, UserFactory())

    for _ in range(3):
        response = _refresh(api_client, tokens["refresh"])
        assert response.status_code == 200
        tokens = response.json()


def test_presenting_a_logged_out_refresh_token_does_not_revoke_the_other_devices(api_client):
    user = UserFactory()
    logged_out, other_device = _login(api_client, user), _login(api_client, user)
    api_client.post("/api/v1/auth/logout", {"refresh": logged_out["refresh"]})

    assert _refresh(api_client, logged_out["refresh"]).status_code == 401
    assert _refresh(api_client, other_device["refresh"]).status_code == 200


def test_password_change_and_rotation_stay_within_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    user = UserFactory()
    devices = [_login(api_client, user) for _ in range(5)]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {devices[0]['access']}")

    with django_assert_max_num_queries(7):
        api_client.post(
            "/api/v1/auth/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
        )
    api_client.credentials()
    with django_assert_max_num_queries(9):
        assert _refresh(api_client, devices[0]["refresh"]).status_code == 200
