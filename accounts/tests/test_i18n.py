import pytest
from django.core import mail

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_validation_error_follows_accept_language_fr(api_client):
    response = api_client.post("/api/v1/auth/register", {"email": "not-an-email"}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    details = {error["attr"]: error["detail"] for error in response.json()["errors"]}
    assert details["password"] == "Ce champ est obligatoire."
    assert details["email"] == "Saisissez une adresse e-mail valide."


def test_our_own_error_messages_are_translated(api_client):
    response = api_client.post(
        "/api/v1/auth/login", {"email": "x@example.com", "password": "wrong-password-1"}, HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert response.json()["errors"][0]["detail"] == "Impossible de se connecter avec les identifiants fournis."


def test_without_a_header_english_is_the_default(api_client):
    response = api_client.post("/api/v1/auth/register", {})

    assert response.json()["errors"][0]["detail"] == "This field is required."


def test_without_a_header_a_french_user_gets_french(auth_client):
    client = auth_client(UserFactory(locale="fr"))

    response = client.patch("/api/v1/users/me", {"theme": "neon"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == "«\xa0neon\xa0» n'est pas un choix valide."


def test_header_wins_over_the_saved_locale(auth_client):
    client = auth_client(UserFactory(locale="fr"))

    response = client.patch("/api/v1/users/me", {"theme": "neon"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["errors"][0]["detail"] == '"neon" is not a valid choice.'


def test_password_reset_email_uses_the_recipient_locale_not_the_request(api_client, django_capture_on_commit_callbacks):
    user = UserFactory(locale="fr")

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/password/forgot", {"email": user.email}, HTTP_ACCEPT_LANGUAGE="en")

    message = mail.outbox[0]
    assert message.subject == "Réinitialisez votre mot de passe Tabib"
    assert "Choisir un nouveau mot de passe" in message.alternatives[0][0]
    assert "Bonjour" in message.body


def test_project_catalog_translates_core_errors(api_client):
    response = api_client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"] == "Introuvable."


def test_throttled_message_follows_the_language(api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "1/min"}}
    body = {"email": "x@example.com", "password": "wrong-password-1"}
    api_client.post("/api/v1/auth/login", body)

    response = api_client.post("/api/v1/auth/login", body, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 429
    assert "Requête ralentie" in response.json()["errors"][0]["detail"]
