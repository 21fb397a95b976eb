import time
import uuid

import jwt
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from jwt.algorithms import RSAAlgorithm
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CLIENT_ID = "tabib-test.apps.googleusercontent.com"
FB_APP_ID = "1234567890"
FB_APP_SECRET = "fb-test-secret"


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def google(stand_in_server, settings):
    """A Google stand-in: serves the JWKS of a key made here; `sign(**claims)` makes ID tokens."""
    key = _rsa_key()
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "test-kid", "alg": "RS256", "use": "sig"}
    stand_in_server.route("/oauth2/v3/certs", lambda query: (200, {"keys": [jwk]}))
    settings.GOOGLE_JWKS_URL = f"{stand_in_server.url}/oauth2/v3/certs"
    settings.GOOGLE_CLIENT_ID = CLIENT_ID

    class Google:
        private_key = key

        @staticmethod
        def sign(signing_key=None, kid="test-kid", **overrides) -> str:
            now = int(time.time())
            claims = {
                "iss": "https://accounts.google.com",
                "aud": CLIENT_ID,
                "sub": "google-sub-1",
                "email": "gina@example.com",
                "email_verified": True,
                "given_name": "Gina",
                "family_name": "Lopez",
                "iat": now,
                "exp": now + 600,
                **overrides,
            }
            claims = {name: value for name, value in claims.items() if value is not None}
            return jwt.encode(claims, signing_key or key, algorithm="RS256", headers={"kid": kid})

    return Google


def test_google_login_with_a_valid_id_token_creates_a_verified_patient(api_client, google):
    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"user", "access", "refresh"}
    assert body["user"]["email"] == "gina@example.com"
    assert body["user"]["role"] == Role.PATIENT
    assert body["user"]["email_verified"] is True
    user = User.objects.get(email="gina@example.com")
    assert SocialAccount.objects.get(user=user).uid == "google-sub-1"
    assert not user.has_usable_password()


def test_google_login_again_returns_the_same_user(api_client, google):
    first = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()}).json()

    second = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()}).json()

    assert first["user"]["id"] == second["user"]["id"]
    assert User.objects.filter(email="gina@example.com").count() == 1


def test_google_login_links_an_existing_account_with_the_same_verified_email(api_client, google):
    existing = UserFactory(email="gina@example.com", email_verified=True)

    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign(email="GINA@example.com")})

    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(existing.id)
    assert SocialAccount.objects.filter(user=existing, provider="google").exists()


def test_google_token_with_an_unverified_email_is_not_linked(api_client, google):
    existing = UserFactory(email="gina@example.com")

    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign(email_verified=False)})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "social_link_requires_password"
    assert not SocialAccount.objects.filter(user=existing).exists()


def test_google_token_without_an_email_is_401(api_client, google):
    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign(email=None)})

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "social_email_not_verified"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda g: g.sign(signing_key=_rsa_key()), id="forged-signature"),
        pytest.param(lambda g: g.sign(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), id="expired"),
        pytest.param(lambda g: g.sign(aud="someone-else.apps.googleusercontent.com"), id="wrong-audience"),
        pytest.param(lambda g: g.sign(iss="https://evil.example.com"), id="wrong-issuer"),
        pytest.param(lambda g: g.sign(kid="unknown-kid"), id="unknown-key"),
        pytest.param(lambda g: g.sign(exp=None), id="no-expiry"),
        pytest.param(
            lambda g: jwt.encode(
                {"sub": "x", "aud": CLIENT_ID},
                "a-shared-secret-of-at-least-32-bytes!",
                algorithm="HS256",
                headers={"kid": "test-kid"},
            ),
            id="hs256-with-our-kid",
        ),
        pytest.param(lambda g: "not-a-jwt", id="garbage"),
    ],
)
def test_bad_google_tokens_are_rejected_with_401(api_client, google, make_token):
    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": make_token(google)})

    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "social_token_invalid"
    assert not User.objects.filter(email="gina@example.com").exists()


