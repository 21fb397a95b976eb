import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment
from doctors.models import Review
from doctors.services import review_create, review_set_hidden
from doctors.tests.factories import CompletedAppointmentFactory, DoctorProfileFactory

pytestmark = pytest.mark.django_db


def post_review(client, appointment, rating=5, comment="Great"):
    return client.post(
        f"/api/v1/doctors/{appointment.doctor_id}/reviews",
        {"appointment_id": str(appointment.pk), "rating": rating, "comment": comment},
        format="json",
    )


def test_a_patient_reviews_their_completed_appointment(auth_client):
    appointment = CompletedAppointmentFactory()

    response = post_review(
        auth_client(appointment.patient),
        appointment,
        rating=4,
        comment="<b>Very</b> kind <script>alert(1)</script>doctor",
    )

    assert response.status_code == 201, response.content
    assert response.json()["comment"] == "Very kind doctor"
    appointment.doctor.refresh_from_db()
    assert (appointment.doctor.avg_rating, appointment.doctor.rating_count) == (Decimal("4.00"), 1)


def test_an_appointment_that_is_not_completed_cannot_be_reviewed(auth_client):
    appointment = CompletedAppointmentFactory(status="confirmed")

    response = post_review(auth_client(appointment.patient), appointment)

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "appointment_not_completed"
    assert not Review.objects.exists()


def test_someone_elses_appointment_cannot_be_reviewed(auth_client):
    appointment = CompletedAppointmentFactory()

    response = post_review(auth_client(PatientFactory()), appointment)

    assert response.status_code == 404
    assert not Review.objects.exists()


def test_an_appointment_with_another_doctor_cannot_be_reviewed_here(auth_client):
    appointment = CompletedAppointmentFactory()
    other = DoctorProfileFactory()

    response = auth_client(appointment.patient).post(
        f"/api/v1/doctors/{other.pk}/reviews", {"appointment_id": str(appointment.pk), "rating": 5}, format="json"
    )

    assert response.status_code == 404


def test_a_second_review_of_the_same_appointment_is_a_409(auth_client):
    appointment = CompletedAppointmentFactory()
    client = auth_client(appointment.patient)
    post_review(client, appointment)

    response = post_review(client, appointment, rating=1)

    assert response.status_code == 409
    assert Review.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_must_be_between_1_and_5(auth_client, rating):
    appointment = CompletedAppointmentFactory()

    assert post_review(auth_client(appointment.patient), appointment, rating=rating).status_code == 400


def test_an_overlong_comment_is_a_400(auth_client):
    appointment = CompletedAppointmentFactory()

    assert post_review(auth_client(appointment.patient), appointment, comment="x" * 2001).status_code == 400


def test_a_doctor_cannot_post_a_review(auth_client):
    appointment = CompletedAppointmentFactory()

    assert post_review(auth_client(appointment.doctor.user), appointment).status_code == 403


def test_a_hidden_review_leaves_the_public_list_and_the_aggregates(api_client):
    doctor = DoctorProfileFactory()
    kept = CompletedAppointmentFactory(doctor=doctor)
    hidden = CompletedAppointmentFactory(doctor=doctor)
    review_create(patient=kept.patient, doctor=doctor, appointment_id=kept.pk, rating=5)
    bad = review_create(patient=hidden.patient, doctor=doctor, appointment_id=hidden.pk, rating=1)

    review_set_hidden(review=bad, hidden=True, by=None)

    doctor.refresh_from_db()
    assert (doctor.avg_rating, doctor.rating_count) == (Decimal("5.00"), 1)
    listed = api_client.get(f"/api/v1/doctors/{doctor.pk}/reviews").json()
    assert [r["rating"] for r in listed["results"]] == [5]
    review_set_hidden(review=bad, hidden=False, by=None)
    doctor.refresh_from_db()
    assert (doctor.avg_rating, doctor.rating_count) == (Decimal("3.00"), 2)


def test_public_reviews_are_paginated_with_a_display_name(api_client, django_assert_max_num_queries):
    doctor = DoctorProfileFactory()
    for _ in range(4):
        appointment = CompletedAppointmentFactory(
            doctor=doctor, patient=PatientFactory(first_name="Omar", last_name="Benali")
        )
        review_create(patient=appointment.patient, doctor=doctor, appointment_id=appointment.pk, rating=4)

    with django_assert_max_num_queries(3):
        body = api_client.get(f"/api/v1/doctors/{doctor.pk}/reviews", {"page_size": 3}).json()

    assert body["count"] == 4
    assert body["results"][0]["patient_display_name"] == "Omar B."


