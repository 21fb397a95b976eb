from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import DoctorUserFactory, PatientFactory
from doctors.filters import DoctorSearchFilterSet
from doctors.models import Favorite, VerificationStatus
from doctors.tests.factories import DoctorProfileFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db


def doctor(first="Jean", last="Martin", **kwargs):
    return DoctorProfileFactory(user=DoctorUserFactory(first_name=first, last_name=last), **kwargs)


def ids(response):
    assert response.status_code == 200, response.content
    return [card["id"] for card in response.json()["results"]]


def test_pending_and_rejected_doctors_are_invisible_in_list_and_detail(api_client):
    verified = doctor()
    pending = doctor(verification_status=VerificationStatus.PENDING)
    rejected = doctor(verification_status=VerificationStatus.REJECTED)

    listed = ids(api_client.get("/api/v1/doctors"))

    assert listed == [str(verified.pk)]
    assert api_client.get(f"/api/v1/doctors/{verified.pk}").status_code == 200
    assert api_client.get(f"/api/v1/doctors/{pending.pk}").status_code == 404
    assert api_client.get(f"/api/v1/doctors/{rejected.pk}").status_code == 404


def test_doctor_of_a_deactivated_account_is_invisible(api_client):
    gone = doctor()
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])

    assert ids(api_client.get("/api/v1/doctors")) == []


def test_card_has_the_shape_of_the_contract(api_client):
    cardiology = SpecialtyFactory(slug="cardiology", name_en="Cardiology", name_fr="Cardiologie")
    slot = timezone.now() + timedelta(days=1)
    d = doctor(first="Hélène", last="Dubois", specialties=[cardiology], next_available_at=slot)

    card = api_client.get("/api/v1/doctors").json()["results"][0]

    assert card == {
        "id": str(d.pk),
        "first_name": "Hélène",
        "last_name": "Dubois",
        "title": "Dr",
        "specialties": [{"id": str(cardiology.pk), "slug": "cardiology", "name": "Cardiology"}],
        "city": "Paris",
        "country": "FR",
        "clinic_name": "Clinique Centrale",
        "fee": {"amount": 5000, "currency": "EUR"},
        "min_fee": {"amount": 5000, "currency": "EUR"},
        "avg_rating": 0.0,
        "rating_count": 0,
        "languages": ["en", "fr"],
        "next_available_slot": card["next_available_slot"],
        "is_favorite": False,
    }
    assert card["next_available_slot"].startswith(slot.strftime("%Y-%m-%dT%H:%M"))


def test_q_matches_names_without_accents_or_case(api_client):
    helene = doctor(first="Hélène", last="Dubois")
    doctor(first="Marc", last="Lefèvre")

    assert ids(api_client.get("/api/v1/doctors", {"q": "helene"})) == [str(helene.pk)]
    assert ids(api_client.get("/api/v1/doctors", {"q": "HÉLÈNE dub"})) == [str(helene.pk)]
    assert ids(api_client.get("/api/v1/doctors", {"q": "DUBOIS"})) == [str(helene.pk)]
    assert ids(api_client.get("/api/v1/doctors", {"q": "nobody"})) == []


def test_specialty_filter_accepts_id_or_slug(api_client):
    cardiology = SpecialtyFactory(slug="cardiology")
    dermatology = SpecialtyFactory(slug="dermatology")
    cardiologist = doctor(specialties=[cardiology])
    doctor(specialties=[dermatology])

    assert ids(api_client.get("/api/v1/doctors", {"specialty": "cardiology"})) == [str(cardiologist.pk)]
    assert ids(api_client.get("/api/v1/doctors", {"specialty": str(cardiology.pk)})) == [str(cardiologist.pk)]


def test_city_and_country_filters_ignore_case(api_client):
    lyon = doctor(city="Lyon", country="FR")
    doctor(city="Paris", country="FR")
    geneva = doctor(city="Genève", country="CH")

    assert ids(api_client.get("/api/v1/doctors", {"city": "LYON"})) == [str(lyon.pk)]
    assert ids(api_client.get("/api/v1/doctors", {"country": "ch"})) == [str(geneva.pk)]


