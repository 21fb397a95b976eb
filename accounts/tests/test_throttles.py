import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/password/forgot"
CLINIC_IP = "203.0.113.7"


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "login": "3/min",
            "login_account": "5/hour",
            "password_forgot": "2/hour",
            "password_forgot_account": "3/hour",
        },
    }


def _login(api_client, email, password="wrong-password-1", ip=CLINIC_IP):
    return api_client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_repeated_failed_logins_are_throttled_with_retry_after(api_client, low_rates):
    user = UserFactory()
    for _attempt in range(3):
        assert _login(api_client, user.email).status_code == 401

    response = _login(api_client, user.email.upper(), password=DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "throttled"


def test_another_account_from_the_same_ip_is_not_blocked(api_client, low_rates):
    attacked, colleague = UserFactory(), UserFactory()
    for _attempt in range(4):
        _login(api_client, attacked.email)

    response = _login(api_client, colleague.email, password=DEFAULT_PASSWORD)

    assert response.status_code == 200


def test_one_account_is_throttled_across_ips(api_client, low_rates):
    user = UserFactory()
    for attempt in range(5):
        assert _login(api_client, user.email, ip=f"198.51.100.{attempt}").status_code == 401

    response = _login(api_client, user.email, ip="198.51.100.200")

    assert response.status_code == 429


def test_password_forgot_is_throttled_per_account_and_ip_only(api_client, low_rates):
    user, colleague = UserFactory(), UserFactory()
    for _attempt in range(2):
        assert api_client.post(FORGOT, {"email": user.email}, REMOTE_ADDR=CLINIC_IP).status_code == 202

    blocked = api_client.post(FORGOT, {"email": user.email}, REMOTE_ADDR=CLINIC_IP)
    colleague_response = api_client.post(FORGOT, {"email": colleague.email}, REMOTE_ADDR=CLINIC_IP)

    assert blocked.status_code == 429
    assert "Retry-After" in blocked
    assert colleague_response.status_code == 202


def test_default_login_rate_allows_ten_attempts_a_minute(api_client):
    user = UserFactory()
    statuses = [_login(api_client, user.email).status_code for _attempt in range(11)]

    assert statuses == [401] * 10 + [429]


# --- Issue 17, item 10: registration is no free enumeration oracle ---------------------------------

REGISTER = "/api/v1/auth/register"


def _register(api_client, email, password="plum-Tree-harbour-42", **extra):
    body = {"email": email, "password": password, "role": "patient", "first_name": "N", "last_name": "H"}
    return api_client.post(REGISTER, body, **extra)


def test_registration_checks_the_password_before_saying_the_email_is_taken(api_client):
    existing = UserFactory()

    weak = _register(api_client, existing.email, password="123")

    assert weak.status_code == 400
    assert {error["code"] for error in weak.json()["errors"]} != {"email_taken"}
    assert all(error["attr"] == "password" for error in weak.json()["errors"])


def test_registration_is_throttled_per_email_across_addresses(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"register": "2/hour", "register_ip": "100/hour"},
    }
    existing = UserFactory()
    for attempt in range(2):
        assert _register(api_client, existing.email, REMOTE_ADDR=f"198.51.100.{attempt}").status_code == 400

    response = _register(api_client, existing.email, REMOTE_ADDR="198.51.100.99")

    assert response.status_code == 429
    assert _register(api_client, "someone.else@example.com", REMOTE_ADDR="198.51.100.99").status_code == 201


def test_registration_is_throttled_per_address_whatever_forwarded_for_says(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"register": "100/hour", "register_ip": "2/hour"},
    }
    for attempt in range(2):
        _register(
            api_client, f"probe{attempt}@example.com", REMOTE_ADDR=CLINIC_IP, HTTP_X_FORWARDED_FOR=f"10.9.9.{attempt}"
        )

    response = _register(api_client, "probe9@example.com", REMOTE_ADDR=CLINIC_IP, HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 429
    assert _register(api_client, "probe9@example.com", REMOTE_ADDR="198.51.100.1").status_code == 201