def test_the_doctor_replies_once(auth_client):
    appointment = CompletedAppointmentFactory()
    review = review_create(
        patient=appointment.patient, doctor=appointment.doctor, appointment_id=appointment.pk, rating=3
    )
    client = auth_client(appointment.doctor.user)

    first = client.post(f"/api/v1/doctors/me/reviews/{review.pk}/reply", {"reply": "Thank you"}, format="json")
    second = client.post(f"/api/v1/doctors/me/reviews/{review.pk}/reply", {"reply": "Again"}, format="json")

    assert first.status_code == 200
    assert first.json()["doctor_reply"] == "Thank you"
    assert second.status_code == 409


def test_a_doctor_cannot_reply_to_another_doctors_review(auth_client):
    appointment = CompletedAppointmentFactory()
    review = review_create(
        patient=appointment.patient, doctor=appointment.doctor, appointment_id=appointment.pk, rating=3
    )

    response = auth_client(DoctorProfileFactory().user).post(
        f"/api/v1/doctors/me/reviews/{review.pk}/reply", {"reply": "Hi"}, format="json"
    )

    assert response.status_code == 404


def test_one_review_per_appointment_is_a_database_constraint():
    from django.db import IntegrityError, transaction

    appointment = CompletedAppointmentFactory()
    Review.objects.create(appointment=appointment, doctor=appointment.doctor, patient=appointment.patient, rating=5)

    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(appointment=appointment, doctor=appointment.doctor, patient=appointment.patient, rating=4)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_aggregates_stay_exact_under_concurrent_reviews():
    doctor = DoctorProfileFactory()
    ratings = [5, 4, 3, 2, 1, 5, 4, 3]
    appointments = [CompletedAppointmentFactory(doctor=doctor, patient=PatientFactory()) for _ in ratings]
    barrier = threading.Barrier(len(ratings))
    errors: list[Exception] = []

    def review(appointment: Appointment, rating: int) -> None:
        try:
            barrier.wait()
            review_create(patient=appointment.patient, doctor=doctor, appointment_id=appointment.pk, rating=rating)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(a, r)) for a, r in zip(appointments, ratings, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    doctor.refresh_from_db()
    assert doctor.rating_count == len(ratings)
    assert doctor.avg_rating == Decimal(sum(ratings) / len(ratings)).quantize(Decimal("0.01"))


# --- Issue 17, item 10: no live HTML in the public reviews API -------------------------------------

ENCODED_MARKUP = "&lt;img src=x onerror=alert(document.cookie)&gt; great"


def test_entity_encoded_markup_in_a_review_never_comes_out_as_live_html(auth_client, api_client):
    appointment = CompletedAppointmentFactory(patient=PatientFactory(first_name="<b>Eve</b>", last_name="X"))
    post_review(auth_client(appointment.patient), appointment, comment=ENCODED_MARKUP)

    public = api_client.get(f"/api/v1/doctors/{appointment.doctor_id}/reviews").json()["results"][0]

    assert "<" not in public["comment"] and "<" not in public["patient_display_name"]
    assert public["comment"] == "&lt;img src=x onerror=alert(document.cookie)&gt; great"
    # Stored as the plain text it means, escaped only on output.
    assert Review.objects.get().comment == "<img src=x onerror=alert(document.cookie)> great"


def test_entity_encoded_markup_in_a_doctor_reply_never_comes_out_as_live_html(auth_client):
    appointment = CompletedAppointmentFactory()
    review = review_create(
        patient=appointment.patient, doctor=appointment.doctor, appointment_id=appointment.pk, rating=3
    )

    response = auth_client(appointment.doctor.user).post(
        f"/api/v1/doctors/me/reviews/{review.pk}/reply", {"reply": ENCODED_MARKUP}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["doctor_reply"] == "&lt;img src=x onerror=alert(document.cookie)&gt; great"


def test_review_replies_are_throttled_per_doctor_account(auth_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review_reply": "1/hour"},
    }
    doctor = DoctorProfileFactory()
    reviews = []
    for _ in range(2):
        appointment = CompletedAppointmentFactory(doctor=doctor)
        reviews.append(
            review_create(patient=appointment.patient, doctor=doctor, appointment_id=appointment.pk, rating=4)
        )
    client = auth_client(doctor.user)

    first = client.post(f"/api/v1/doctors/me/reviews/{reviews[0].pk}/reply", {"reply": "Thanks"}, format="json")
    second = client.post(f"/api/v1/doctors/me/reviews/{reviews[1].pk}/reply", {"reply": "Thanks"}, format="json")

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["errors"][0]["code"] == "throttled"
