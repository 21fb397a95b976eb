"""Helpers for the few hot answers built as dicts instead of field by field through DRF (doctor
cards, appointments, the user): the values exactly as DRF's fields write them."""

from datetime import datetime, tzinfo

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

_DATETIME = serializers.DateTimeField()


def current_zone() -> tzinfo:
    """The zone `datetime_representation` writes in: look it up once for the values of one object."""
    return timezone.get_current_timezone()


def datetime_representation(value: datetime | None, zone: tzinfo | None = None) -> str | None:
    """A datetime as DRF's DateTimeField writes it (ISO 8601 in the current zone, `Z` for UTC).

    An aware value (every one the database returns) is converted here as DRF converts it, without
    DRF's per-value lookups of its settings and of the current zone (`zone`, from `current_zone()`,
    when the caller writes several); anything else goes through DRF's own field."""
    if value is None:
        return None
    if value.tzinfo is None or not settings.USE_TZ or api_settings.DATETIME_FORMAT != ISO_8601:
        return _DATETIME.to_representation(value)
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
