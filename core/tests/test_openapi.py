"""The OpenAPI contract (docs/openapi.yaml) generates a working client and says what the API does."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

SCHEMA = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
CLIENT_CONFIG = Path(settings.BASE_DIR) / "docs" / "openapi-python-client.yaml"
UPLOADS = {("/api/v1/chat/threads/{thread_id}/attachments", "post"), ("/api/v1/doctors/me/photo", "put")}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_a_client_generated_from_the_committed_schema_imports_every_module(tmp_path):
    generator = Path(sys.executable).with_name("openapi-python-client")
    output = ["--output-path", tmp_path / "tabib_client"]
    subprocess.run(
        [generator, "generate", "--path", SCHEMA, "--config", CLIENT_CONFIG, "--meta", "none", *output],
        check=True,
        capture_output=True,
    )
    importer = (
        "import importlib, pkgutil, tabib_client\n"
        "names = [m.name for m in pkgutil.walk_packages(tabib_client.__path__, 'tabib_client.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names))\n"
    )

    result = subprocess.run([sys.executable, "-c", importer], cwd=tmp_path, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 400


def test_request_bodies_are_json_except_the_two_uploads(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            expected = ["multipart/form-data"] if (path, method) in UPLOADS else ["application/json"]
            assert list(operation["requestBody"]["content"]) == expected, (path, method)


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/v1/appointments", "PaginatedAppointmentList"),
        ("/api/v1/payments", "PaginatedPaymentListOutputList"),
        ("/api/v1/chat/threads", "PaginatedThreadOutputList"),
        ("/api/v1/help/support-requests", "PaginatedSupportRequestOutputList"),
        ("/api/v1/chat/threads/{thread_id}/messages", "PaginatedMessageOutputList"),
        ("/api/v1/notifications", "PaginatedNotificationOutputList"),
    ],
)
def test_paginated_lists_are_declared_paginated(schema, path, component):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert body == {"$ref": f"#/components/schemas/{component}"}


def test_cursor_lists_declare_the_cursor_and_no_count(schema):
    page = schema["components"]["schemas"]["PaginatedMessageOutputList"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/chat/threads/{thread_id}/messages"]["get"]["parameters"]}

    assert "count" not in page["properties"]
    assert "cursor" in parameters


def test_every_operation_declares_its_errors_in_the_error_shape(schema):
    for path, method, operation in operations(schema):
        errors = {status: answer for status, answer in operation["responses"].items() if status.startswith("4")}
        assert errors, (path, method)
        for answer in errors.values():
            component = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert set(schema["components"]["schemas"][component]["properties"]) == {"type", "errors"}


def error_codes(schema: dict, path: str, method: str, status: str) -> set[str]:
    answer = schema["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    item = schema["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]["properties"]["errors"]["items"]
    return set(schema["components"]["schemas"][item["$ref"].rsplit("/", 1)[1]]["properties"]["code"]["enum"])


def test_booking_declares_its_conflicts_as_an_enum(schema):
    assert error_codes(schema, "/api/v1/appointments", "post", "409") == {
        "slot_unavailable",
        "patient_overlap",
        "not_a_new_patient",
        "idempotency_key_reused",
    }
    assert {"slot_unavailable", "in_past", "invalid_visit_type", "required", "parse_error"} <= error_codes(
        schema, "/api/v1/appointments", "post", "400"
    )


def test_uploads_declare_too_large_and_wrong_type(schema):
    path = "/api/v1/chat/threads/{thread_id}/attachments"

    assert "file_too_large" in error_codes(schema, path, "post", "413")
    assert "unsupported_media_type" in error_codes(schema, path, "post", "415")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/v1/appointments/{id}/ics", "text/calendar"), ("/api/v1/payments/{id}/receipt", "application/pdf")],
)
def test_binary_answers_are_declared_binary(schema, path, content_type):
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]

    assert content == {content_type: {"schema": {"type": "string", "format": "binary"}}}


@pytest.mark.django_db
def test_a_form_encoded_body_is_refused_with_415(api_client):
    response = api_client.post("/api/v1/auth/login", {"email": "a@example.com", "password": "x"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


@pytest.mark.django_db
@override_settings(DEBUG=True)
@pytest.mark.parametrize("url", ["/api/v1/no/such/thing", "/api/nothing-here", "/health/nope"])
def test_an_unknown_api_path_answers_the_error_shape_even_under_debug(client, url):
    response = client.get(url)

    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/api/docs"])
def test_the_docs_load_their_assets_from_our_static_files(client, url):
    page = client.get(url).content.decode()

    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower() and "@latest" not in page
