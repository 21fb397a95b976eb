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
    VISIT_BUFFER_RANGE,
    VISIT_DURATION_RANGE,
    DoctorProfile,
    Favorite,
    PaymentMethod,
    Review,
    Specialty,
    VerificationStatus,
    VisitType,
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
# The profile fields the default visit type mirrors (duration = slot length, fee = fee).
DEFAULT_VISIT_TYPE_FIELDS = {"slot_minutes", "fee_amount", "fee_currency"}


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
            visit_type_default_ensure(doctor=profile)
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
    if DEFAULT_VISIT_TYPE_FIELDS.intersection(changed):
        _visit_type_default_follow_profile(doctor=profile)
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


# --- visit types ----------------------------------------------------------------------------------
#
# Every doctor has exactly one default visit type, and it *is* their profile's slot length and fee:
# a profile edit of `slot_minutes` or `fee` changes the default's duration and fee, and an edit of
# the default's duration or fee changes the profile (doctor_profile_update / visit_type_update). So a
# client that names no visit type books exactly as before, and the card's `fee` (the profile's) is
# the default's. The default can have a buffer and its own names; it cannot be deactivated.

VISIT_TYPE_FIELDS = (
    "name_en",
    "name_fr",
    "description_en",
    "description_fr",
    "duration_minutes",
    "buffer_minutes",
    "fee_amount",
    "fee_currency",
    "new_patients_only",
    "accepts_payment_methods",
    "is_active",
)
DEFAULT_VISIT_TYPE_NAMES = {"name_en": "Consultation", "name_fr": "Consultation"}


def _doctor_visit_types_lock(doctor: DoctorProfile) -> DoctorProfile:
    """Visit type writes of one doctor run one at a time (the default and `min_fee` stay exact)."""
    return DoctorProfile.objects.select_for_update().get(pk=doctor.pk)


def _visit_type_validate(data: dict[str, Any]) -> None:
    if "name_en" in data and not (data["name_en"] or "").strip():
        raise ApplicationError(_("A visit type needs an English name."), code="required", attr="name_en")
    low, high = VISIT_DURATION_RANGE
    if "duration_minutes" in data and not low <= data["duration_minutes"] <= high:
        raise ApplicationError(
            _("A visit lasts from %(low)d to %(high)d minutes.") % {"low": low, "high": high},
            code="invalid",
            attr="duration_minutes",
        )
    low, high = VISIT_BUFFER_RANGE
    if "buffer_minutes" in data and not low <= data["buffer_minutes"] <= high:
        raise ApplicationError(
            _("A buffer lasts from %(low)d to %(high)d minutes.") % {"low": low, "high": high},
            code="invalid",
            attr="buffer_minutes",
        )
    if "fee_currency" in data and data["fee_currency"] not in settings.TABIB["CURRENCIES"]:
        raise ApplicationError(_("Unsupported currency."), code=DoctorErrorCode.INVALID_CURRENCY, attr="fee")
    if any(m not in PaymentMethod.values for m in data.get("accepts_payment_methods") or []):
        raise ApplicationError(
            _("Choose payment methods among card and clinic."),
            code=DoctorErrorCode.INVALID_PAYMENT_METHOD,
            attr="accepts_payment_methods",
        )


def _visit_types_changed(*, doctor: DoctorProfile) -> None:
    """After any visit type write: refresh `min_fee` (cards), drop the cached availability (its
    facts hold the visit types) and the directory pages."""
    cheapest = (
        VisitType.objects.filter(doctor=doctor, is_active=True)
        .order_by("fee_amount", "created_at")
        .values_list("fee_amount", "fee_currency")
        .first()
    )
    amount, currency = cheapest or (None, "")
    if (doctor.min_fee_amount, doctor.min_fee_currency) != (amount, currency):
        DoctorProfile.objects.filter(pk=doctor.pk).update(min_fee_amount=amount, min_fee_currency=currency)
        doctor.min_fee_amount, doctor.min_fee_currency = amount, currency
    from appointments.availability_cache import availability_cache_invalidate  # up-call

    availability_cache_invalidate(doctor_id=doctor.pk)
    directory_changed()


