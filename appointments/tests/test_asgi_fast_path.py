import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from accounts.tests.factories import PatientFactory
from appointments.asgi import AvailabilityRoute
from appointments.availability_cache import availability_json, availability_keys
from appointments.services import appointment_book, availability_rules_replace, time_off_create
from appointments.slots import doctor_zone, local_today
from core.tests.asgi import asgi_get, fast_path_app
from doctors.services import doctor_verify

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def same_minute():
    """An answer is cached for the minute it was computed in: start a test that needs a hit early
    enough in a minute for its requests to share it."""
    left = 60 - datetime.now(UTC).second
    if left < 6:
        time.sleep(left)


def window(doctor) -> tuple:
    today = local_today(doctor=doctor)
    return today, today + timedelta(days=30)


def url(doctor, query: str | None = None) -> str:
    date_from, date_to = window(doctor)
    return f"/api/v1/doctors/{doctor.pk}/availability?{query or f'from={date_from}&to={date_to}'}"


def offers(body: bytes, start: datetime) -> bool:
    stamp = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return any(slot["start"] == stamp for day in json.loads(body)["days"] for slot in day["slots"])


@pytest.mark.parametrize("language", [{"Accept-Language": "fr"}, {}])
def test_a_cached_answer_is_served_without_django_with_the_same_bytes_and_headers(doctor, language, same_minute):
    app, django = fast_path_app(AvailabilityRoute())
    headers = {**language, "X-Request-ID": "req-1"}
    from_django = asgi_get(app, url(doctor), headers)

    from_cache = asgi_get(app, url(doctor), headers)

    assert django.calls == 1
    assert (from_cache.status, from_cache.body, from_cache.headers) == (200, from_django.body, from_django.headers)


def book(doctor, start: datetime) -> None:
    appointment_book(patient=PatientFactory(), doctor=doctor, start=start, payment_method="clinic")


def take_time_off(doctor, start: datetime) -> None:
    time_off_create(doctor=doctor, start=start - timedelta(hours=1), end=start + timedelta(hours=1))


def close_that_weekday(doctor, start: datetime) -> None:
    closed = start.astimezone(doctor_zone(doctor)).weekday()
    availability_rules_replace(
        doctor=doctor,
        rules=[{"weekday": day, "start_time": "08:00", "end_time": "18:00"} for day in range(7) if day != closed],
    )


@pytest.mark.parametrize("change", [book, take_time_off, close_that_weekday])
def test_after_a_schedule_change_the_next_request_goes_to_django_and_is_fresh(
    doctor, free_slot_after, change, same_minute
):
    start = free_slot_after(doctor, timedelta(days=2))
    app, django = fast_path_app(AvailabilityRoute())
    assert offers(asgi_get(app, url(doctor)).body, start)

    change(doctor, start)
    response = asgi_get(app, url(doctor))

    assert (response.status, django.calls) == (200, 2)
    assert not offers(response.body, start)


@pytest.mark.parametrize(
    "query, status",
    [
        ("from=2030-01-05&to=2030-01-01", 400),  # well-formed dates, window Django refuses
        ("from=2030-01-01&to=2030-03-01", 400),
        ("from=2030-13-01&to=2030-12-31", 400),
        ("from=2030-1-1&to=2030-01-05", 200),  # another spelling Django accepts
        ("from=2030-01-01", 200),  # Django picks `to`
    ],
)
def test_dates_not_exactly_answerable_are_left_to_django(doctor, query, status):
    app, django = fast_path_app(AvailabilityRoute())

    first = asgi_get(app, url(doctor, query))
    second = asgi_get(app, url(doctor, query))

    assert (first.status, second.status, django.calls) == (status, status, 2)


def test_a_token_or_a_cookie_goes_to_django(doctor, same_minute):
    app, django = fast_path_app(AvailabilityRoute())
    asgi_get(app, url(doctor))

    asgi_get(app, url(doctor), {"Authorization": "Bearer x"})
    asgi_get(app, url(doctor), {"Cookie": "sessionid=x"})

    assert django.calls == 3


def test_an_answer_computed_for_the_previous_minute_is_not_served(doctor):
    date_from, date_to = window(doctor)
    availability_json(
        doctor_id=doctor.pk, date_from=date_from, date_to=date_to, now=datetime.now(UTC) - timedelta(minutes=1)
    )
    app, django = fast_path_app(AvailabilityRoute())

    asgi_get(app, url(doctor))

    assert django.calls == 1


def test_a_cached_answer_expires_within_a_minute(doctor, same_minute):
    date_from, date_to = window(doctor)
    app, _django = fast_path_app(AvailabilityRoute())

    asgi_get(app, url(doctor))

    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    answer = availability_keys(doctor_id=doctor.pk, date_from=date_from, date_to=date_to, minute=minute).answer
    assert 0 < cache.ttl(answer) <= 60


def test_a_doctor_who_loses_verification_is_not_served_any_more(doctor, same_minute):
    app, django = fast_path_app(AvailabilityRoute())
    asgi_get(app, url(doctor))

    doctor_verify(doctor=doctor, by=None, approve=False, reason="expired licence")
    response = asgi_get(app, url(doctor))

    assert (response.status, django.calls) == (404, 2)


def test_each_visit_type_has_its_own_cached_answer_and_a_visit_type_change_retires_it(doctor, same_minute):
    # Given a 90-minute visit type and the doctor's default (30 minutes), both answers cached
    from doctors.services import visit_type_create, visit_type_default_ensure, visit_type_update

    visit_type_default_ensure(doctor=doctor)
    long_visit = visit_type_create(doctor=doctor, data={"name_en": "Long", "duration_minutes": 90, "fee_amount": 9000})
    date_from, date_to = window(doctor)
    long_url = url(doctor, f"from={date_from}&to={date_to}&visit_type={long_visit.pk}")
    app, django = fast_path_app(AvailabilityRoute())
    default_body = asgi_get(app, url(doctor)).body
    long_body = asgi_get(app, long_url).body

    # When both are asked again: served from the cache, each its own answer
    assert asgi_get(app, url(doctor)).body == default_body
    assert asgi_get(app, long_url).body == long_body
    assert django.calls == 2
    first_long = json.loads(long_body)["days"][1]["slots"][0]
    assert first_long["end"] > first_long["start"] and first_long != json.loads(default_body)["days"][1]["slots"][0]

    # And a change of the visit type goes back to Django at once
    visit_type_update(doctor=doctor, visit_type=long_visit, data={"duration_minutes": 60})
    assert asgi_get(app, long_url).body != long_body
    assert django.calls == 3


def test_a_visit_type_that_is_not_a_uuid_is_left_to_django(doctor):
    app, django = fast_path_app(AvailabilityRoute())
    date_from, date_to = window(doctor)

    response = asgi_get(app, url(doctor, f"from={date_from}&to={date_to}&visit_type=nope"))

    assert (response.status, django.calls) == (400, 1)
