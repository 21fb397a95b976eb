"""Visit types: the doctor manages them (API), patients see the active ones (localized), every doctor
has exactly one default mirroring the profile's slot length and fee, the directory shows `min_fee`
and filters by visit type name."""

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import DoctorUserFactory, PatientFactory
from doctors import services
from doctors.models import DoctorProfile, VisitType
from doctors.tests.factories import DoctorProfileFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db


def _doctor_with_default(**profile):
    doctor = DoctorProfileFactory(**profile)
    services.visit_type_default_ensure(doctor=doctor)
    return doctor


def _body(**extra):
    return {
        "name_en": "Follow-up",
        "name_fr": "Suivi",
        "duration_minutes": 20,
        "buffer_minutes": 5,
        "fee": {"amount": 3500, "currency": "EUR"},
        **extra,
    }


def test_a_new_doctor_profile_gets_its_default_visit_type_from_slot_and_fee():
    profile = services.doctor_profile_ensure(user=DoctorUserFactory())

    default = VisitType.objects.get(doctor=profile)
    assert default.is_default and default.is_active
    assert (default.duration_minutes, default.buffer_minutes) == (profile.slot_minutes, 0)
    assert (default.fee_amount, default.fee_currency) == (profile.fee_amount, profile.fee_currency)
    profile.refresh_from_db()
    assert profile.min_fee_amount == profile.fee_amount


def test_the_database_refuses_a_second_default():
    doctor = _doctor_with_default()
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitTypeFactory(doctor=doctor, is_default=True)