def test_language_filter(api_client):
    arabic = doctor(languages=["ar", "fr"])
    doctor(languages=["en"])

    assert ids(api_client.get("/api/v1/doctors", {"language": "ar"})) == [str(arabic.pk)]


def test_min_rating_and_max_fee_filters(api_client):
    good_cheap = doctor(avg_rating="4.50", rating_count=2, fee_amount=3000)
    doctor(avg_rating="3.00", rating_count=2, fee_amount=3000)
    doctor(avg_rating="4.90", rating_count=2, fee_amount=9000)

    found = ids(api_client.get("/api/v1/doctors", {"min_rating": "4", "max_fee": "5000"}))

    assert found == [str(good_cheap.pk)]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("rating", ["b", "c", "a"]),
        ("-rating", ["a", "c", "b"]),
        ("fee", ["c", "a", "b"]),
        ("-fee", ["b", "a", "c"]),
        ("name", ["a", "b", "c"]),
        ("next_available", ["b", "a", "c"]),
    ],
)
def test_each_ordering(api_client, ordering, expected):
    now = timezone.now()
    doctors = {
        "a": doctor(last="Adam", avg_rating="4.80", fee_amount=5000, next_available_at=now + timedelta(days=2)),
        "b": doctor(last="Bernard", avg_rating="3.10", fee_amount=9000, next_available_at=now + timedelta(days=1)),
        "c": doctor(last="Cohen", avg_rating="4.00", fee_amount=2000, next_available_at=None),
    }

    found = ids(api_client.get("/api/v1/doctors", {"ordering": ordering}))

    assert found == [str(doctors[key].pk) for key in expected]


def test_bad_filter_values_are_a_400_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/doctors", {"ordering": "salary", "min_rating": "lots"})

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert {e["attr"] for e in response.json()["errors"]} == {"ordering", "min_rating"}


def test_specialty_names_follow_accept_language(api_client):
    cardiology = SpecialtyFactory(slug="cardiology", name_en="Cardiology", name_fr="Cardiologie")
    doctor(specialties=[cardiology])

    card = api_client.get("/api/v1/doctors", HTTP_ACCEPT_LANGUAGE="fr").json()["results"][0]
    specialties = api_client.get("/api/v1/specialties", HTTP_ACCEPT_LANGUAGE="fr").json()

    assert card["specialties"][0]["name"] == "Cardiologie"
    assert specialties[0]["name"] == "Cardiologie"
    assert api_client.get("/api/v1/doctors").json()["results"][0]["specialties"][0]["name"] == "Cardiology"


def test_specialty_filter_by_slug_works_in_french_too(api_client):
    pediatrics = SpecialtyFactory(slug="pediatrics", name_en="Pediatrics", name_fr="Pédiatrie")
    pediatrician = doctor(specialties=[pediatrics])
    doctor()

    response = api_client.get("/api/v1/doctors", {"specialty": "pediatrics"}, HTTP_ACCEPT_LANGUAGE="fr")

    assert ids(response) == [str(pediatrician.pk)]
    assert response.json()["results"][0]["specialties"][0]["name"] == "Pédiatrie"


def test_specialties_count_only_verified_doctors(api_client):
    cardiology = SpecialtyFactory(slug="cardiology")
    doctor(specialties=[cardiology])
    doctor(specialties=[cardiology], verification_status=VerificationStatus.PENDING)

    body = api_client.get("/api/v1/specialties").json()

    assert body == [
        {
            "id": str(cardiology.pk),
            "slug": "cardiology",
            "name": cardiology.name_en,
            "description": "",
            "doctor_count": 1,
        }
    ]


