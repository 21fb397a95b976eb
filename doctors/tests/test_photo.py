"""Doctors' public photos: one service (doctor_photo_set/remove) behind the API and the portal."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests.factories import PatientFactory
from core.exceptions import ApplicationError
from doctors.photos import PHOTO_MAX_BYTES, PHOTO_MAX_SIDE
from doctors.services import doctor_photo_remove, doctor_photo_set
from doctors.tests.factories import DoctorProfileFactory, photo_upload

pytestmark = pytest.mark.django_db

PHOTO = "/api/v1/doctors/me/photo"


def _stored(profile) -> Image.Image:
    profile.photo.open("rb")
    image = Image.open(profile.photo)
    image.load()
    profile.photo.close()
    return image


def _camera_jpeg() -> SimpleUploadedFile:
    """A 3000x2000 phone shot, rotated by its EXIF orientation, with GPS, device and a comment."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to display
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPS latitude
    return photo_upload("JPEG", size=(3000, 2000), exif=exif.tobytes(), comment=b"taken at home")


def test_a_camera_jpeg_is_stored_upright_downscaled_and_without_metadata():
    profile = DoctorProfileFactory()

    doctor_photo_set(profile=profile, upload=_camera_jpeg())

    profile.refresh_from_db()
    assert profile.photo.name.startswith("doctors/") and profile.photo.name.endswith(".jpg")
    assert "me" not in profile.photo.name
    image = _stored(profile)
    assert image.format == "JPEG"
    assert image.size == (683, PHOTO_MAX_SIDE)  # portrait once turned upright
    assert dict(image.getexif()) == {}
    assert "comment" not in image.info


@pytest.mark.parametrize(("image_format", "extension", "mode"), [("PNG", "png", "P"), ("WEBP", "webp", "RGBA")])
def test_png_and_webp_keep_their_format(image_format, extension, mode):
    profile = DoctorProfileFactory()

    doctor_photo_set(profile=profile, upload=photo_upload(image_format, size=(300, 200), mode=mode))

    assert profile.photo.name.endswith(f".{extension}")
    assert _stored(profile).size == (300, 200)


def test_the_format_comes_from_the_content_not_the_name():
    profile = DoctorProfileFactory()

    doctor_photo_set(profile=profile, upload=photo_upload("PNG", name="holiday.jpg"))

    assert profile.photo.name.endswith(".png")


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg"),
        photo_upload("GIF", name="photo.png"),
        SimpleUploadedFile("photo.jpg", photo_upload("JPEG").read()[:400], content_type="image/jpeg"),
    ],
    ids=["pdf-named-jpg", "gif", "truncated-jpeg"],
)
def test_a_file_that_is_not_an_accepted_image_is_415_and_the_old_photo_stays(upload):
    profile = DoctorProfileFactory()
    doctor_photo_set(profile=profile, upload=photo_upload("PNG"))
    before = profile.photo.name

    with pytest.raises(ApplicationError) as error:
        doctor_photo_set(profile=profile, upload=upload)

    assert (error.value.status, error.value.code, error.value.attr) == (415, "unsupported_media_type", "photo")
    profile.refresh_from_db()
    assert profile.photo.name == before


def test_a_small_file_of_too_many_pixels_is_refused_before_decoding():
    upload = photo_upload("PNG", size=(8000, 6000), mode="1")
    assert upload.size < PHOTO_MAX_BYTES

    with pytest.raises(ApplicationError) as error:
        doctor_photo_set(profile=DoctorProfileFactory(), upload=upload)

    assert error.value.status == 415


def test_a_file_over_the_size_limit_is_413():
    upload = SimpleUploadedFile("big.jpg", b"\xff" * (PHOTO_MAX_BYTES + 1), content_type="image/jpeg")

    with pytest.raises(ApplicationError) as error:
        doctor_photo_set(profile=DoctorProfileFactory(), upload=upload)

    assert (error.value.status, error.value.code) == (413, "file_too_large")


def test_replacing_or_removing_a_photo_deletes_the_old_file_once_committed(django_capture_on_commit_callbacks):
    profile = DoctorProfileFactory()
    doctor_photo_set(profile=profile, upload=photo_upload("PNG"))
    first = profile.photo.name
    storage = profile.photo.storage

    with django_capture_on_commit_callbacks(execute=True):
        doctor_photo_set(profile=profile, upload=photo_upload("JPEG"))
    second = profile.photo.name
    assert not storage.exists(first)
    assert storage.exists(second)

    with django_capture_on_commit_callbacks(execute=True):
        doctor_photo_remove(profile=profile)
    profile.refresh_from_db()
    assert not profile.photo
    assert not storage.exists(second)


# --- API -----------------------------------------------------------------------------------------------


def test_a_doctor_sets_the_photo_through_the_api_and_patients_see_its_url(auth_client, api_client):
    profile = DoctorProfileFactory()

    response = auth_client(profile.user).put(PHOTO, {"photo": photo_upload("JPEG")}, format="multipart")

    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    expected = f"http://testserver/media/{profile.photo.name}"
    assert response.json()["photo_url"] == expected
    assert api_client.get(f"/api/v1/doctors/{profile.pk}").json()["photo_url"] == expected


def test_a_bad_photo_through_the_api_is_415_in_the_error_shape(auth_client):
    profile = DoctorProfileFactory()
    upload = SimpleUploadedFile("photo.jpg", b"not an image", content_type="image/jpeg")

    response = auth_client(profile.user).put(PHOTO, {"photo": upload}, format="multipart")

    assert response.status_code == 415
    error = response.json()["errors"][0]
    assert (error["code"], error["attr"]) == ("unsupported_media_type", "photo")
    profile.refresh_from_db()
    assert not profile.photo


def test_a_missing_photo_field_is_400(auth_client):
    response = auth_client(DoctorProfileFactory().user).put(PHOTO, {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "photo"


def test_the_api_removes_the_photo(auth_client):
    profile = DoctorProfileFactory()
    doctor_photo_set(profile=profile, upload=photo_upload("PNG"))

    response = auth_client(profile.user).delete(PHOTO)

    assert response.status_code == 204
    assert auth_client(profile.user).get("/api/v1/doctors/me/profile").json()["photo_url"] is None


def test_a_patient_cannot_set_a_photo(auth_client):
    response = auth_client(PatientFactory()).put(PHOTO, {"photo": photo_upload("PNG")}, format="multipart")

    assert response.status_code == 403
