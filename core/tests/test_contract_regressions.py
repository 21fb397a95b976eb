"""What schemathesis found against the live stack, pinned in-process: each answer is one the
committed contract describes (status code, content type, body)."""

import pytest
from django.test import Client

from accounts.tests.factories import PatientFactory
from core.testing.openapi import assert_matches_contract

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url", "path"),
    [
        ("delete", "/api/v1/devices/null,null", "/api/v1/devices/{id}"),
        ("post", "/api/v1/appointments/null,null/cancel", "/api/v1/appointments/{id}/cancel"),
        ("post", "/api/v1/chat/threads/null,null/messages", "/api/v1/chat/threads/{thread_id}/messages"),
    ],
)
def test_a_write_to_a_malformed_id_is_a_json_404_not_a_csrf_page(method, url, path):
    """The catch-all that answers unknown API paths is not a DRF view: CSRF must not apply to it."""
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(url, data="{}", content_type="application/json")

    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert_matches_contract(response, path=path, method=method)


def test_a_search_window_ending_before_it_starts_is_a_coded_400(api_client):
    response = api_client.get("/api/v1/doctors?available_to=2000-01-01")

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "invalid",
        "detail": "Must be on or after available_from.",
        "attr": "available_to",
    }
    assert_matches_contract(response, path="/api/v1/doctors", method="get")


def test_a_blank_phone_matches_the_profile_schema(auth_client):
    response = auth_client(PatientFactory()).get("/api/v1/patients/me/profile")

    assert response.json()["phone"] == ""
    assert_matches_contract(response, path="/api/v1/patients/me/profile", method="get")


def test_a_phone_of_a_lone_plus_is_refused(auth_client):
    response = auth_client(PatientFactory()).patch("/api/v1/patients/me/profile", {"phone": "+"})

    assert response.status_code == 400
    assert_matches_contract(response, path="/api/v1/patients/me/profile", method="patch")


def test_social_login_without_the_providers_token_field_is_a_documented_400(api_client):
    response = api_client.post("/api/v1/auth/oauth/facebook", {})

    assert response.status_code == 400
    assert_matches_contract(response, path="/api/v1/auth/oauth/{provider}", method="post")