def test_is_favorite_is_set_for_the_signed_in_patient_only(api_client, auth_client):
    liked, other = doctor(last="Aa"), doctor(last="Bb")
    patient = PatientFactory()
    Favorite.objects.create(patient=patient, doctor=liked)

    mine = auth_client(patient).get("/api/v1/doctors", {"ordering": "name"}).json()["results"]
    anonymous = api_client.get("/api/v1/doctors", {"ordering": "name"}).json()["results"]

    assert [(c["id"], c["is_favorite"]) for c in mine] == [(str(liked.pk), True), (str(other.pk), False)]
    assert [c["is_favorite"] for c in anonymous] == [False, False]


@pytest.mark.parametrize("page_size", [5, 50])
def test_list_runs_a_fixed_number_of_queries_whatever_the_page_size(
    auth_client, django_assert_max_num_queries, page_size
):
    specialties = [SpecialtyFactory(), SpecialtyFactory()]
    for _ in range(page_size):
        doctor(specialties=specialties)
    client = auth_client(PatientFactory())

    # user (JWT) + count + page + specialties prefetch + favorites overlay
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/doctors", {"page_size": page_size, "specialty": specialties[0].slug})

    assert len(response.json()["results"]) == page_size


def test_a_cached_page_is_served_without_queries_and_refreshed_after_a_write(
    api_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first = doctor(last="Aa")
    api_client.get("/api/v1/doctors")

    with django_assert_num_queries(0):
        cached = api_client.get("/api/v1/doctors")
    with django_capture_on_commit_callbacks(execute=True):
        from doctors.services import doctor_profile_update

        doctor_profile_update(profile=first, data={"city": "Lille"})

    assert cached.json()["results"][0]["city"] == "Paris"
    assert api_client.get("/api/v1/doctors").json()["results"][0]["city"] == "Lille"


def test_detail_has_the_extra_fields(api_client):
    d = doctor(bio="Hello")

    body = api_client.get(f"/api/v1/doctors/{d.pk}").json()

    assert body["bio"] == "Hello"
    assert {
        "years_experience",
        "clinic_address",
        "timezone",
        "slot_minutes",
        "accepts_payment_methods",
        "photo_url",
    } <= body.keys()
    assert body["timezone"] == "Europe/Paris"


def test_available_window_keeps_only_doctors_with_a_free_slot_in_it(api_client):
    from appointments.tests.factories import TimeOffFactory, open_every_day

    open_doctor, closed_doctor, away_doctor = doctor(last="Open"), doctor(last="Closed"), doctor(last="Away")
    open_every_day(open_doctor)
    open_every_day(away_doctor)
    window_start = timezone.localdate() + timedelta(days=10)
    window_end = window_start + timedelta(days=2)
    TimeOffFactory(
        doctor=away_doctor, start=timezone.now() + timedelta(days=8), end=timezone.now() + timedelta(days=14)
    )

    found = ids(
        api_client.get(
            "/api/v1/doctors", {"available_from": window_start.isoformat(), "available_to": window_end.isoformat()}
        )
    )

    assert found == [str(open_doctor.id)]
    assert str(closed_doctor.id) not in found


@pytest.mark.parametrize(
    "params",
    [
        {"available_from": "2030-01-10", "available_to": "2030-01-01"},
        {"available_from": "2030-01-01", "available_to": "2030-03-01"},
        {"available_from": "not-a-date"},
    ],
)
def test_bad_available_window_is_a_400(api_client, params):
    response = api_client.get("/api/v1/doctors", params)

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_the_search_form_is_built_once_and_its_messages_still_follow_the_language(api_client):
    assert DoctorSearchFilterSet(data={}).form.__class__ is DoctorSearchFilterSet(data={}).form.__class__
    english = api_client.get("/api/v1/doctors", {"min_rating": "lots"}).json()["errors"][0]["detail"]
    french = api_client.get("/api/v1/doctors", {"min_rating": "lots"}, HTTP_ACCEPT_LANGUAGE="fr").json()
    assert english == "Enter a number."
    assert french["errors"][0]["detail"] == "Saisissez un nombre."
