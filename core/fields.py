"""Encryption at rest for sensitive free text (chat bodies, appointment reasons).

`FIELD_ENCRYPTION_KEY` holds one or more comma-separated Fernet keys; the first encrypts, all
decrypt, so a key can be rotated by prepending a new one (and `manage.py rotate_field_keys` where an
app offers it re-encrypts old rows).
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def field_cipher() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY)


def encrypt_text(value: str) -> str:
    return field_cipher().encrypt(value.encode()).decode()


def decrypt_text(value: str) -> str:
    try:
        return field_cipher().decrypt(value.encode()).decode()
    except InvalidToken:
        # Written before encryption was enabled, or with a key that was removed: never crash a read.
        return value


class EncryptedTextField(models.TextField):
    """A TextField stored as a Fernet token. Not searchable or orderable in SQL, by design."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)
