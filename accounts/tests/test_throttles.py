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
