"""How a time is written for a person: always in the clinic's zone, and in their own when it differs.

Patients arriving an hour early after a zone or DST mix-up is a known pain: every text a person reads
(notifications, reminders, payment messages, ICS descriptions) gets its times from `when_text`,
which names the zone, and is shown through `appointments/when.txt`.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats

from core.zones import zone_or_none


@dataclass(frozen=True)
class WhenText:
    clinic: str  # "Dec. 1, 2026, 10 a.m." (the active language's format)
    clinic_zone: str  # "Europe/Paris"
    own: str  # "" when the reader's zone is the clinic's
    own_zone: str


def when_text(*, moment: datetime, clinic_zone: str, reader_zone: str | None) -> WhenText:
    """`moment` for one reader, in the active language: the clinic's wall-clock time and zone, and the
    reader's own when their zone differs. Call it inside the reader's `translation.override`."""
    clinic = zone_or_none(clinic_zone) or ZoneInfo("UTC")
    clinic_local = moment.astimezone(clinic)
    reader = zone_or_none(reader_zone)
    own = own_zone = ""
    if reader is not None:
        reader_local = moment.astimezone(reader)
        if reader_local.utcoffset() != clinic_local.utcoffset() or reader.key != clinic.key:
            own, own_zone = formats.date_format(reader_local, "DATETIME_FORMAT"), reader.key
    return WhenText(
        clinic=formats.date_format(clinic_local, "DATETIME_FORMAT"), clinic_zone=clinic.key, own=own, own_zone=own_zone
    )
