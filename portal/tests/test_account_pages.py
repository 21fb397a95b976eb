"""allauth's other session pages under /accounts/: reachable by URL, so none may fail or create accounts."""

import pytest

from accounts.models import User
from accounts.tests.factories import DoctorUserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "login/",
    "inactive/",
    "signup/",
    "reauthenticate/",
    "email/",
    "confirm-email/",
    "confirm-email/bad-key/",
    "password/change/",
    "password/set/",
    "password/reset/",
    "password/reset/done/",
    "password/reset/key/done/",
    "password/reset/key/1-bad/",
    "login/code/confirm/",
    "3rdparty/",
    "3rdparty/login/cancelled/",
    "3rdparty/login/error/",
    "3rdparty/signup/",
    "google/login/",
    "google/login/callback/",
    "google/login/token/",
    "facebook/login/",
    "facebook/login/callback/",
    "facebook/login/token/",
    "logout/",
]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "doctor"])
@pytest.mark.parametrize("page", PAGES)
def test_no_account_page_fails(client, page, signed_in):
    client.raise_request_exception = False
    user = DoctorUserFactory()
    for method in ("get", "post"):
        if signed_in:
            client.force_login(user)
        response = getattr(client, method)(f"/accounts/{page}")
        assert response.status_code < 500, (method, page, response.status_code)


def test_unconfigured_social_login_pages_are_404(client):
    assert client.get("/accounts/google/login/").status_code == 404


def test_allauth_sign_up_is_closed(client):
    response = client.post("/accounts/signup/", {"email": "new@example.com", "password1": "another-Quiet-river-77"})

    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.com").exists()
