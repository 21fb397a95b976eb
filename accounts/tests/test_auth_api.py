import re

import pytest
from django.core import mail
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import PatientProfile, Role, User
from accounts.services import user_update
from accounts.tests.factories import DEFAULT_PASSWORD, PatientFactory, UserFactory
from core.exceptions import ApplicationError
from core.models import AuditLog
from doctors.models import DoctorProfile, VerificationStatus

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-Quiet-river-77"
RESET = "/api/v1/auth/password/reset"


def _register(api_client, capture, **overrides):
    body = {
        "email": "nadia@example.com",
        "password": "plum-Tree-harbour-42",
        "role": "patient",
        "first_name": "Nadia",
        "last_name": "Haddad",
        **overrides,
    }
    with capture(execute=True):
        return api_client.post("/api/v1/auth/register", body)


def _emailed(pattern: str, message) -> str:
    match = re.search(pattern, message.body)
    assert match, message.body
    return match.group(1)


def test_register_login_refresh_logout_verify_flow(api_client, django_capture_on_commit_callbacks):
    # register
    response = _register(api_client, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body["user"]) >= {
        "id",
        "email",
        "role",
        "first_name",
        "last_name",
        "locale",
        "theme",
        "email_verified",
        "avatar_url",
        "created_at",
    }
    assert body["user"]["email_verified"] is False
    assert len(mail.outbox) == 1
    key = _emailed(r"key: (\S+)", mail.outbox[0])

    # login
    response = api_client.post("/api/v1/auth/login", {"email": "NADIA@example.com", "password": "plum-Tree-harbour-42"})
    assert response.status_code == 200
    first_refresh = response.json()["refresh"]

    # refresh rotates: the old refresh is dead afterwards
    response = api_client.post("/api/v1/auth/refresh", {"refresh": first_refresh})
    assert response.status_code == 200
    second = response.json()
    assert set(second) == {"access", "refresh"}

    # logout revokes the refresh it is given
    assert api_client.post("/api/v1/auth/logout", {"refresh": second["refresh"]}).status_code == 204
    assert api_client.post("/api/v1/auth/refresh", {"refresh": second["refresh"]}).status_code == 401
    reused = api_client.post("/api/v1/auth/refresh", {"refresh": first_refresh})
    assert reused.status_code == 401
    assert reused.json()["errors"][0]["code"] == "token_not_valid"

    # verify: a valid access token -> the user; garbage -> 401
    response = api_client.post("/api/v1/auth/verify", {"token": second["access"]})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "nadia@example.com"
    assert api_client.post("/api/v1/auth/verify", {"token": "nope"}).status_code == 401

    # email verification with the emailed key
    response = api_client.post("/api/v1/auth/email/verify", {"key": key})
    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is True
    assert User.objects.get(email="nadia@example.com").email_verified is True
    again = api_client.post("/api/v1/auth/email/verify", {"key": key})
    assert again.status_code == 400
    assert again.json()["errors"][0]["code"] == "invalid_key"


def test_register_patient_creates_a_patient_profile(api_client, django_capture_on_commit_callbacks):
    response = _register(api_client, django_capture_on_commit_callbacks)

    user = User.objects.get(pk=response.json()["user"]["id"])
    assert user.role == Role.PATIENT
    assert PatientProfile.objects.filter(user=user).exists()
    assert not DoctorProfile.objects.filter(user=user).exists()
    assert AuditLog.objects.filter(action="auth.register", target_id=str(user.pk)).exists()


def test_register_doctor_creates_a_pending_doctor_profile(api_client, django_capture_on_commit_callbacks):
    response = _register(api_client, django_capture_on_commit_callbacks, role="doctor")

    assert response.status_code == 201
    profile = DoctorProfile.objects.get(user_id=response.json()["user"]["id"])
    assert profile.verification_status == VerificationStatus.PENDING
    assert response.json()["user"]["role"] == "doctor"


def test_register_as_admin_is_rejected(api_client, django_capture_on_commit_callbacks):
    response = _register(api_client, django_capture_on_commit_callbacks, role="admin")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "role"
    assert not User.objects.filter(email="nadia@example.com").exists()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1A", "password_too_short"),
        ("password123", "password_too_common"),
        ("48213957620", "password_entirely_numeric"),
        ("nadia.haddad@example", "password_too_similar"),
    ],
)
def test_register_with_a_weak_password_is_400(api_client, django_capture_on_commit_callbacks, password, code):
    response = _register(
        api_client, django_capture_on_commit_callbacks, email="nadia.haddad@example.com", password=password
    )

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["attr"]) == (code, "password")
    assert len(mail.outbox) == 0


