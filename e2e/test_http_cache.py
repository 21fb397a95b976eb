"""HTTP caching of the public reads over the network, through Daphne: a doctor card and availability
carry `ETag` and `Cache-Control`, a revalidation with `If-None-Match` is 304 with no body, and an
answer to a caller with a token is never `public`. An anonymous GET of availability may be answered
by the ASGI fast path instead of Django: the headers must be the same either way."""

from datetime import date, timedelta

import httpx
import pytest

from clients import API, doctor_create, patient_register


@pytest.fixture(scope="module")
def doctor(stack):
    return doctor_create(stack)


def _paths(doctor) -> dict[str, str]:
    start = date.today() + timedelta(days=1)
    window = f"from={start.isoformat()}&to={(start + timedelta(days=6)).isoformat()}"
    return {
        "card": f"{API}/doctors/{doctor.doctor_id}",
        "availability": f"{API}/doctors/{doctor.doctor_id}/availability?{window}",
    }


@pytest.mark.parametrize("what", ["card", "availability"])
def test_anonymous_answer_is_public_and_revalidates_to_304(stack, doctor, what):
    url = stack.http + _paths(doctor)[what]
    first = httpx.get(url, timeout=30)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"].startswith("public, max-age=")
    if what == "availability":
        assert "stale-while-revalidate=" in first.headers["cache-control"]
    assert {"accept-language", "authorization", "cookie"} <= {
        name.strip().lower() for name in first.headers["vary"].split(",")
    }
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    again = httpx.get(url, headers={"If-None-Match": etag}, timeout=30)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    stale = httpx.get(url, headers={"If-None-Match": '"not-this-one"'}, timeout=30)
    assert stale.status_code == 200
    assert stale.content == first.content


@pytest.mark.parametrize("what", ["card", "availability"])
def test_answer_to_a_token_is_never_public(stack, doctor, what):
    patient = patient_register(stack)
    answer = httpx.get(stack.http + _paths(doctor)[what], headers=patient.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert "public" not in answer.headers["cache-control"]
    assert answer.headers["cache-control"].startswith("private")
