"""Reads of the doctors directory, with visibility built in: patients only ever see verified
doctors of active accounts; anything else is a 404."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from accounts.models import User
from core.exceptions import ApplicationError, NotFoundError
from doctors.errors import DoctorErrorCode
from doctors.models import DoctorProfile, Favorite, Review, Specialty, VerificationStatus, VisitType

VISIBLE = Q(verification_status=VerificationStatus.VERIFIED, user__is_active=True)


def specialty_list() -> QuerySet[Specialty]:
    verified = Q(doctors__verification_status=VerificationStatus.VERIFIED, doctors__user__is_active=True)
    return Specialty.objects.annotate(doctor_count=Count("doctors", filter=verified)).order_by("slug")


def doctor_cards() -> QuerySet[DoctorProfile]:
    """Visible doctors with everything a card shows, in a fixed number of queries."""
    return (
        DoctorProfile.objects.filter(VISIBLE)
        .select_related("user")
        .prefetch_related(Prefetch("specialties", queryset=Specialty.objects.order_by("slug")))
    )


def card_specialties_attach(doctors: Iterable[DoctorProfile]) -> None:
    """Sets `card_specialties` on each doctor: the specialties a card shows (by slug) as a plain
    list, which `doctor_card_representation` reads, for a page of cards in one query. Cheaper than
    a `Prefetch` of the many-to-many (its machinery cost as much as the rest of the page's fetch),
    and only the columns a card shows: the name in every language (for the fallback)."""
    doctors = [doctor for doctor in doctors if not hasattr(doctor, "card_specialties")]
    if not doctors:
        return
    names = [f"specialty__{build_localized_fieldname('name', code)}" for code, _name in settings.LANGUAGES]
    links = (
        DoctorProfile.specialties.through.objects.filter(doctorprofile_id__in={doctor.pk for doctor in doctors})
        .select_related("specialty")
        .only("doctorprofile_id", "specialty__id", "specialty__slug", *names)
        .order_by("specialty__slug")
    )
    by_doctor: dict[Any, list[Specialty]] = defaultdict(list)
    for link in links:
        by_doctor[link.doctorprofile_id].append(link.specialty)
    for doctor in doctors:
        doctor.card_specialties = by_doctor[doctor.pk]


def doctor_card_list() -> QuerySet[DoctorProfile]:
    """`doctor_cards` for a page of cards (the search): `card_specialties_attach` the page."""
    return doctor_cards().prefetch_related(None)


def doctor_get_public(*, id: Any) -> DoctorProfile:
    doctor = doctor_cards().filter(pk=id).first()
    if doctor is None:
        raise NotFoundError(_("Not found."), code="not_found")
    return doctor


def doctor_get_visible(*, id: Any) -> DoctorProfile:
    """The bare profile row of a visible doctor (no card data), for writes and sub-resources."""
    doctor = DoctorProfile.objects.filter(VISIBLE, pk=id).first()
    if doctor is None:
        raise NotFoundError(_("Not found."), code="not_found")
    return doctor


def doctor_profile_get_for_user(*, user: User) -> DoctorProfile:
    from doctors.services import doctor_profile_ensure

    profile = doctor_profile_ensure(user=user)
    return (
        DoctorProfile.objects.select_related("user")
        .prefetch_related(Prefetch("specialties", queryset=Specialty.objects.order_by("slug")))
        .get(pk=profile.pk)
    )


def favorite_doctor_ids(*, user: User, doctor_ids: Iterable) -> set[str]:
    """Which of `doctor_ids` the signed-in patient has bookmarked (one query; none for others)."""
    ids = list(doctor_ids)
    if not ids or not getattr(user, "is_authenticated", False) or not user.is_patient:
        return set()
    return {
        str(pk) for pk in Favorite.objects.filter(patient=user, doctor_id__in=ids).values_list("doctor_id", flat=True)
    }


def favorite_doctors(*, patient: User) -> QuerySet[DoctorProfile]:
    """The patient's bookmarked doctors that are still visible, most recently added first."""
    return doctor_cards().filter(favorited_by__patient=patient).order_by("-favorited_by__created_at", "id")


def review_list_public(*, doctor: DoctorProfile) -> QuerySet[Review]:
    return Review.objects.filter(doctor=doctor, is_hidden=False).select_related("patient").order_by("-created_at", "id")


def visit_types_public(*, doctor: DoctorProfile) -> QuerySet[VisitType]:
    """A visible doctor's active visit types, the default first."""
    return VisitType.objects.filter(doctor=doctor, is_active=True).order_by(
        "-is_default", "duration_minutes", "created_at"
    )


def visit_types_of(*, doctor: DoctorProfile) -> QuerySet[VisitType]:
    """The doctor's own visit types, inactive ones included (after the active ones)."""
    return VisitType.objects.filter(doctor=doctor).order_by(
        "-is_active", "-is_default", "duration_minutes", "created_at"
    )


def visit_type_get_own(*, doctor: DoctorProfile, visit_type_id: Any) -> VisitType:
    """One of the doctor's own visit types, else 404."""
    visit_type = VisitType.objects.filter(doctor=doctor, pk=visit_type_id).first()
    if visit_type is None:
        raise NotFoundError(_("Not found."), code="not_found")
    return visit_type


def visit_type_for_booking(
    *, doctor: DoctorProfile, visit_type_id: Any | None, attr: str = "visit_type_id"
) -> VisitType | None:
    """The visit type a booking or an availability query names: an active one of this doctor (400
    `invalid_visit_type` on `visit_type_id` otherwise), or the doctor's default when none is named
    (None for a doctor who has none yet: their slot and fee apply)."""
    if visit_type_id is None:
        return VisitType.objects.filter(doctor=doctor, is_default=True).first()
    visit_type = VisitType.objects.filter(doctor=doctor, pk=visit_type_id, is_active=True).first()
    if visit_type is None:
        raise visit_type_invalid(attr=attr)
    return visit_type


def visit_type_invalid(*, attr: str) -> ApplicationError:
    """400 for a visit type that is not one of the doctor's active ones."""
    return ApplicationError(
        _("This doctor offers no such visit type."), code=DoctorErrorCode.INVALID_VISIT_TYPE, attr=attr
    )


def visit_type_lengths_active(*, doctor_id: Any) -> tuple[tuple[str, int, int, bool], ...]:
    """(id, duration, buffer, is_default) of the doctor's active visit types (one query)."""
    return tuple(
        (str(pk), duration, buffer, is_default)
        for pk, duration, buffer, is_default in VisitType.objects.filter(doctor_id=doctor_id, is_active=True)
        .order_by("pk")
        .values_list("pk", "duration_minutes", "buffer_minutes", "is_default")
    )


def visit_type_default_lengths(*, doctor_ids: Iterable) -> list[tuple[Any, int, int]]:
    """(doctor id, duration, buffer) of the default visit type of each of `doctor_ids` (one query)."""
    return list(
        VisitType.objects.filter(doctor_id__in=list(doctor_ids), is_default=True).values_list(
            "doctor_id", "duration_minutes", "buffer_minutes"
        )
    )
