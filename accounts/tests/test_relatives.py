"""The relatives a patient account books for: `/patients/me/relatives`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Relative
from accounts.services import MAX_RELATIVES, user_erase
from accounts.tests.factories import DoctorUserFactory, PatientFactory, RelativeFactory
from appointments.models import AppointmentStatus
from appointments.tests.factories import AppointmentFactory
from core.models import SyncChange, SyncOp

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/me/relatives"


def body(**extra):
    return {
        "first_name": "Léa",
        "last_name": "Martin",
        "date_of_birth": "2018-03-14",
        "relationship": "child",
        **extra,
    }


def error(response):
    return response.json()["errors"][0]


def test_a_patient_adds_a_relative_and_lists_it(auth_client):
    patient = PatientFactory()
    client = auth_client(patient)

    created = client.post(URL, body(first_name="  Léa "))
    listed = client.get(URL)

    assert created.status_code == 201, created.json()
    assert created.json() == {
        "id": created.json()["id"],
        "first_name": "Léa",
        "last_name": "Martin",
        "date_of_birth": "2018-03-14",
        "relationship": "child",
    }
    assert listed.json()["count"] == 1
    assert listed.json()["results"] == [created.json()]


def test_the_list_shows_only_my_relatives(auth_client):
    mine = RelativeFactory()
    RelativeFactory()

    listed = auth_client(mine.user).get(URL)

    assert [item["id"] for item in listed.json()["results"]] == [str(mine.pk)]


def test_the_eleventh_relative_is_a_409(auth_client):
    patient = PatientFactory()
    RelativeFactory.create_batch(MAX_RELATIVES, user=patient)

    response = auth_client(patient).post(URL, body())

    assert response.status_code == 409
    assert error(response)["code"] == "too_many_relatives"
    assert Relative.objects.filter(user=patient).count() == MAX_RELATIVES


def test_a_removed_relative_frees_its_place_under_the_cap(auth_client):
    patient = PatientFactory()
    relatives = RelativeFactory.create_batch(MAX_RELATIVES, user=patient)
    client = auth_client(patient)

    assert client.delete(f"{URL}/{relatives[0].pk}").status_code == 204
    response = client.post(URL, body())

    assert response.status_code == 201


def test_a_date_of_birth_in_the_future_is_a_400(auth_client):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = auth_client(PatientFactory()).post(URL, body(date_of_birth=tomorrow))

    assert response.status_code == 400
    assert error(response)["code"] == "invalid_date_of_birth"
    assert error(response)["attr"] == "date_of_birth"


def test_a_date_of_birth_too_long_ago_is_a_400(auth_client):
    response = auth_client(PatientFactory()).post(URL, body(date_of_birth="1850-01-01"))

    assert response.status_code == 400
    assert error(response)["attr"] == "date_of_birth"


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"first_name": "   "}, "first_name"),
        ({"relationship": "cousin"}, "relationship"),
        ({"date_of_birth": "not-a-date"}, "date_of_birth"),
        ({"last_name": "x" * 151}, "last_name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(auth_client, change, attr):
    response = auth_client(PatientFactory()).post(URL, body(**change))

    assert response.status_code == 400
    assert error(response)["attr"] == attr


def test_a_missing_field_is_a_400(auth_client):
    payload = body()
    del payload["relationship"]

    response = auth_client(PatientFactory()).post(URL, payload)

    assert response.status_code == 400
    assert error(response) == {"code": "required", "detail": "This field is required.", "attr": "relationship"}


def test_doctors_have_no_relatives(auth_client):
    client = auth_client(DoctorUserFactory())

    assert client.get(URL).status_code == 403
    assert client.post(URL, body()).status_code == 403
    assert error(client.get(URL))["code"] == "not_a_patient"


def test_the_owner_edits_a_relative(auth_client):
    relative = RelativeFactory(first_name="Lea")

    response = auth_client(relative.user).patch(f"{URL}/{relative.pk}", {"first_name": "Léa"})

    assert response.status_code == 200
    assert response.json()["first_name"] == "Léa"
    relative.refresh_from_db()
    assert relative.first_name == "Léa"


def test_editing_a_relative_into_the_future_is_a_400(auth_client):
    relative = RelativeFactory()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = auth_client(relative.user).patch(f"{URL}/{relative.pk}", {"date_of_birth": tomorrow})

    assert response.status_code == 400
    assert error(response)["code"] == "invalid_date_of_birth"


def test_someone_elses_relative_is_not_found(auth_client):
    relative = RelativeFactory()
    client = auth_client(PatientFactory())

    edited = client.patch(f"{URL}/{relative.pk}", {"first_name": "Mallory"})
    deleted = client.delete(f"{URL}/{relative.pk}")

    assert edited.status_code == 404
    assert deleted.status_code == 404
    assert error(deleted)["code"] == "not_found"
    relative.refresh_from_db()
    assert relative.first_name != "Mallory"


def test_a_relative_without_appointments_is_deleted(auth_client):
    relative = RelativeFactory()

    response = auth_client(relative.user).delete(f"{URL}/{relative.pk}")

    assert response.status_code == 204
    assert not Relative.objects.filter(pk=relative.pk).exists()


def test_a_relative_with_an_upcoming_appointment_cannot_be_deleted(auth_client):
    relative = RelativeFactory()
    AppointmentFactory(patient=relative.user, relative=relative)

    response = auth_client(relative.user).delete(f"{URL}/{relative.pk}")

    assert response.status_code == 409
    assert error(response)["code"] == "relative_has_upcoming_appointments"
    assert Relative.objects.get(pk=relative.pk).removed_at is None


def test_a_relative_with_only_past_or_cancelled_appointments_is_removed_but_kept_in_history(auth_client):
    relative = RelativeFactory()
    past = AppointmentFactory(
        patient=relative.user,
        relative=relative,
        start=timezone.now() - timedelta(days=3),
        end=timezone.now() - timedelta(days=3) + timedelta(minutes=30),
        status=AppointmentStatus.COMPLETED,
    )
    AppointmentFactory(patient=relative.user, relative=relative, status=AppointmentStatus.CANCELLED)
    client = auth_client(relative.user)

    response = client.delete(f"{URL}/{relative.pk}")

    assert response.status_code == 204
    assert client.get(URL).json()["results"] == []
    kept = Relative.objects.get(pk=relative.pk)
    assert kept.removed_at is not None
    assert past.relative_id == kept.pk


def test_a_removed_relative_is_not_found_any_more(auth_client):
    relative = RelativeFactory(removed_at=timezone.now())

    response = auth_client(relative.user).patch(f"{URL}/{relative.pk}", {"first_name": "Again"})

    assert response.status_code == 404


def test_relative_changes_reach_the_offline_sync(auth_client):
    patient = PatientFactory()
    client = auth_client(patient)
    cursor = client.get("/api/v1/sync").json()["cursor"]

    relative_id = client.post(URL, body()).json()["id"]
    added = client.get("/api/v1/sync", {"since": cursor}).json()
    client.delete(f"{URL}/{relative_id}")
    removed = client.get("/api/v1/sync", {"since": added["cursor"]}).json()

    assert [item["id"] for item in added["changes"]["relatives"]] == [relative_id]
    assert added["changes"]["relatives"][0]["relationship"] == "child"
    assert removed["deleted"]["relatives"] == [relative_id]


def test_a_doctor_never_syncs_a_patients_relatives(auth_client):
    relative = RelativeFactory()
    appointment = AppointmentFactory(patient=relative.user, relative=relative)

    page = auth_client(appointment.doctor.user).get("/api/v1/sync").json()

    assert page["changes"]["relatives"] == []
    assert page["changes"]["appointments"][0]["attendee"]["first_name"] == relative.first_name


def test_erasure_removes_the_relatives(auth_client):
    patient = PatientFactory()
    never_booked = RelativeFactory(user=patient)
    attended = RelativeFactory(user=patient, first_name="Léa")
    appointment = AppointmentFactory(patient=patient, relative=attended, status=AppointmentStatus.COMPLETED)

    user_erase(user=patient)

    assert not Relative.objects.filter(pk=never_booked.pk).exists()
    blanked = Relative.objects.get(pk=attended.pk)
    assert (blanked.first_name, blanked.last_name, blanked.date_of_birth) == ("", "", None)
    assert blanked.removed_at is not None
    tombstones = SyncChange.objects.filter(user=patient, resource="relatives", op=SyncOp.DELETE)
    assert set(tombstones.values_list("object_id", flat=True)) == {str(never_booked.pk), str(attended.pk)}
    doctor_copy = SyncChange.objects.filter(user=appointment.doctor.user, resource="appointments")
    assert doctor_copy.filter(object_id=str(appointment.pk)).count() == 2  # booked, then blanked


def test_editing_a_relative_re_syncs_the_appointments_they_attend(auth_client):
    relative = RelativeFactory(first_name="Lea")
    appointment = AppointmentFactory(patient=relative.user, relative=relative)
    doctor_client = auth_client(appointment.doctor.user)
    cursor = doctor_client.get("/api/v1/sync").json()["cursor"]

    auth_client(relative.user).patch(f"{URL}/{relative.pk}", {"first_name": "Léa"})
    page = doctor_client.get("/api/v1/sync", {"since": cursor}).json()

    assert [item["attendee"]["first_name"] for item in page["changes"]["appointments"]] == ["Léa"]


def test_the_relatives_list_query_count_is_pinned(auth_client, django_assert_max_num_queries):
    patient = PatientFactory()
    RelativeFactory.create_batch(MAX_RELATIVES, user=patient)
    client = auth_client(patient)

    # auth, count, page
    with django_assert_max_num_queries(3):
        response = client.get(URL)

    assert response.json()["count"] == MAX_RELATIVES


def test_adding_a_relative_query_count_is_pinned(auth_client, django_assert_max_num_queries):
    patient = PatientFactory()
    RelativeFactory.create_batch(3, user=patient)
    client = auth_client(patient)

    # auth, the account lock, the count, the insert, the sync log (+ savepoints)
    with django_assert_max_num_queries(7):
        response = client.post(URL, body())

    assert response.status_code == 201
