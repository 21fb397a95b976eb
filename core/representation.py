"""Helpers for the few hot answers built as dicts instead of field by field through DRF (doctor
cards, appointments, the user): the values exactly as DRF's fields write them."""

from rest_framework import serializers

_DATETIME = serializers.DateTimeField()


def datetime_representation(value) -> str | None:
    """A datetime as DRF's DateTimeField writes it (ISO 8601 in the current zone, `Z` for UTC)."""
    return None if value is None else _DATETIME.to_representation(value)
