"""Garbage thrown at every accounts endpoint: always a 4xx in the API's error shape, never a 500."""

import json

import pytest

from accounts.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

# (method, path, needs auth, body fields)
ENDPOINTS = [
    ("post", "/api/v1/auth/register", False, ["email", "password", "role", "first_name", "last_name", "locale"]),
    ("post", "/api/v1/auth/login", False, ["email", "password"]),
    ("post", "/api/v1/auth/refresh", False, ["refresh"]),
    ("post", "/api/v1/auth/logout", False, ["refresh"]),
    ("post", "/api/v1/auth/verify", False, ["token"]),
    ("post", "/api/v1/auth/email/verify", False, ["key"]),
    ("post", "/api/v1/auth/password/forgot", False, ["email"]),
    ("post", "/api/v1/auth/password/reset", False, ["uid", "token", "new_password"]),
    ("post", "/api/v1/auth/password/change", True, ["old_password", "new_password"]),
    ("post", "/api/v1/auth/oauth/google", False, ["id_token"]),
    ("post", "/api/v1/auth/oauth/facebook", False, ["access_token"]),
    ("patch", "/api/v1/users/me", True, ["first_name", "last_name", "locale", "theme", "timezone"]),
    ("patch", "/api/v1/patients/me/profile", True, ["date_of_birth", "phone", "gender", "address", "city", "country"]),
]
ENDPOINT_IDS = [f"{method}-{path.removeprefix('/api/v1/')}" for method, path, _auth, _fields in ENDPOINTS]

# Values no field of these endpoints accepts.
WRONG_TYPES = {
    "list": [1, "two", None],
    "object": {"nested": {"deeper": True}},
    "huge-string": "x" * 200_000,
    "nul-byte": "abc\x00def",
}
# Raw bodies sent as application/json.
BAD_BODIES = {
    "broken-json": '{"email": "a@b.c", ',
    "json-array": "[1, 2, 3]",
    "json-string": '"just a string"',
    "json-number": "42",
    "json-null": "null",
    "deeply-nested": "[" * 5000 + "]" * 5000,
    "not-utf8": b"\xff\xfe\xfa".decode("latin-1"),
}


@pytest.fixture
def client_for(api_client, auth_client, settings):
    settings.GOOGLE_CLIENT_ID = "client-id"
    settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = "1", "secret"
    user = PatientFactory()

    def make(needs_auth: bool):
        return auth_client(user) if needs_auth else api_client

    return make


def assert_error_shape(response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert body["type"] in ("validation_error", "client_error")
    assert body["errors"] and all(set(error) == {"code", "detail", "attr"} for error in body["errors"])


@pytest.mark.parametrize(("method", "path", "needs_auth", "fields"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
def test_wrong_types_in_every_field_are_400(client_for, method, path, needs_auth, fields, kind):
    body = {field: WRONG_TYPES[kind] for field in fields}

    response = getattr(client_for(needs_auth), method)(path, body, format="json")

    assert_error_shape(response, 400)
    assert response.json()["type"] == "validation_error"


@pytest.mark.parametrize(("method", "path", "needs_auth", "fields"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_malformed_json_bodies_are_400(client_for, method, path, needs_auth, fields, kind):
    response = getattr(client_for(needs_auth), method)(path, BAD_BODIES[kind], content_type="application/json")

    assert_error_shape(response, 400)


@pytest.mark.parametrize(("method", "path", "needs_auth", "fields"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_wrong_content_type_is_415(client_for, method, path, needs_auth, fields):
    response = getattr(client_for(needs_auth), method)(path, json.dumps({"a": 1}), content_type="text/plain")

    assert_error_shape(response, 415)
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("method", "path", "needs_auth", "fields"),
    [endpoint for endpoint in ENDPOINTS if endpoint[0] == "post"],
    ids=[i for i, endpoint in zip(ENDPOINT_IDS, ENDPOINTS, strict=True) if endpoint[0] == "post"],
)
def test_missing_fields_are_400_with_each_field_named(client_for, method, path, needs_auth, fields):
    response = getattr(client_for(needs_auth), method)(path, {}, format="json")

    assert_error_shape(response, 400)
    required = {error["attr"] for error in response.json()["errors"] if error["code"] == "required"}
    assert required and required <= set(fields)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/users/me"),
        ("patch", "/api/v1/users/me"),
        ("delete", "/api/v1/users/me"),
        ("get", "/api/v1/patients/me/profile"),
        ("patch", "/api/v1/patients/me/profile"),
        ("post", "/api/v1/auth/password/change"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer a b c"])
def test_private_endpoints_without_a_valid_token_are_401(api_client, method, path, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = getattr(api_client, method)(path, {}, format="json", **headers)

    assert_error_shape(response, 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [("put", "/api/v1/users/me"), ("get", "/api/v1/auth/login"), ("delete", "/api/v1/patients/me/profile")],
)
def test_wrong_method_is_405(auth_client, method, path):
    response = getattr(auth_client(PatientFactory()), method)(path, {}, format="json")

    assert_error_shape(response, 405)


def test_a_body_over_the_upload_limit_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"email": "a@b.co", "password": "%s"}' % ("x" * 20_000)

    response = api_client.post("/api/v1/auth/login", body, content_type="application/json")

    assert_error_shape(response, 413)
    assert response.json()["errors"][0]["code"] == "request_too_large"


def test_a_form_body_is_415_whatever_its_size(api_client, settings):
    # JSON is the contract: a form body is never parsed, however large or however many fields.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    for body in ("email=a%40b.co&password=" + "x" * 20_000, "&".join(f"f{i}=x" for i in range(50))):
        response = api_client.post("/api/v1/auth/login", body, content_type="application/x-www-form-urlencoded")

        assert_error_shape(response, 415)
        assert response.json()["errors"][0]["code"] == "unsupported_media_type"


def test_an_unknown_time_zone_is_a_400_with_its_declared_code(auth_client):
    response = auth_client(PatientFactory()).patch("/api/v1/users/me", {"timezone": 0}, format="json")

    assert_error_shape(response, 400)
    assert response.json()["errors"][0] == {
        "code": "invalid_timezone",
        "detail": "Unknown time zone.",
        "attr": "timezone",
    }
