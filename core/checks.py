"""Cross-cutting system checks: field encryption, hosts, and the shared services several processes need.

`manage.py check --deploy` runs the deploy ones (the container entrypoint runs it before every
process starts); the others run with every manage.py command.
"""

import binascii

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

IN_MEMORY_CHANNEL_LAYER = "channels.layers.InMemoryChannelLayer"
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security)
def check_field_encryption_key(app_configs, **kwargs) -> list:
    keys = [key.strip() for key in (settings.FIELD_ENCRYPTION_KEY or "").split(",") if key.strip()]
    if not keys:
        return [
            Error(
                "FIELD_ENCRYPTION_KEY is empty: chat messages and appointment reasons cannot be encrypted.",
                hint="Generate one with cryptography.fernet.Fernet.generate_key() (see docs/deploy.md).",
                id="tabib.E010",
            )
        ]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, binascii.Error):
            return [
                Error(
                    f"FIELD_ENCRYPTION_KEY: key #{position} is not a Fernet key (32 url-safe base64-encoded bytes).",
                    hint="Keys are comma-separated, newest first; generate one with "
                    "cryptography.fernet.Fernet.generate_key(). Never drop a key still used by stored rows "
                    "before `manage.py rotate_field_keys` has run.",
                    id="tabib.E010",
                )
            ]
    return []


@register(Tags.security, deploy=True)
def check_allowed_hosts(app_configs, **kwargs) -> list:
    hosts = [host for host in settings.ALLOWED_HOSTS if host.strip()]
    if not hosts or "*" in hosts:
        return [
            Error(
                "ALLOWED_HOSTS is empty or '*' in production.",
                hint="List the public host names (e.g. tabib.example.com,api.tabib.example.com): '*' lets any "
                "Host header through (cache poisoning, password-reset links to an attacker's host).",
                id="tabib.E011",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def check_shared_services(app_configs, **kwargs) -> list:
    """Production runs several processes (web replicas, workers, beat): what they share must be Redis."""
    errors: list = []
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] == IN_MEMORY_CHANNEL_LAYER:
        errors.append(
            Error(
                "The channel layer is in-memory: a chat message or notification reaches only the sockets of "
                "the process that sent it.",
                hint="Set REDIS_URL so every process shares the Redis channel layer.",
                id="tabib.E012",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        errors.append(
            Error(
                "Celery runs tasks eagerly, inside the web request: no retries, no workers, no beat.",
                hint="Set REDIS_URL (the broker) and leave CELERY_TASK_ALWAYS_EAGER unset.",
                id="tabib.E013",
            )
        )
    if settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
        errors.append(
            Warning(
                "The cache is per process: throttles, availability and search caches are not shared.",
                hint="Set REDIS_URL.",
                id="tabib.W014",
            )
        )
    return errors
