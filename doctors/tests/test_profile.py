import pytest

from accounts.tests.factories import DoctorUserFactory, PatientFactory
from doctors.models import DoctorProfile, VerificationStatus
from doctors.tests.factories import DoctorProfileFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db


def test_a_new_doctor_gets_a_pending_profile(auth_client):
    user = DoctorUserFactory(first_name="Hélène", last_name="Dubois")

    response = auth_client(user).get("/api/v1/doctors/me/profile")

    assert response.status_code == 200
    assert response.json()["verification_status"] == "pending"
    assert DoctorProfile.objects.get(user=user).search_name == "helene dubois"


def test_editing_a_verified_profile_keeps_it_verified(auth_client):
    profile = DoctorProfileFactory()
    cardiology = SpecialtyFactory(slug="cardiology")

    response = auth_client(profile.user).patch(
        "/api/v1/doctors/me/profile",
        {
            "bio": "Cardiologist",
            "city": "Lyon",
            "country": "fr",
            "specialty_ids": [str(cardiology.pk)],
            "fee": {"amount": 6500, "currency": "EUR"},
            "languages": ["fr", "ar"],
            "slot_minutes": 20,
            "timezone": "Europe/Brussels",
            "accepts_payment_methods": ["clinic"],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verification_status"] == "verified"
    assert body["fee"] == {"amount": 6500, "currency": "EUR"}
    assert body["specialty_ids"] == [str(cardiology.pk)]
    assert body["country"] == "FR"
    profile.refresh_from_db()
    assert (profile.city, profile.slot_minutes, profile.languages) == ("Lyon", 20, ["ar", "fr"])


def test_editing_a_pending_profile_keeps_it_in_the_queue(auth_client):
    profile = DoctorProfileFactory(verification_status=VerificationStatus.PENDING)

    auth_client(profile.user).patch("/api/v1/doctors/me/profile", {"bio": "New"}, format="json")

    profile.refresh_from_db()
    assert profile.verification_status == VerificationStatus.PENDING


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"slot_minutes": 4}, "slot_minutes"),
        ({"slot_minutes": 241}, "slot_minutes"),
        ({"timezone": "Mars/Olympus"}, "invalid_timezone"),
        ({"fee": {"amount": 100, "currency": "XXX"}}, "fee.currency"),
        ({"fee": {"amount": 0}}, "fee.currency"),  # found by schemathesis: was a 500
        ({"fee": {"currency": "EUR"}}, "fee.amount"),
        ({"specialty_ids": ["0b8e6f55-9c3c-4d47-b8a4-5e0a3d7c1111"]}, "invalid_specialty"),
        ({"accepts_payment_methods": []}, "accepts_payment_methods"),
    ],
)
def test_invalid_profile_input_is_a_400(auth_client, payload, error):
    profile = DoctorProfileFactory(bio="Before", slot_minutes=30)

    response = auth_client(profile.user).patch("/api/v1/doctors/me/profile", {"bio": "After", **payload}, format="json")

    assert response.status_code == 400, response.content
    first = response.json()["errors"][0]
    assert error in (first["attr"], first["code"])
    profile.refresh_from_db()
    assert (profile.bio, profile.slot_minutes) == ("Before", 30)


def test_a_doctor_cannot_edit_another_doctors_profile(auth_client):
    mine, theirs = DoctorProfileFactory(), DoctorProfileFactory(bio="Theirs")

    # The only write endpoint is /doctors/me/profile: it always resolves to the caller's own profile.
    auth_client(mine.user).patch("/api/v1/doctors/me/profile", {"bio": "Hacked"}, format="json")
    response = auth_client(mine.user).patch(f"/api/v1/doctors/{theirs.pk}", {"bio": "Hacked"}, format="json")

    assert response.status_code == 405
    theirs.refresh_from_db()
    assert theirs.bio == "Theirs"
    mine.refresh_from_db()
    assert mine.bio == "Hacked"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/doctors/me/profile"),
        ("patch", "/api/v1/doctors/me/profile"),
        ("post", "/api/v1/doctors/me/reviews/0b8e6f55-9c3c-4d47-b8a4-5e0a3d7c1111/reply"),
    ],
)
def test_a_patient_cannot_call_doctor_only_endpoints(auth_client, method, path):
    response = getattr(auth_client(PatientFactory()), method)(path, {}, format="json")

    assert response.status_code == 403
    assert response.json()["type"] == "client_error"


def test_doctor_only_endpoints_need_a_token(api_client):
    assert api_client.get("/api/v1/doctors/me/profile").status_code == 401


def test_renaming_a_doctor_refreshes_the_search_name(api_client):
    from doctors.services import doctor_search_name_refresh

    profile = DoctorProfileFactory()
    profile.user.first_name, profile.user.last_name = "Élodie", "Ngô"
    profile.user.save(update_fields=["first_name", "last_name"])

    doctor_search_name_refresh(user=profile.user)

    assert api_client.get("/api/v1/doctors", {"q": "elodie ngo"}).json()["count"] == 1
