"""How a time is written for a person: always in the clinic's zone, and in their own when it differs.

Patients arriving an hour early after a zone or DST mix-up is a known pain: every text a person reads
(notifications, ICS descriptions) names the zone it is written in.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class WhenText:
    clinic: str  # "2026-12-01 10:00"
    clinic_zone: str  # "Europe/Paris"
    own: str  # "" when the reader's zone is the clinic's
    own_zone: str


def when_text(*, moment: datetime, clinic_zone: str, reader_zone: str | None) -> WhenText:
    clinic = zone_or_none(clinic_zone) or ZoneInfo("UTC")
    clinic_local = moment.astimezone(clinic)
    reader = zone_or_none(reader_zone)
    own = own_zone = ""
    if reader is not None:
        reader_local = moment.astimezone(reader)
        if reader_local.utcoffset() != clinic_local.utcoffset() or reader.key != clinic.key:
            own, own_zone = f"{reader_local:%Y-%m-%d %H:%M}", reader.key
    return WhenText(clinic=f"{clinic_local:%Y-%m-%d %H:%M}", clinic_zone=clinic.key, own=own, own_zone=own_zone)
