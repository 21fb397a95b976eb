"""HTTP caching of the public reads (core.http_cache): validators, lifetimes, 304, private answers."""

import pytest

from accounts.tests.factories import PatientFactory
from core.tests.asgi import asgi_get, fast_path_app
from doctors.asgi import DirectorySearchRoute
from doctors.tests.factories import DoctorProfileFactory, SpecialtyFactory
from support.tests.factories import FaqEntryFactory, PolicyFactory

VARY = "Accept-Language, Authorization, Cookie"


def public_urls() -> dict[str, str]:
    doctor = DoctorProfileFactory()
    FaqEntryFactory()
    PolicyFactory()
    return {
        "specialties": "/api/v1/specialties",
        "search": "/api/v1/doctors?city=Paris",
        "card": f"/api/v1/doctors/{doctor.pk}",
        "faq": "/api/v1/help/faq",
        "policy": "/api/v1/policies/privacy",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["specialties", "search", "card", "faq", "policy"])
def test_an_anonymous_public_read_is_public_with_an_etag_and_revalidates_to_304(api_client, name):
    url = public_urls()[name]
    first = api_client.get(url)

    again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["Cache-Control"].startswith("public, max-age=")
    assert first["Vary"] == VARY
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["search", "card", "faq"])
def test_an_answer_to_a_signed_in_caller_is_never_public(auth_client, name):
    url = public_urls()[name]

    response = auth_client(PatientFactory()).get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Vary"] == VARY


@pytest.mark.django_db
def test_a_stale_etag_gets_the_new_answer(api_client):
    specialty = SpecialtyFactory(name_en="Cardiology")
    etag = api_client.get("/api/v1/specialties")["ETag"]
    specialty.name_en = "Heart medicine"
    specialty.save(update_fields=["name_en"])

    response = api_client.get("/api/v1/specialties", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "Heart medicine" in response.content.decode()


@pytest.mark.django_db
def test_the_french_answer_has_its_own_etag(api_client):
    SpecialtyFactory(name_en="Cardiology", name_fr="Cardiologie")

    english = api_client.get("/api/v1/specialties", HTTP_ACCEPT_LANGUAGE="en")
    french = api_client.get("/api/v1/specialties", HTTP_ACCEPT_LANGUAGE="fr", HTTP_IF_NONE_MATCH=english["ETag"])

    assert french.status_code == 200
    assert french["ETag"] != english["ETag"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/users/me", "/api/v1/appointments", "/api/v1/nope"])
def test_every_other_api_answer_is_private_and_not_stored(auth_client, url):
    response = auth_client(PatientFactory()).get(url)

    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
def test_a_search_page_from_the_fast_path_has_djangos_caching_headers_and_304():
    DoctorProfileFactory()
    app, django = fast_path_app(DirectorySearchRoute())
    from_django = asgi_get(app, "/api/v1/doctors", {"X-Request-ID": "req-1"})

    from_cache = asgi_get(app, "/api/v1/doctors", {"X-Request-ID": "req-1"})
    revalidated = asgi_get(app, "/api/v1/doctors", {"If-None-Match": from_django.headers["etag"]})

    assert django.calls == 1
    assert from_cache.headers == from_django.headers
    assert from_cache.headers["cache-control"] == "public, max-age=60"
    assert (revalidated.status, revalidated.body, revalidated.headers["etag"]) == (
        304,
        b"",
        from_django.headers["etag"],
    )