def test_google_jwks_unreachable_is_503_not_500(google, settings):
    settings.GOOGLE_JWKS_URL = "http://127.0.0.1:9/certs"
    # A 5xx is reported (got_request_exception, for Sentry); the test client would re-raise it.
    api_client = APIClient(raise_request_exception=False)

    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "social_provider_unavailable"


def test_unknown_provider_is_404(api_client):
    response = api_client.post("/api/v1/auth/oauth/twitter", {"access_token": "x"})

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


@pytest.fixture
def facebook(stand_in_server, settings):
    """A Graph API stand-in: `tokens` maps a user access token to (app id, Facebook user)."""
    settings.FACEBOOK_GRAPH_URL = stand_in_server.url
    settings.FACEBOOK_APP_ID = FB_APP_ID
    settings.FACEBOOK_APP_SECRET = FB_APP_SECRET
    tokens: dict[str, tuple[str, dict]] = {
        "good-token": (
            FB_APP_ID,
            {"id": "fb-42", "email": "fatima@example.com", "first_name": "Fatima", "last_name": "Zahra"},
        ),
        "other-app-token": ("999", {"id": "fb-43", "email": "other@example.com"}),
    }

    def debug_token(query):
        if query.get("access_token") != f"{FB_APP_ID}|{FB_APP_SECRET}":
            return 400, {"error": {"message": "bad app token"}}
        known = tokens.get(query.get("input_token", ""))
        if known is None:
            return 200, {"data": {"is_valid": False}}
        app_id, profile = known
        return 200, {"data": {"is_valid": True, "app_id": app_id, "user_id": profile["id"]}}

    def me(query):
        known = tokens.get(query.get("access_token", ""))
        if known is None or not query.get("appsecret_proof"):
            return 400, {"error": {"message": "invalid token"}}
        return 200, known[1]

    stand_in_server.route("/debug_token", debug_token)
    stand_in_server.route("/me", me)
    return stand_in_server


def test_facebook_login_with_a_valid_token_returns_user_and_tokens(api_client, facebook):
    response = api_client.post("/api/v1/auth/oauth/facebook", {"access_token": "good-token"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["email"] == "fatima@example.com"
    assert body["user"]["first_name"] == "Fatima"
    assert {"access", "refresh"} <= set(body)
    assert SocialAccount.objects.get(provider="facebook").uid == "fb-42"
    assert [path for path, _query in facebook.requests] == ["/debug_token", "/me"]


@pytest.mark.parametrize("token", ["unknown-token", "other-app-token"])
def test_facebook_token_not_valid_for_our_app_is_401(api_client, facebook, token):
    response = api_client.post("/api/v1/auth/oauth/facebook", {"access_token": token})

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "social_token_invalid"


@pytest.mark.parametrize("role", [Role.PATIENT, Role.DOCTOR, Role.ADMIN])
def test_facebook_email_never_links_an_existing_account_even_a_verified_one(api_client, facebook, role):
    existing = UserFactory(email="fatima@example.com", email_verified=True, role=role, is_staff=role == Role.ADMIN)

    response = api_client.post("/api/v1/auth/oauth/facebook", {"access_token": "good-token"})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "social_link_requires_password"
    assert "password" in response.json()["errors"][0]["detail"]
    assert not SocialAccount.objects.filter(user=existing).exists()
    assert "access" not in response.json()


def test_facebook_sign_up_makes_an_account_whose_email_is_not_verified(
    api_client, facebook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/auth/oauth/facebook", {"access_token": "good-token"})

    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is False
    user = User.objects.get(email="fatima@example.com")
    assert EmailAddress.objects.get(user=user).verified is False
    assert [message.to for message in mail.outbox] == [["fatima@example.com"]]


# --- Issue 17, item 1: the account registered before its owner ------------------------------------


def _reset_link(user) -> dict:
    return {"uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}


def test_an_account_registered_first_by_an_attacker_is_not_handed_the_owner_google_sign_in(
    api_client, google, django_capture_on_commit_callbacks
):
    # The attacker registers the victim's address with a password of their own (never verified).
    with django_capture_on_commit_callbacks(execute=True):
        registered = api_client.post(
            "/api/v1/auth/register",
            {
                "email": "gina@example.com",
                "password": "attacker-Chosen-pass-1",
                "role": "patient",
                "first_name": "Gina",
                "last_name": "Lopez",
            },
        ).json()

    # The owner signs in with Google: refused, nothing linked, no tokens for this account.
    owner = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})

    assert owner.status_code == 409
    assert owner.json()["errors"][0]["code"] == "social_link_requires_password"
    account = User.objects.get(email="gina@example.com")
    assert not SocialAccount.objects.filter(user=account).exists()
    assert account.email_verified is False

    # The owner resets the password through the mailbox they own; the attacker is shut out.
    with django_capture_on_commit_callbacks(execute=True):
        reset = api_client.post(
            "/api/v1/auth/password/reset", {**_reset_link(account), "new_password": "owner-Real-secret-2"}
        )
    assert reset.status_code == 204
    attacker_refresh = api_client.post("/api/v1/auth/refresh", {"refresh": registered["refresh"]})
    assert attacker_refresh.status_code == 401
    attacker_login = api_client.post(
        "/api/v1/auth/login", {"email": "gina@example.com", "password": "attacker-Chosen-pass-1"}
    )
    assert attacker_login.status_code == 401

    # Now the address is the owner's, proven by the reset link: Google links to it.
    linked = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})
    assert linked.status_code == 200
    assert linked.json()["user"]["id"] == str(account.id)
    assert linked.json()["user"]["email_verified"] is True


