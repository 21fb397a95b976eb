import pytest

pytestmark = pytest.mark.django_db


def test_health_live_answers_ok(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_ready_checks_the_database(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_meta_config_lists_languages_and_payment_methods(api_client):
    response = api_client.get("/api/v1/meta/config")

    assert response.status_code == 200
    body = response.json()
    assert body["languages"] == ["en", "fr"]
    assert "clinic" in body["payment_methods"]


def test_meta_version_accepts_trailing_slash(api_client):
    response = api_client.get("/api/v1/meta/version/")

    assert response.status_code == 200
    assert response.json()["api_version"] == "v1"


def test_unknown_api_path_is_a_json_404_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "not_found"


def test_request_id_is_echoed_back(api_client):
    response = api_client.get("/health/live", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"


def test_wrong_method_is_405_in_the_error_shape(api_client):
    response = api_client.delete("/api/v1/meta/config")

    assert response.status_code == 405
    assert response.json()["type"] == "client_error"
