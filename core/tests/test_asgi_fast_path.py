import pytest
from django.test import override_settings

from core.tests.asgi import asgi_get, fast_path_app
from doctors.asgi import DirectorySearchRoute
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

URL = "/api/v1/doctors"
BEHIND_TLS_PROXY = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 3600,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
}


@override_settings(**BEHIND_TLS_PROXY)
def test_over_https_it_sends_the_security_headers_django_sends():
    DoctorProfileFactory()
    app, django = fast_path_app(DirectorySearchRoute())
    headers = {"X-Forwarded-Proto": "https", "X-Request-ID": "req-1"}
    from_django = asgi_get(app, URL, headers)

    from_cache = asgi_get(app, URL, headers)

    assert django.calls == 1
    assert from_cache.headers == from_django.headers
    assert from_cache.headers["strict-transport-security"] == "max-age=3600; includeSubDomains"


@override_settings(**BEHIND_TLS_PROXY)
def test_plain_http_gets_djangos_redirect_to_https():
    DoctorProfileFactory()
    app, django = fast_path_app(DirectorySearchRoute())
    asgi_get(app, URL, {"X-Forwarded-Proto": "https"})

    response = asgi_get(app, URL)

    assert (response.status, django.calls) == (301, 2)


def test_a_host_django_refuses_goes_to_django():
    app, django = fast_path_app(DirectorySearchRoute())
    asgi_get(app, URL)

    response = asgi_get(app, URL, {"Host": "evil.example"})

    assert (response.status, django.calls) == (400, 2)


def test_without_redis_every_request_goes_to_django():
    DoctorProfileFactory()
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):  # nothing listens on port 1
        app, django = fast_path_app(DirectorySearchRoute())
    first = asgi_get(app, URL)

    second = asgi_get(app, URL)

    assert (first.status, second.status, django.calls) == (200, 200, 2)
