"""Reads of the waitlist, with the permission check built in (someone else's entry -> 404)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Relative, User
from appointments.slots import local_today
from core.exceptions import NotFoundError
from doctors.models import DoctorProfile
from doctors.selectors import card_specialties_attach
from waitlist.errors import WaitlistErrorCode as Code
from waitlist.models import ACTIVE_STATUSES, WaitlistEntry, WaitlistStatus


def _ahead() -> Coalesce:
    """How many active entries of the same doctor joined before this one (first come, first served)."""
    earlier = (
        WaitlistEntry.objects.filter(doctor_id=OuterRef("doctor_id"), status__in=ACTIVE_STATUSES)
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id")))
        .order_by()
        .values("doctor_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(earlier), 0)


def waitlist_entries_of(*, patient: User) -> QuerySet[WaitlistEntry]:
    """The patient's own entries, newest first, with the doctor's card, the visit type, the relative,
    the offer's hold and `ahead` (for `position`) loaded; `waitlist_cards_complete` adds the cards'
    specialties to a page."""
    return (
        WaitlistEntry.objects.filter(patient=patient)
        .select_related("doctor__user", "visit_type", "relative", "offer_appointment")
        .annotate(ahead=_ahead())
        .order_by("-created_at", "-id")
    )


def waitlist_cards_complete(entries: Iterable[WaitlistEntry]) -> None:
    """The specialties the doctor cards of these entries show: one query for the page."""
    card_specialties_attach(entry.doctor for entry in entries)


def waitlist_entry_get(*, patient: User, entry_id: Any) -> WaitlistEntry:
    entry = waitlist_entries_of(patient=patient).filter(pk=entry_id).first()
    if entry is None:
        raise NotFoundError(_("Not found."), code=Code.NOT_FOUND)
    return entry


def waitlist_doctor_ids_of(*, patient: User) -> list[Any]:
    """Doctors the patient waits for (their lapsed offers are passed on before the list is read)."""
    return list(
        WaitlistEntry.objects.filter(patient=patient, status__in=ACTIVE_STATUSES)
        .values_list("doctor_id", flat=True)
        .distinct()
    )


def waitlist_relative_waits(*, relative: Relative) -> bool:
    """Whether the relative waits for (or holds an offer of) a slot on a waitlist."""
    return WaitlistEntry.objects.filter(relative=relative, status__in=ACTIVE_STATUSES).exists()


def waitlist_length_of(*, doctor: DoctorProfile) -> int:
    """How many patients wait for (or hold an offer of) a slot of `doctor`, windows not passed."""
    return WaitlistEntry.objects.filter(
        doctor=doctor,
        status__in=ACTIVE_STATUSES,
        latest_date__gte=local_today(doctor=doctor, now=timezone.now()),
    ).count()


def waitlist_position(entry: WaitlistEntry) -> int | None:
    """1 for the first in line; None once the entry no longer waits."""
    if entry.status != WaitlistStatus.WAITING:
        return None
    ahead = getattr(entry, "ahead", None)
    if ahead is None:
        ahead = (
            WaitlistEntry.objects.filter(doctor_id=entry.doctor_id, status__in=ACTIVE_STATUSES)
            .filter(Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, id__lt=entry.id))
            .count()
        )
    return int(ahead) + 1