def test_reset_of_an_unverified_account_removes_social_links_made_by_someone_else(
    api_client, facebook, django_capture_on_commit_callbacks
):
    # Someone signs up through Facebook with an address Facebook never confirmed.
    squatter = api_client.post("/api/v1/auth/oauth/facebook", {"access_token": "good-token"}).json()
    account = User.objects.get(email="fatima@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        reset = api_client.post(
            "/api/v1/auth/password/reset", {**_reset_link(account), "new_password": "owner-Real-secret-2"}
        )

    assert reset.status_code == 204
    assert not SocialAccount.objects.filter(user=account).exists()
    assert api_client.post("/api/v1/auth/refresh", {"refresh": squatter["refresh"]}).status_code == 401
    again = api_client.post("/api/v1/auth/oauth/facebook", {"access_token": "good-token"})
    assert again.status_code == 409
    account.refresh_from_db()
    assert account.email_verified is True


def test_social_login_of_an_erased_account_is_refused(api_client, google, auth_client):
    api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})
    user = User.objects.get(email="gina@example.com")
    auth_client(user).delete("/api/v1/users/me")

    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})

    # The social link went with the erasure, so this is a brand-new account, not the erased one.
    assert response.status_code == 200
    assert response.json()["user"]["id"] != str(user.id)


def test_social_sign_in_is_throttled_per_provider_identity(api_client, google, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "oauth": "2/hour"},
    }
    for _attempt in range(2):
        assert api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()}).status_code == 200

    response = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})
    other = api_client.post(
        "/api/v1/auth/oauth/google", {"id_token": google.sign(sub="google-sub-2", email="omar@example.com")}
    )

    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "throttled"
    assert "Retry-After" in response
    assert other.status_code == 200


def test_signed_in_with_the_password_the_owner_links_google_to_an_unverified_account(api_client, google):
    owner = UserFactory(email="gina@example.com", email_verified=False)
    assert api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()}).status_code == 409
    tokens = api_client.post("/api/v1/auth/login", {"email": owner.email, "password": DEFAULT_PASSWORD}).json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    linked = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})
    api_client.credentials()
    later = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()})

    assert linked.status_code == 200
    assert linked.json()["user"]["id"] == str(owner.id)
    assert later.status_code == 200
    assert later.json()["user"]["id"] == str(owner.id)


def test_an_identity_linked_to_one_account_cannot_be_linked_to_another(api_client, google, auth_client):
    first = api_client.post("/api/v1/auth/oauth/google", {"id_token": google.sign()}).json()
    other = UserFactory()

    response = auth_client(other).post("/api/v1/auth/oauth/google", {"id_token": google.sign()})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "social_account_linked_elsewhere"
    assert SocialAccount.objects.get(provider="google").user_id == uuid.UUID(first["user"]["id"])
