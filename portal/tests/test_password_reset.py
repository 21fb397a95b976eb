"""The portal's password reset: allauth's pages (/accounts/password/reset/...), our templates and services."""

import re

import pytest
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import DEFAULT_PASSWORD, DoctorUserFactory
from core.models import AuditLog

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-Quiet-river-77"
RESET = "/accounts/password/reset/"


@pytest.fixture
def request_reset(client, django_capture_on_commit_callbacks):
    def post(email: str, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESET, {"email": email}, **extra)

    return post


def _reset_link(message) -> str:
    match = re.search(r"http://testserver/accounts/password/reset/key/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def _open_reset_form(client, link: str) -> str:
    """Following the emailed link moves the key into the session; the form lives at the URL it redirects to."""
    response = client.get(link)
    assert response.status_code == 302
    return response["Location"]


def test_the_login_page_links_to_the_reset_page(client):
    html = client.get(reverse("portal:login")).content.decode()
    assert f'href="{RESET}"' in html


def test_a_doctor_resets_the_password_by_email_and_signs_in_to_the_portal_with_it(
    client, doctor, request_reset, mailoutbox
):
    # given a doctor who asks for a reset (any case of their email)
    response = request_reset(doctor.user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    # then they get one email whose link opens the portal's host
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [doctor.user.email]
    link = _reset_link(message)
    assert link in message.alternatives[0][0]
    # when they follow it and choose a new password
    form_url = _open_reset_form(client, link)
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    done = client.get(response["Location"]).content.decode()
    assert f'href="{reverse("portal:login")}"' in done
    # then the portal takes the new password and no longer the old one
    assert (
        client.post(reverse("portal:login"), {"username": doctor.user.email, "password": DEFAULT_PASSWORD}).status_code
        == 200
    )
    response = client.post(reverse("portal:login"), {"username": doctor.user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:today")


def test_mismatched_passwords_show_a_field_error_and_change_nothing(client, doctor, request_reset, mailoutbox):
    request_reset(doctor.user.email)
    form_url = _open_reset_form(client, _reset_link(mailoutbox[0]))

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert "errorlist" in response.content.decode()
    doctor.user.refresh_from_db()
    assert doctor.user.check_password(DEFAULT_PASSWORD)


def test_a_weak_password_shows_a_field_error_and_changes_nothing(client, doctor, request_reset, mailoutbox):
    request_reset(doctor.user.email)
    form_url = _open_reset_form(client, _reset_link(mailoutbox[0]))

    response = client.post(form_url, {"password1": "12345678", "password2": "12345678"})

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    doctor.user.refresh_from_db()
    assert doctor.user.check_password(DEFAULT_PASSWORD)


def test_a_portal_reset_revokes_the_apps_sessions_and_is_audited_like_the_apis(
    client, doctor, request_reset, mailoutbox, api_client
):
    refresh = str(RefreshToken.for_user(doctor.user))
    request_reset(doctor.user.email)
    form_url = _open_reset_form(client, _reset_link(mailoutbox[0]))

    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert api_client.post("/api/v1/auth/refresh", {"refresh": refresh}).status_code == 401
    assert AuditLog.objects.filter(action="auth.password_reset", actor=doctor.user).count() == 1


def test_a_used_link_is_refused(client, doctor, request_reset, mailoutbox):
    request_reset(doctor.user.email)
    link = _reset_link(mailoutbox[0])
    client.post(_open_reset_form(client, link), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = client.get(link)

    assert response.status_code == 200
    assert response.context["token_fail"]
    assert "This password reset link is invalid or has expired." in response.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_email(client, doctor, request_reset, mailoutbox):
    # given one request for a real account and one for an unknown address
    known = request_reset(doctor.user.email)
    unknown = request_reset("nobody@example.com")
    # then both answer alike, and only the real account gets mail
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mailoutbox] == [[doctor.user.email]]


def test_an_inactive_account_gets_no_email(request_reset, mailoutbox):
    user = DoctorUserFactory(is_active=False)

    assert request_reset(user.email).status_code == 302
    assert mailoutbox == []


def test_the_email_is_in_the_recipients_language_not_the_pages(request_reset, mailoutbox):
    user = DoctorUserFactory(locale="fr")

    request_reset(user.email, HTTP_ACCEPT_LANGUAGE="en")

    message = mailoutbox[0]
    assert message.subject == "Réinitialisez votre mot de passe Tabib"
    assert "Choisir un nouveau mot de passe" in message.alternatives[0][0]
    assert "uid:" not in message.body  # the app's codes are for the app's reset only


def test_a_malformed_email_is_a_field_error(client, mailoutbox):
    response = client.post(RESET, {"email": "not-an-email"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert mailoutbox == []


def test_reset_requests_are_limited_per_account_not_per_ip(request_reset, mailoutbox):
    # given an account that has asked for a reset ten times in the hour (the configured limit)
    first, second = DoctorUserFactory(), DoctorUserFactory()
    for _attempt in range(10):
        assert request_reset(first.email).status_code == 302
    # when it asks once more, then it is refused with our page
    response = request_reset(first.email)
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    # and another account asking from the same address is not
    assert request_reset(second.email).status_code == 302
    assert [m.to[0] for m in mailoutbox] == [first.email] * 10 + [second.email]
