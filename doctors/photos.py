"""Doctors' public photos: checked by their content (Pillow), never by name or declared type, and
re-encoded so that what we store and serve is our own file: at most PHOTO_MAX_SIDE pixels a side
and without the metadata a camera leaves in it (EXIF: GPS position, device, date)."""

from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.exceptions import ApplicationError
from doctors.errors import DoctorErrorCode

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 1024
# Checked before decoding, so a small file that inflates to a huge bitmap is refused cheaply.
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_SAVE_OPTIONS = {"JPEG": {"quality": 85, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}
_KEPT_MODES = {"JPEG": ("RGB", "L"), "PNG": ("RGB", "RGBA", "L", "LA"), "WEBP": ("RGB", "RGBA")}


def _unsupported() -> ApplicationError:
    return ApplicationError(
        _("The photo must be a JPEG, PNG or WebP image."),
        code=DoctorErrorCode.UNSUPPORTED_MEDIA_TYPE,
        status=415,
        attr="photo",
    )


def photo_prepare(*, upload: UploadedFile) -> tuple[ContentFile, str]:
    """The upload re-encoded in its own format (JPEG, PNG or WebP), and that format's extension;
    413 past PHOTO_MAX_BYTES, 415 for anything that is not one of those images."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ApplicationError(
            _("The photo is limited to %(mb)d MB.") % {"mb": PHOTO_MAX_BYTES // (1024 * 1024)},
            code=DoctorErrorCode.FILE_TOO_LARGE,
            status=413,
            attr="photo",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as original:
            image_format = original.format
            if image_format not in PHOTO_FORMATS or original.width * original.height > PHOTO_MAX_PIXELS:
                raise _unsupported()
            # Turned upright first: the orientation lives in the EXIF that is dropped below.
            image = ImageOps.exif_transpose(original)
        return ContentFile(_encode(image, image_format)), PHOTO_FORMATS[image_format]
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _unsupported() from None


def _encode(image: Image.Image, image_format: str) -> bytes:
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    if image.mode not in _KEPT_MODES[image_format]:
        image = image.convert("RGB" if image_format == "JPEG" else "RGBA")
    image.info = {}
    output = BytesIO()
    image.save(output, format=image_format, **_SAVE_OPTIONS[image_format])
    return output.getvalue()