def test_register_with_a_taken_email_in_any_case_is_400(api_client, django_capture_on_commit_callbacks):
    UserFactory(email="nadia@example.com")

    response = _register(api_client, django_capture_on_commit_callbacks, email="Nadia@Example.com")

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "email_taken",
        "detail": "An account with this email already exists.",
        "attr": "email",
    }


def test_register_without_locale_takes_the_request_language(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/auth/register",
            {
                "email": "luc@example.com",
                "password": "plum-Tree-harbour-42",
                "role": "patient",
                "first_name": "Luc",
                "last_name": "Moreau",
            },
            HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9",
        )

    assert response.json()["user"]["locale"] == "fr"
    assert mail.outbox[0].subject == "Confirmez votre adresse e-mail Tabib"
    html, mimetype = mail.outbox[0].alternatives[0]
    assert mimetype == "text/html"
    assert "Confirmer mon adresse e-mail" in html


def test_login_with_a_wrong_password_is_401_with_a_generic_message(api_client):
    user = UserFactory()

    wrong_password = api_client.post("/api/v1/auth/login", {"email": user.email, "password": "not-the-password"})
    unknown_email = api_client.post("/api/v1/auth/login", {"email": "ghost@example.com", "password": "whatever-1234"})

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["errors"][0]["code"] == "invalid_credentials"
    assert AuditLog.objects.filter(action="auth.login_failed").count() == 2


def test_login_of_an_inactive_user_is_401(api_client):
    user = UserFactory(is_active=False)

    response = api_client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 401


def test_login_is_audited(api_client):
    user = UserFactory()

    api_client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})

    assert AuditLog.objects.get(action="auth.login").actor == user


