import pytest

from core.tests.asgi import asgi_get, fast_path_app
from doctors.asgi import DirectorySearchRoute
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

URL = "/api/v1/doctors?city=paris"


@pytest.mark.parametrize("language", [{"Accept-Language": "fr"}, {}])
def test_a_cached_anonymous_page_is_served_without_django_with_the_same_bytes_and_headers(language):
    DoctorProfileFactory()
    app, django = fast_path_app(DirectorySearchRoute())
    headers = {**language, "X-Request-ID": "req-1"}
    from_django = asgi_get(app, URL, headers)

    from_cache = asgi_get(app, URL, headers)

    assert django.calls == 1
    assert (from_cache.status, from_cache.body, from_cache.headers) == (200, from_django.body, from_django.headers)


def test_a_token_a_cookie_a_miss_or_another_language_goes_to_django():
    DoctorProfileFactory()
    app, django = fast_path_app(DirectorySearchRoute())
    asgi_get(app, URL)

    asgi_get(app, URL, {"Authorization": "Bearer x"})
    asgi_get(app, URL, {"Cookie": "sessionid=x"})
    asgi_get(app, "/api/v1/doctors?city=lyon")
    asgi_get(app, URL, {"Accept-Language": "fr"})

    assert django.calls == 5


def test_a_directory_write_retires_the_fast_path_page():
    from doctors.services import doctor_profile_update

    doctor = DoctorProfileFactory(city="Paris")
    app, django = fast_path_app(DirectorySearchRoute())
    asgi_get(app, URL)

    doctor_profile_update(profile=doctor, data={"city": "Lille"})
    response = asgi_get(app, URL)

    assert django.calls == 2
    assert b'"count":0' in response.body
