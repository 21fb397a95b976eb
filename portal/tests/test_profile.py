"""Profile page: verification state, photo upload/removal, and the preview of the public card."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doctors.models import VerificationStatus
from doctors.services import doctor_photo_set
from doctors.tests.factories import SpecialtyFactory, photo_upload

pytestmark = pytest.mark.django_db


# --- Verification --------------------------------------------------------------------------------------


def test_a_rejected_doctor_sees_the_status_and_the_staffs_reason(doctor_client, doctor):
    doctor.verification_status = VerificationStatus.REJECTED
    doctor.verification_reason = "The licence number does not match the register."
    doctor.save()

    html = doctor_client.get(reverse("portal:profile")).content.decode()

    assert 'id="verification">Rejected<' in html
    assert 'id="verification-reason">The licence number does not match the register.<' in html


def test_a_verified_doctor_sees_no_reason(doctor_client, doctor):
    doctor.verification_reason = "old note"
    doctor.save()

    html = doctor_client.get(reverse("portal:profile")).content.decode()

    assert 'id="verification">Verified<' in html
    assert "old note" not in html


def test_the_profile_page_links_the_preview(doctor_client):
    html = doctor_client.get(reverse("portal:profile")).content.decode()

    assert f'href="{reverse("portal:profile-preview")}"' in html


# --- Photo ---------------------------------------------------------------------------------------------


def test_uploading_a_photo_shows_it_on_the_profile_page(doctor_client, doctor):
    response = doctor_client.post(reverse("portal:profile-photo"), {"photo": photo_upload("JPEG")})

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.photo.name.endswith(".jpg")
    html = doctor_client.get(reverse("portal:profile")).content.decode()
    assert f'src="{doctor.photo.url}"' in html


def test_a_bad_file_is_a_field_error_and_the_old_photo_stays(doctor_client, doctor):
    doctor_photo_set(profile=doctor, upload=photo_upload("PNG"))
    before = doctor.photo.name
    upload = SimpleUploadedFile("photo.jpg", b"GIF89a but not really", content_type="image/jpeg")

    response = doctor_client.post(reverse("portal:profile-photo"), {"photo": upload})

    assert response.status_code == 400
    assert response.context["photo_form"].errors["photo"] == ["The photo must be a JPEG, PNG or WebP image."]
    assert "errorlist" in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.photo.name == before


def test_posting_no_file_is_a_field_error(doctor_client, doctor):
    response = doctor_client.post(reverse("portal:profile-photo"), {})

    assert response.status_code == 400
    assert response.context["photo_form"].errors["photo"]


def test_removing_the_photo(doctor_client, doctor):
    doctor_photo_set(profile=doctor, upload=photo_upload("PNG"))

    response = doctor_client.post(reverse("portal:profile-photo-remove"))

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert not doctor.photo
    assert "No photo yet." in doctor_client.get(reverse("portal:profile")).content.decode()


@pytest.mark.parametrize("name", ["portal:profile-photo", "portal:profile-photo-remove"])
def test_photo_actions_refuse_patients_and_anonymous_visitors(client, patient, name):
    assert client.post(reverse(name)).status_code == 302
    client.force_login(patient)
    assert client.post(reverse(name)).status_code == 403


def test_photo_actions_are_post_only(doctor_client):
    assert doctor_client.get(reverse("portal:profile-photo")).status_code == 405


# --- Public card preview -------------------------------------------------------------------------------


def test_the_preview_shows_exactly_what_the_api_gives_patients(doctor_client, doctor, api_client):
    # given a verified doctor with specialties, a bio, a photo and ratings
    doctor.specialties.set([SpecialtyFactory(slug="cardiology", name_en="Cardiology")])
    doctor.bio = "Twenty years <b>in</b> Paris."
    doctor.avg_rating, doctor.rating_count = 4.5, 12
    doctor.save()
    doctor_photo_set(profile=doctor, upload=photo_upload("JPEG"))
    # when they preview their card
    response = doctor_client.get(reverse("portal:profile-preview"))
    # then it is built from the API's own detail of them
    assert response.status_code == 200
    card = response.context["card"]
    assert card == api_client.get(f"/api/v1/doctors/{doctor.pk}").json()
    html = response.content.decode()
    for shown in (
        f'src="{card["photo_url"]}"',
        doctor.user.last_name,
        "Cardiology",
        "Clinique Centrale",
        "Paris",
        "EN, FR",
        "50.00 EUR",
        "4.5 / 5 (12 reviews)",
        "Twenty years &lt;b&gt;in&lt;/b&gt; Paris.",
    ):
        assert shown in html
    assert 'id="not-visible"' not in html


@pytest.mark.parametrize("status", [VerificationStatus.PENDING, VerificationStatus.REJECTED])
def test_an_unverified_doctor_previews_the_card_with_a_note_that_patients_cannot_see_it(
    doctor_client, doctor, api_client, status
):
    doctor.verification_status = status
    doctor.save()

    response = doctor_client.get(reverse("portal:profile-preview"))

    assert response.status_code == 200
    assert 'id="not-visible"' in response.content.decode()
    assert response.context["card"]["id"] == str(doctor.pk)
    assert api_client.get(f"/api/v1/doctors/{doctor.pk}").status_code == 404


def test_the_preview_is_in_french_for_a_french_doctor(doctor_client, doctor):
    doctor.user.locale = "fr"
    doctor.user.save()
    doctor.specialties.set([SpecialtyFactory(slug="dermatology", name_en="Dermatology", name_fr="Dermatologie")])

    html = doctor_client.get(reverse("portal:profile-preview")).content.decode()

    assert "Dermatologie" in html
