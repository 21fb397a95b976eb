"""Every write of the doctors directory: profiles, verification, favorites, reviews."""

import html
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import nh3
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _
from unidecode import unidecode

from accounts.models import User
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.models import SyncOp
from core.services import audit_record
from core.zones import zone_or_none
from doctors.directory_cache import directory_changed
from doctors.errors import DoctorErrorCode
from doctors.models import (
    REVIEW_COMMENT_MAX_LENGTH,
    DoctorProfile,
    Favorite,
    PaymentMethod,
    Review,
    Specialty,
    VerificationStatus,
)
from doctors.photos import photo_prepare
from doctors.sync import favorite_sync_record
from notifications.services import notification_send

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")

# Fields a doctor may set on their own profile (besides fee, specialties, names).
PROFILE_FIELDS = (
    "title",
    "bio",
    "clinic_name",
    "clinic_address",
    "city",
    "country",
    "latitude",
    "longitude",
    "languages",
    "years_experience",
    "timezone",
    "slot_minutes",
    "accepts_payment_methods",
)
# The profile fields public availability is computed from.
AVAILABILITY_FIELDS = {"timezone", "slot_minutes"}


def search_name_normalise(text: str) -> str:
    """ASCII, lower case, single spaces: "Hélène  DUPONT" -> "helene dupont"."""
    return " ".join(unidecode(text or "").lower().split())


def doctor_search_name(user: User) -> str:
    return search_name_normalise(f"{user.first_name} {user.last_name}")


def doctor_profile_ensure(*, user: User) -> DoctorProfile:
    """The doctor's profile, created `pending` on first use (registration calls this too)."""
    profile = DoctorProfile.objects.filter(user=user).select_related("user").first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            profile = DoctorProfile.objects.create(
                user=user, search_name=doctor_search_name(user), verification_status=VerificationStatus.PENDING
            )
    except IntegrityError:  # created concurrently
        profile = DoctorProfile.objects.select_related("user").get(user=user)
    return profile


def doctor_search_name_refresh(*, user: User) -> None:
    """Call after a doctor's first/last name changed (accounts' user update does)."""
    updated = DoctorProfile.objects.filter(user=user).update(search_name=doctor_search_name(user))
    if updated:
        directory_changed()


def _validate_profile(data: dict[str, Any]) -> None:
    if "timezone" in data and zone_or_none(data["timezone"]) is None:
        raise ApplicationError(_("Unknown time zone."), code=DoctorErrorCode.INVALID_TIMEZONE, attr="timezone")
    if "fee_currency" in data and data["fee_currency"] not in settings.TABIB["CURRENCIES"]:
        raise ApplicationError(_("Unsupported currency."), code=DoctorErrorCode.INVALID_CURRENCY)
    if "accepts_payment_methods" in data:
        methods = data["accepts_payment_methods"]
        if not methods or any(m not in PaymentMethod.values for m in methods):
            raise ApplicationError(
                _("Choose at least one payment method among card and clinic."),
                code=DoctorErrorCode.INVALID_PAYMENT_METHOD,
            )
    if "languages" in data and any(not _LANGUAGE_CODE.match(code or "") for code in data["languages"]):
        raise ApplicationError(
            _('Languages are ISO 639-1 codes such as "en" or "fr".'), code=DoctorErrorCode.INVALID_LANGUAGE
        )


@transaction.atomic
def doctor_profile_update(
    *, profile: DoctorProfile, data: dict[str, Any], specialty_ids: list | None = None
) -> DoctorProfile:
    """Update the doctor's own profile. The verification status never changes here: a verified
    doctor stays verified, a pending one stays in the queue."""
    _validate_profile(data)
    changed: list[str] = []
    for field in (*PROFILE_FIELDS, "fee_amount", "fee_currency"):
        if field in data:
            value = data[field]
            if field in ("city", "clinic_name", "clinic_address", "title"):
                value = value.strip()
            elif field == "country":
                value = value.strip().upper()
            elif field == "languages":
                value = sorted(set(value))
            elif field == "accepts_payment_methods":
                value = list(dict.fromkeys(value))
            setattr(profile, field, value)
            changed.append(field)
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
    if AVAILABILITY_FIELDS.intersection(changed):
        from appointments.availability_cache import availability_cache_invalidate  # up-call

        availability_cache_invalidate(doctor_id=profile.pk)
    if specialty_ids is not None:
        specialties = list(Specialty.objects.filter(id__in=set(specialty_ids)))
        if len(specialties) != len(set(specialty_ids)):
            raise ApplicationError(_("Unknown specialty."), code=DoctorErrorCode.INVALID_SPECIALTY)
        profile.specialties.set(specialties)
    directory_changed()
    return profile