def test_forgot_and_reset_password_with_the_emailed_token(api_client, django_capture_on_commit_callbacks):
    user = UserFactory(email="rania@example.com", locale="en")
    old_refresh = str(RefreshToken.for_user(user))

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/auth/password/forgot", {"email": "Rania@example.com"})
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rania@example.com"]
    assert message.alternatives[0][1] == "text/html"
    uid, token = _emailed(r"uid: (\S+)", message), _emailed(r"token: (\S+)", message)

    response = api_client.post(RESET, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert api_client.post("/api/v1/auth/refresh", {"refresh": old_refresh}).status_code == 401
    assert AuditLog.objects.filter(action="auth.password_reset", actor=user).exists()
    replay = api_client.post(RESET, {"uid": uid, "token": token, "new_password": "x-Other-pass-99"})
    assert replay.status_code == 400
    assert replay.json()["errors"][0]["code"] == "invalid_reset_token"


def test_forgot_password_for_an_unknown_email_is_202_and_sends_nothing(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/auth/password/forgot", {"email": "ghost@example.com"})

    assert response.status_code == 202
    assert mail.outbox == []


def test_reset_with_a_forged_token_is_400(api_client):
    user = UserFactory()
    uid = urlsafe_base64_encode(str(user.pk).encode())

    response = api_client.post(RESET, {"uid": uid, "token": "abc-123", "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_with_a_weak_password_is_400(api_client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/password/forgot", {"email": user.email})
    uid, token = _emailed(r"uid: (\S+)", mail.outbox[0]), _emailed(r"token: (\S+)", mail.outbox[0])

    response = api_client.post(RESET, {"uid": uid, "token": token, "new_password": "123"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "new_password"


def test_change_password(auth_client, api_client):
    user = UserFactory()

    response = auth_client(user).post(
        "/api/v1/auth/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    assert api_client.post("/api/v1/auth/login", {"email": user.email, "password": NEW_PASSWORD}).status_code == 200
    assert AuditLog.objects.filter(action="auth.password_change", actor=user).exists()


def test_change_password_with_a_wrong_old_password_is_400(auth_client):
    user = UserFactory()

    response = auth_client(user).post(
        "/api/v1/auth/password/change", {"old_password": "wrong-password-1", "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "old_password"


def test_change_password_needs_authentication(api_client):
    response = api_client.post("/api/v1/auth/password/change", {"old_password": "a", "new_password": "b"})

    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_get_and_patch_me(auth_client):
    user = UserFactory(first_name="Old")
    client = auth_client(user)

    response = client.patch(
        "/api/v1/users/me",
        {"first_name": "New", "locale": "fr", "theme": "dark", "role": "admin", "email": "hacker@example.com"},
    )

    assert response.status_code == 200
    assert response.json()["first_name"] == "New"
    assert response.json()["theme"] == "dark"
    user.refresh_from_db()
    assert (user.first_name, user.locale, user.theme, user.role, user.email) == (
        "New",
        "fr",
        "dark",
        Role.PATIENT,
        user.email,
    )
    assert client.get("/api/v1/users/me").json()["locale"] == "fr"


def test_patch_me_with_an_unknown_theme_is_400(auth_client):
    response = auth_client(UserFactory()).patch("/api/v1/users/me", {"theme": "neon"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "theme"


def test_erasure_deactivates_anonymises_and_revokes_tokens(auth_client, api_client):
    user = PatientFactory(email="erase.me@example.com", first_name="Erase", last_name="Me")
    user.patient_profile.phone = "+33 6 12 34 56 78"
    user.patient_profile.save()
    refresh = str(RefreshToken.for_user(user))
    client = auth_client(user)

    response = client.delete("/api/v1/users/me")

    assert response.status_code == 204
    user.refresh_from_db()
    assert not user.is_active
    assert "erase.me" not in user.email and user.first_name == "" and user.last_name == ""
    assert not user.has_usable_password()
    assert user.patient_profile.phone == "" and user.patient_profile.city == ""
    assert api_client.post("/api/v1/auth/refresh", {"refresh": refresh}).status_code == 401
    assert client.get("/api/v1/users/me").status_code == 401
    assert (
        api_client.post(
            "/api/v1/auth/login", {"email": "erase.me@example.com", "password": DEFAULT_PASSWORD}
        ).status_code
        == 401
    )
    assert AuditLog.objects.filter(action="user.erase", target_id=str(user.pk)).exists()


def test_erased_email_can_register_again(auth_client, api_client, django_capture_on_commit_callbacks):
    user = UserFactory(email="nadia@example.com")
    auth_client(user).delete("/api/v1/users/me")

    response = _register(api_client, django_capture_on_commit_callbacks)

    assert response.status_code == 201


def test_patient_profile_get_and_patch(auth_client):
    user = PatientFactory()
    client = auth_client(user)

    response = client.patch(
        "/api/v1/patients/me/profile",
        {
            "date_of_birth": "1990-04-02",
            "phone": "+212 600-000000",
            "gender": "female",
            "city": "Rabat",
            "country": "ma",
        },
    )

    assert response.status_code == 200, response.json()
    assert client.get("/api/v1/patients/me/profile").json() == {
        "date_of_birth": "1990-04-02",
        "phone": "+212 600-000000",
        "gender": "female",
        "address": "",
        "city": "Rabat",
        "country": "MA",
    }


def test_patient_profile_rejects_a_future_birth_date(auth_client):
    response = auth_client(PatientFactory()).patch("/api/v1/patients/me/profile", {"date_of_birth": "2999-01-01"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "date_of_birth"


def test_patient_profile_is_for_patients_only(auth_client):
    doctor = UserFactory(role=Role.DOCTOR)

    response = auth_client(doctor).get("/api/v1/patients/me/profile")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "not_a_patient"


def test_me_is_read_in_a_fixed_number_of_queries(auth_client, django_assert_max_num_queries):
    client = auth_client(UserFactory())

    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/users/me")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("timezone", "Mars/Olympus", "invalid_timezone"),
        ("timezone", "Europe/Atlantis", "invalid_timezone"),
        ("locale", "de", "invalid_locale"),
    ],
)
def test_patch_me_with_an_unknown_time_zone_or_locale_is_400_from_the_service(auth_client, field, value, code):
    user = UserFactory(timezone="Europe/Paris", locale="en")

    response = auth_client(user).patch("/api/v1/users/me", {field: value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
    assert response.json()["errors"][0]["attr"] == field
    user.refresh_from_db()
    assert (user.timezone, user.locale) == ("Europe/Paris", "en")


def test_user_update_refuses_an_unknown_zone_whoever_calls_it():
    user = UserFactory()

    with pytest.raises(ApplicationError) as refused:
        user_update(user=user, data={"timezone": "Europe/Atlantis"})

    assert refused.value.code == "invalid_timezone"
