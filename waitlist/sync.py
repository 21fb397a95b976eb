"""What the waitlist contributes to the offline sync (`core.sync`): the patient's own entries.

Every service that changes an entry calls `waitlist_entry_sync_record` inside its transaction. An
offer that lapses by the clock alone shows as no offer (`offer_open`) before any write records it.
"""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from appointments.models import AppointmentStatus
from core.sync import register, sync_record
from waitlist.models import WaitlistEntry, WaitlistStatus

RESOURCE = "waitlist"


def offer_open(entry: WaitlistEntry, *, now: datetime) -> bool:
    """Whether the entry's offer can be accepted at `now`: the entry is `offered` and its hold is live."""
    hold = entry.offer_appointment
    return (
        entry.status == WaitlistStatus.OFFERED
        and hold is not None
        and hold.status == AppointmentStatus.PENDING_PAYMENT
        and hold.hold_until is not None
        and hold.hold_until > now
    )


def waitlist_offer_payload(entry: WaitlistEntry, *, now: datetime) -> dict[str, Any] | None:
    hold = entry.offer_appointment
    if hold is None or not offer_open(entry, now=now):
        return None
    return {"start": hold.start, "end": hold.end, "expires_at": hold.hold_until}


def waitlist_entry_sync_payload(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "doctor_id": entry.doctor_id,
        "visit_type_id": entry.visit_type_id,
        "relative_id": entry.relative_id,
        "earliest_date": entry.earliest_date,
        "latest_date": entry.latest_date,
        "status": entry.status,
        "offer": waitlist_offer_payload(entry, now=timezone.now()),
        "updated_at": entry.updated_at,
    }


def waitlist_entries_visible_to(user: Any) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(patient=user).select_related("offer_appointment")


def waitlist_entry_sync_record(entry: WaitlistEntry) -> None:
    sync_record(users=[entry.patient_id], resource=RESOURCE, object_id=entry.pk)


register(RESOURCE, serialize=waitlist_entry_sync_payload, visible=waitlist_entries_visible_to)