@transaction.atomic
def doctor_photo_set(*, profile: DoctorProfile, upload: UploadedFile) -> DoctorProfile:
    """Replace the doctor's public photo with a JPEG, PNG or WebP upload, checked and re-encoded by
    `photos.photo_prepare` (a bad file changes nothing). Stored under a random name."""
    content, extension = photo_prepare(upload=upload)
    previous = profile.photo.name or ""
    profile.photo.save(f"{uuid.uuid4().hex}.{extension}", content, save=False)
    profile.save(update_fields=["photo", "updated_at"])
    _photo_delete_on_commit(profile, previous)
    return profile


@transaction.atomic
def doctor_photo_remove(*, profile: DoctorProfile) -> DoctorProfile:
    previous = profile.photo.name or ""
    if previous:
        profile.photo = ""
        profile.save(update_fields=["photo", "updated_at"])
        _photo_delete_on_commit(profile, previous)
    return profile


def _photo_delete_on_commit(profile: DoctorProfile, name: str) -> None:
    """The old file goes once the row no longer points at it (a rollback keeps both)."""
    if name:
        storage = profile.photo.storage
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def doctor_verify(*, doctor: DoctorProfile, by: User | None, approve: bool, reason: str = "") -> DoctorProfile:
    """Staff decision on a doctor: verified (visible in search) or rejected (hidden), with a reason.
    Notifies the doctor and leaves an audit row."""
    doctor = DoctorProfile.objects.select_for_update().select_related("user").get(pk=doctor.pk)
    previous = doctor.verification_status
    doctor.verification_status = VerificationStatus.VERIFIED if approve else VerificationStatus.REJECTED
    doctor.verified_by = by
    doctor.verified_at = timezone.now()
    doctor.verification_reason = (reason or "").strip()
    doctor.save(
        update_fields=["verification_status", "verified_by", "verified_at", "verification_reason", "updated_at"]
    )
    audit_record(
        action="doctor.verified" if approve else "doctor.rejected",
        actor=by,
        target=doctor,
        data={"from": previous, "to": doctor.verification_status, "reason": doctor.verification_reason},
    )
    notification_send(
        user=doctor.user,
        type="system",
        template_key="doctor_verified" if approve else "doctor_rejected",
        context={"doctor": doctor, "first_name": doctor.user.first_name, "reason": doctor.verification_reason},
        data={"doctor_id": str(doctor.pk), "verification_status": doctor.verification_status},
    )
    directory_changed()
    from appointments.availability_cache import availability_cache_invalidate  # up-call

    availability_cache_invalidate(doctor_id=doctor.pk)
    return doctor


@transaction.atomic
def favorite_add(*, patient: User, doctor: DoctorProfile) -> None:
    """Idempotent: adding a favorite twice leaves one row."""
    _favorite, created = Favorite.objects.get_or_create(patient=patient, doctor=doctor)
    if created:
        favorite_sync_record(patient=patient, doctor=doctor)


@transaction.atomic
def favorite_remove(*, patient: User, doctor: DoctorProfile) -> None:
    deleted, _rows = Favorite.objects.filter(patient=patient, doctor=doctor).delete()
    if deleted:
        favorite_sync_record(patient=patient, doctor=doctor, op=SyncOp.DELETE)