def test_public_list_shows_active_visit_types_localized_default_first(api_client, django_assert_max_num_queries):
    doctor = _doctor_with_default()
    VisitTypeFactory(doctor=doctor)
    VisitTypeFactory(doctor=doctor, name_en="Old", name_fr="Ancien", is_active=False)

    with django_assert_max_num_queries(2):
        response = api_client.get(f"/api/v1/doctors/{doctor.pk}/visit-types", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    body = response.json()
    assert [item["name"] for item in body] == ["Consultation", "Première consultation"]
    assert body[1]["fee"] == {"amount": 6000, "currency": "EUR"}
    assert body[1]["duration_minutes"] == 40 and body[0]["is_default"] is True
    assert body[1]["accepts_payment_methods"] == doctor.accepts_payment_methods
    assert "buffer_minutes" not in body[1]


def test_public_list_of_an_unverified_doctor_is_404(api_client):
    doctor = _doctor_with_default(verification_status="pending")
    assert api_client.get(f"/api/v1/doctors/{doctor.pk}/visit-types").status_code == 404


def test_doctor_creates_lists_and_edits_visit_types(auth_client, django_assert_max_num_queries):
    doctor = _doctor_with_default()
    client = auth_client(doctor.user)

    with django_assert_max_num_queries(14):
        created = client.post("/api/v1/doctors/me/visit-types", _body(), format="json")
    assert created.status_code == 201, created.json()
    visit_type = created.json()
    assert (visit_type["name_en"], visit_type["name_fr"], visit_type["buffer_minutes"]) == ("Follow-up", "Suivi", 5)
    assert visit_type["accepts_payment_methods"] == [] and visit_type["is_active"] is True

    with django_assert_max_num_queries(13):
        patched = client.patch(
            f"/api/v1/doctors/me/visit-types/{visit_type['id']}", {"duration_minutes": 25}, format="json"
        )
    assert patched.status_code == 200 and patched.json()["duration_minutes"] == 25

    with django_assert_max_num_queries(5):
        listed = client.get("/api/v1/doctors/me/visit-types")
    assert [item["name_en"] for item in listed.json()] == ["Consultation", "Follow-up"]


@pytest.mark.parametrize(
    "change",
    [
        {"duration_minutes": 300},
        {"duration_minutes": 4},
        {"buffer_minutes": 61},
        {"fee": {"amount": 100}},
        {"fee": {"amount": 100, "currency": "XYZ"}},
        {"accepts_payment_methods": ["cash"]},
        {"name_en": ""},
    ],
)
def test_bad_visit_type_input_is_400(auth_client, change):
    doctor = _doctor_with_default()
    response = auth_client(doctor.user).post("/api/v1/doctors/me/visit-types", _body(**change), format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert VisitType.objects.filter(doctor=doctor).count() == 1


def test_another_doctors_visit_type_is_404(auth_client):
    mine, other = _doctor_with_default(), _doctor_with_default()
    theirs = VisitTypeFactory(doctor=other)
    client = auth_client(mine.user)

    assert client.patch(f"/api/v1/doctors/me/visit-types/{theirs.pk}", {"name_en": "x"}).status_code == 404
    assert client.delete(f"/api/v1/doctors/me/visit-types/{theirs.pk}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.name_en == "First consultation"


def test_patients_cannot_manage_visit_types(auth_client):
    assert auth_client(PatientFactory()).get("/api/v1/doctors/me/visit-types").status_code == 403


def test_delete_deactivates_and_hides_it_from_patients(auth_client, api_client):
    doctor = _doctor_with_default()
    visit_type = VisitTypeFactory(doctor=doctor)

    response = auth_client(doctor.user).delete(f"/api/v1/doctors/me/visit-types/{visit_type.pk}")

    assert response.status_code == 204
    visit_type.refresh_from_db()
    assert visit_type.is_active is False
    public = api_client.get(f"/api/v1/doctors/{doctor.pk}/visit-types").json()
    assert [item["id"] for item in public] == [str(VisitType.objects.get(doctor=doctor, is_default=True).pk)]


def test_the_default_visit_type_cannot_be_deactivated(auth_client):
    doctor = _doctor_with_default()
    default = VisitType.objects.get(doctor=doctor, is_default=True)
    client = auth_client(doctor.user)

    deleted = client.delete(f"/api/v1/doctors/me/visit-types/{default.pk}")
    patched = client.patch(f"/api/v1/doctors/me/visit-types/{default.pk}", {"is_active": False}, format="json")

    assert deleted.status_code == patched.status_code == 409
    assert deleted.json()["errors"][0]["code"] == "default_visit_type"
    default.refresh_from_db()
    assert default.is_active


def test_the_default_follows_the_profile_and_the_profile_follows_the_default(auth_client):
    doctor = _doctor_with_default()
    default = VisitType.objects.get(doctor=doctor, is_default=True)
    client = auth_client(doctor.user)

    # a profile edit of the slot length and fee changes the default visit type
    client.patch(
        "/api/v1/doctors/me/profile", {"slot_minutes": 20, "fee": {"amount": 4000, "currency": "EUR"}}, format="json"
    )
    default.refresh_from_db()
    assert (default.duration_minutes, default.fee_amount) == (20, 4000)

    # and an edit of the default's duration and fee changes the profile
    client.patch(
        f"/api/v1/doctors/me/visit-types/{default.pk}",
        {"duration_minutes": 15, "fee": {"amount": 4500, "currency": "EUR"}},
        format="json",
    )
    doctor.refresh_from_db()
    assert (doctor.slot_minutes, doctor.fee_amount) == (15, 4500)


def test_card_fee_is_the_default_and_min_fee_the_cheapest_active(auth_client, api_client):
    doctor = _doctor_with_default(fee_amount=5000)
    client = auth_client(doctor.user)
    cheap = client.post(
        "/api/v1/doctors/me/visit-types", _body(fee={"amount": 2500, "currency": "EUR"}), format="json"
    ).json()

    card = api_client.get(f"/api/v1/doctors/{doctor.pk}").json()
    assert card["fee"] == {"amount": 5000, "currency": "EUR"}
    assert card["min_fee"] == {"amount": 2500, "currency": "EUR"}

    client.delete(f"/api/v1/doctors/me/visit-types/{cheap['id']}")
    assert api_client.get(f"/api/v1/doctors/{doctor.pk}").json()["min_fee"] == {"amount": 5000, "currency": "EUR"}


def test_a_doctor_without_visit_types_yet_shows_the_fee_as_min_fee(api_client):
    doctor = DoctorProfileFactory(fee_amount=4200)
    assert api_client.get(f"/api/v1/doctors/{doctor.pk}").json()["min_fee"] == {"amount": 4200, "currency": "EUR"}


def test_search_filters_by_active_visit_type_name_in_either_language(api_client, django_assert_max_num_queries):
    vaccinating = _doctor_with_default()
    VisitTypeFactory(doctor=vaccinating, name_en="Vaccination", name_fr="Vaccin")
    retired = _doctor_with_default()
    VisitTypeFactory(doctor=retired, name_en="Vaccination", name_fr="Vaccin", is_active=False)
    _doctor_with_default()

    with django_assert_max_num_queries(4):
        english = api_client.get("/api/v1/doctors", {"visit_type": "VACCINATION"})
    french = api_client.get("/api/v1/doctors", {"visit_type": "vaccin"})

    assert [card["id"] for card in english.json()["results"]] == [str(vaccinating.pk)]
    assert [card["id"] for card in french.json()["results"]] == [str(vaccinating.pk)]
    assert english.json()["results"][0]["min_fee"] == {"amount": 5000, "currency": "EUR"}
    assert DoctorProfile.objects.count() == 3


def test_the_data_migrations_give_every_doctor_a_default_and_every_appointment_its_visit_type():
    from importlib import import_module

    from django.apps import apps

    from appointments.tests.factories import AppointmentFactory

    doctors_step = import_module("doctors.migrations.0008_default_visit_types")
    appointments_step = import_module("appointments.migrations.0005_visit_type_data_and_buffer_overlap")
    doctor = DoctorProfileFactory(slot_minutes=20, fee_amount=4500)
    appointment = AppointmentFactory(doctor=doctor)

    for _run in range(2):  # a re-run changes nothing
        doctors_step.default_visit_types_create(apps, None)
        appointments_step.visit_types_fill(apps, None)

    default = VisitType.objects.get(doctor=doctor)
    assert (default.is_default, default.duration_minutes, default.fee_amount) == (True, 20, 4500)
    assert (default.name_en, default.name_fr) == ("Consultation", "Consultation")
    appointment.refresh_from_db()
    doctor.refresh_from_db()
    assert appointment.visit_type_id == default.pk and doctor.min_fee_amount == 4500