def visit_type_default_ensure(*, doctor: DoctorProfile) -> VisitType:
    """The doctor's default visit type, created from their slot length and fee when missing."""
    found = VisitType.objects.filter(doctor=doctor, is_default=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        locked = _doctor_visit_types_lock(doctor)
        found = VisitType.objects.filter(doctor=locked, is_default=True).first()
        if found is not None:
            return found
        visit_type = VisitType.objects.create(
            doctor=locked,
            **DEFAULT_VISIT_TYPE_NAMES,
            duration_minutes=locked.slot_minutes,
            fee_amount=locked.fee_amount,
            fee_currency=locked.fee_currency,
            is_default=True,
        )
        _visit_types_changed(doctor=locked)
    doctor.min_fee_amount, doctor.min_fee_currency = locked.min_fee_amount, locked.min_fee_currency
    return visit_type


def _visit_type_default_follow_profile(*, doctor: DoctorProfile) -> None:
    """The profile's slot length or fee changed: the default visit type follows."""
    default = visit_type_default_ensure(doctor=doctor)
    VisitType.objects.filter(pk=default.pk).update(
        duration_minutes=doctor.slot_minutes,
        fee_amount=doctor.fee_amount,
        fee_currency=doctor.fee_currency,
        updated_at=timezone.now(),
    )
    _visit_types_changed(doctor=doctor)


@transaction.atomic
def visit_type_create(*, doctor: DoctorProfile, data: dict[str, Any]) -> VisitType:
    """A new (non-default, active) visit type. `name_en`, `duration_minutes` and the fee are required;
    the fee's currency defaults to the doctor's; empty payment methods mean the doctor's own."""
    missing = [name for name in ("name_en", "duration_minutes", "fee_amount") if name not in data]
    if missing:
        raise ApplicationError(_("This field is required."), code="required", attr=missing[0])
    _visit_type_validate(data)
    locked = _doctor_visit_types_lock(doctor)
    visit_type_default_ensure(doctor=locked)
    fields = {name: data[name] for name in VISIT_TYPE_FIELDS if name in data and name != "is_active"}
    fields.setdefault("fee_currency", locked.fee_currency)
    fields["name_en"] = fields["name_en"].strip()
    if fields.get("accepts_payment_methods"):
        fields["accepts_payment_methods"] = list(dict.fromkeys(fields["accepts_payment_methods"]))
    visit_type = VisitType.objects.create(doctor=locked, **fields)
    audit_record(action="visit_type.created", actor=locked.user, target=visit_type)
    _visit_types_changed(doctor=locked)
    return visit_type


@transaction.atomic
def visit_type_update(*, doctor: DoctorProfile, visit_type: VisitType, data: dict[str, Any]) -> VisitType:
    """Edit one of the doctor's visit types. The default stays active (409 `default_visit_type`), and
    its duration and fee are the profile's slot length and fee: editing them edits the profile."""
    _visit_type_validate(data)
    locked = _doctor_visit_types_lock(doctor)
    visit_type = VisitType.objects.select_for_update().get(pk=visit_type.pk, doctor=locked)
    if visit_type.is_default and data.get("is_active") is False:
        raise _default_stays_active()
    changed = []
    for name in VISIT_TYPE_FIELDS:
        if name in data:
            value = data[name]
            if name == "name_en":
                value = value.strip()
            elif name == "accepts_payment_methods":
                value = list(dict.fromkeys(value or []))
            setattr(visit_type, name, value)
            changed.append(name)
    if changed:
        visit_type.save(update_fields=[*changed, "updated_at"])
        audit_record(action="visit_type.updated", actor=locked.user, target=visit_type, data={"fields": changed})
    mirrored = {"duration_minutes": "slot_minutes", "fee_amount": "fee_amount", "fee_currency": "fee_currency"}
    if visit_type.is_default and any(name in changed for name in mirrored):
        for name, profile_field in mirrored.items():
            setattr(locked, profile_field, getattr(visit_type, name))
        locked.save(update_fields=[*mirrored.values(), "updated_at"])
    _visit_types_changed(doctor=locked)
    return visit_type


def _default_stays_active() -> ConflictError:
    return ConflictError(_("The default visit type cannot be deactivated."), code=DoctorErrorCode.DEFAULT_VISIT_TYPE)


@transaction.atomic
def visit_type_deactivate(*, doctor: DoctorProfile, visit_type: VisitType) -> VisitType:
    """No new bookings of it; appointments already booked keep it. The default -> 409."""
    if visit_type.is_default:
        raise _default_stays_active()
    return visit_type_update(doctor=doctor, visit_type=visit_type, data={"is_active": False})