def review_text_clean(text: str, *, max_length: int) -> str:
    """Plain text: tags are dropped (nh3), the text is stored unescaped, then the length limit applies.

    What is stored is text, not HTML: `&lt;b&gt;` typed by someone is stored as `<b>` and must be
    escaped wherever it is shown (the API's ReviewSerializer, Django templates)."""
    cleaned = html.unescape(nh3.clean(text or "", tags=set(), attributes={}, strip_comments=True)).strip()
    if len(cleaned) > max_length:
        raise ApplicationError(
            _("This text is too long (at most %(max)d characters).") % {"max": max_length}, code="max_length"
        )
    return cleaned


def doctor_rating_recompute(*, doctor: DoctorProfile) -> None:
    """Exact aggregates from the visible reviews. Caller holds the doctor row lock, so two
    concurrent reviews serialise here and the second sees the first."""
    totals = Review.objects.filter(doctor=doctor, is_hidden=False).aggregate(avg=Avg("rating"), count=Count("id"))
    average = Decimal(str(totals["avg"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    DoctorProfile.objects.filter(pk=doctor.pk).update(avg_rating=average, rating_count=totals["count"])
    doctor.avg_rating, doctor.rating_count = average, totals["count"]
    directory_changed()


def _doctor_lock(doctor: DoctorProfile) -> DoctorProfile:
    return DoctorProfile.objects.select_for_update().get(pk=doctor.pk)


@transaction.atomic
def review_create(
    *, patient: User, doctor: DoctorProfile, appointment_id: Any, rating: int, comment: str = ""
) -> Review:
    """A patient reviews their own completed appointment with this doctor, once."""
    comment = review_text_clean(comment, max_length=REVIEW_COMMENT_MAX_LENGTH)
    # Up-call (see docs/architecture.md): a review is about an appointment, which sits above doctors.
    from appointments.models import Appointment, AppointmentStatus

    appointment = Appointment.objects.filter(pk=appointment_id, patient=patient, doctor=doctor).first()
    if appointment is None:
        raise NotFoundError(_("No such appointment with this doctor."), code=DoctorErrorCode.APPOINTMENT_NOT_FOUND)
    if appointment.status != AppointmentStatus.COMPLETED:
        raise ApplicationError(
            _("You can review an appointment only once it is completed."),
            code=DoctorErrorCode.APPOINTMENT_NOT_COMPLETED,
            status=403,
        )
    locked = _doctor_lock(doctor)
    if Review.objects.filter(appointment=appointment).exists():
        raise ConflictError(_("This appointment already has a review."), code=DoctorErrorCode.ALREADY_REVIEWED)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                appointment=appointment, doctor=locked, patient=patient, rating=rating, comment=comment
            )
    except IntegrityError:
        raise ConflictError(
            _("This appointment already has a review."), code=DoctorErrorCode.ALREADY_REVIEWED
        ) from None
    doctor_rating_recompute(doctor=locked)
    doctor.avg_rating, doctor.rating_count = locked.avg_rating, locked.rating_count
    return review


@transaction.atomic
def review_reply(*, doctor: DoctorProfile, review_id: Any, reply: str) -> Review:
    """The doctor's one public answer to a review of them."""
    review = Review.objects.select_for_update().filter(pk=review_id, doctor=doctor).first()
    if review is None:
        raise NotFoundError(_("Review not found."), code=DoctorErrorCode.REVIEW_NOT_FOUND)
    if review.replied_at is not None:
        raise ConflictError(_("You have already replied to this review."), code=DoctorErrorCode.ALREADY_REPLIED)
    review.doctor_reply = review_text_clean(reply, max_length=REVIEW_COMMENT_MAX_LENGTH)
    review.replied_at = timezone.now()
    review.save(update_fields=["doctor_reply", "replied_at", "updated_at"])
    return review


@transaction.atomic
def review_set_hidden(*, review: Review, hidden: bool, by: User | None) -> Review:
    """Staff moderation: a hidden review leaves the public list and the doctor's aggregates."""
    locked = _doctor_lock(review.doctor)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.is_hidden != hidden:
        review.is_hidden = hidden
        review.save(update_fields=["is_hidden", "updated_at"])
        audit_record(action="review.hidden" if hidden else "review.unhidden", actor=by, target=review)
        doctor_rating_recompute(doctor=locked)
    return review
