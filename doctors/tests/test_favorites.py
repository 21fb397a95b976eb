import pytest

from accounts.tests.factories import PatientFactory
from doctors.models import Favorite, VerificationStatus
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def test_adding_a_favorite_twice_is_idempotent(auth_client):
    doctor, patient = DoctorProfileFactory(), PatientFactory()
    client = auth_client(patient)

    first = client.post(f"/api/v1/doctors/{doctor.pk}/favorite")
    second = client.post(f"/api/v1/doctors/{doctor.pk}/favorite")

    assert (first.status_code, second.status_code) == (204, 204)
    assert Favorite.objects.filter(patient=patient, doctor=doctor).count() == 1


def test_removing_a_favorite_twice_is_idempotent(auth_client):
    doctor, patient = DoctorProfileFactory(), PatientFactory()
    Favorite.objects.create(patient=patient, doctor=doctor)
    client = auth_client(patient)

    assert client.delete(f"/api/v1/doctors/{doctor.pk}/favorite").status_code == 204
    assert client.delete(f"/api/v1/doctors/{doctor.pk}/favorite").status_code == 204
    assert not Favorite.objects.exists()


def test_a_pending_doctor_cannot_be_favorited(auth_client):
    doctor = DoctorProfileFactory(verification_status=VerificationStatus.PENDING)

    assert auth_client(PatientFactory()).post(f"/api/v1/doctors/{doctor.pk}/favorite").status_code == 404


def test_a_doctor_cannot_favorite(auth_client):
    doctor = DoctorProfileFactory()

    assert auth_client(DoctorProfileFactory().user).post(f"/api/v1/doctors/{doctor.pk}/favorite").status_code == 403


def test_my_favorites_are_paginated_cards_of_mine_only(auth_client, django_assert_max_num_queries):
    patient, other = PatientFactory(), PatientFactory()
    mine = [DoctorProfileFactory() for _ in range(3)]
    for doctor in mine:
        Favorite.objects.create(patient=patient, doctor=doctor)
    Favorite.objects.create(patient=other, doctor=DoctorProfileFactory())
    client = auth_client(patient)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/patients/me/favorites", {"page_size": 2})

    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert all(card["is_favorite"] for card in body["results"])
    assert {card["id"] for card in body["results"]} <= {str(d.pk) for d in mine}
