import pytest
from django.db import IntegrityError

from accounts.tests.factories import AdminFactory, PatientFactory
from support.models import PolicyAcceptance, PolicySlug
from support.selectors import policy_acceptance_state
from support.services import policy_publish
from support.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def privacy_v1():
    return PolicyFactory(slug=PolicySlug.PRIVACY, version=1)


def test_current_policy_is_returned_in_french(api_client, privacy_v1):
    response = api_client.get("/api/v1/policies/privacy", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "privacy"
    assert body["version"] == 1
    assert body["title"] == "Politique de confidentialité"
    assert body["body"] == "Nous protégeons vos données."


def test_unknown_or_unpublished_policy_is_a_404(api_client):
    PolicyFactory(slug=PolicySlug.TERMS, version=1, is_published=False)

    assert api_client.get("/api/v1/policies/cookies").status_code == 404
    assert api_client.get("/api/v1/policies/terms").status_code == 404
    assert api_client.get("/api/v1/policies/cookies").json()["type"] == "client_error"


def test_database_allows_one_published_version_per_slug(privacy_v1):
    with pytest.raises(IntegrityError):
        PolicyFactory(slug=PolicySlug.PRIVACY, version=2, is_published=True)


def test_publishing_a_new_version_withdraws_the_old_one(api_client, privacy_v1):
    v2 = PolicyFactory(slug=PolicySlug.PRIVACY, version=2, is_published=False, published_at=None)

    policy_publish(policy=v2, by=AdminFactory())

    privacy_v1.refresh_from_db()
    assert privacy_v1.is_published is False
    assert api_client.get("/api/v1/policies/privacy").json()["version"] == 2


def test_accepting_records_user_version_and_time_once(auth_client, privacy_v1):
    patient = PatientFactory()
    client = auth_client(patient)

    first = client.post("/api/v1/policies/privacy/accept")
    second = client.post("/api/v1/policies/privacy/accept")

    assert first.status_code == 200
    assert first.json()["version"] == 1
    assert second.json()["accepted_at"] == first.json()["accepted_at"]
    assert PolicyAcceptance.objects.filter(user=patient, policy=privacy_v1).count() == 1


def test_acceptance_is_reflected_and_asked_again_after_a_new_version(auth_client, privacy_v1):
    patient = PatientFactory()
    client = auth_client(patient)
    PolicyFactory(slug=PolicySlug.TERMS, version=1)
    client.post("/api/v1/policies/privacy/accept")

    before = client.get("/api/v1/policies/acceptance").json()
    policy_publish(policy=PolicyFactory(slug=PolicySlug.PRIVACY, version=2, is_published=False))
    after = policy_acceptance_state(user=patient)

    assert before["privacy"]["version"] == 1 and before["privacy"]["accepted"] is True
    assert before["terms"] == {"version": 1, "accepted": False, "accepted_at": None}
    assert after["privacy"]["version"] == 2 and after["privacy"]["accepted"] is False


def test_accepting_a_version_that_is_no_longer_current_is_a_conflict(auth_client, privacy_v1):
    policy_publish(policy=PolicyFactory(slug=PolicySlug.PRIVACY, version=2, is_published=False))

    response = auth_client(PatientFactory()).post("/api/v1/policies/privacy/accept", {"version": 1})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "policy_outdated"


def test_accepting_needs_authentication(api_client, privacy_v1):
    assert api_client.post("/api/v1/policies/privacy/accept").status_code == 401


def test_acceptance_state_without_published_policies_asks_nothing():
    state = policy_acceptance_state(user=PatientFactory())

    assert state == {
        "privacy": {"version": None, "accepted": True, "accepted_at": None},
        "terms": {"version": None, "accepted": True, "accepted_at": None},
    }


def test_users_me_tells_whether_the_current_policies_were_accepted(auth_client, privacy_v1):
    patient = PatientFactory()
    client = auth_client(patient)

    before = client.get("/api/v1/users/me").json()["policies"]
    client.post("/api/v1/policies/privacy/accept")
    after = client.get("/api/v1/users/me").json()["policies"]

    assert before["privacy"]["accepted"] is False
    assert after["privacy"] == {**after["privacy"], "version": 1, "accepted": True}


def test_users_me_reads_the_user_and_every_policy_state_in_two_queries(
    auth_client, privacy_v1, django_assert_num_queries
):
    patient = PatientFactory()
    PolicyFactory(slug=PolicySlug.TERMS, version=1)
    PolicyFactory(slug=PolicySlug.TERMS, version=2, is_published=False)
    client = auth_client(patient)
    client.post("/api/v1/policies/privacy/accept")

    with django_assert_num_queries(2):  # the token's user, then the published versions with the acceptances
        policies = client.get("/api/v1/users/me").json()["policies"]

    assert policies["privacy"]["version"] == 1 and policies["privacy"]["accepted"] is True
    assert policies["privacy"]["accepted_at"] is not None
    assert policies["terms"] == {"version": 1, "accepted": False, "accepted_at": None}
