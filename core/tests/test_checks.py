"""Each system check: the misconfiguration it exists for gives its id; the good setting gives none."""

import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from core.checks import check_allowed_hosts, check_field_encryption_key, check_shared_services
from notifications.checks import check_email_settings
from payments.checks import check_stripe_keys, check_stripe_webhook_secret
from portal.checks import check_portal_csrf_origins

SECRET = "sk_test_" + "a" * 24
PUBLISHABLE = "pk_test_" + "b" * 24
REDIS_CHANNEL_LAYER = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {}}}
REDIS_CACHE = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://r.invalid/0"}}


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.mark.parametrize(
    ("secret", "publishable", "webhook", "expected"),
    [
        ("", "", "", []),
        (SECRET, PUBLISHABLE, "whsec_abcdefgh1234", []),
        ("rk_live_" + "c" * 24, "pk_live_" + "d" * 24, "", []),
        ("sk-test-" + "a" * 24, PUBLISHABLE, "", ["tabib.E001"]),
        (" " + SECRET, PUBLISHABLE, "", ["tabib.E001"]),
        (PUBLISHABLE, PUBLISHABLE, "", ["tabib.E001"]),
        (SECRET, SECRET, "", ["tabib.E002"]),
        (SECRET, "", "", ["tabib.E002"]),
        (SECRET, PUBLISHABLE, "we_1234567890", ["tabib.E003"]),
        (SECRET, "pk_live_" + "d" * 24, "", ["tabib.W001"]),
    ],
)
def test_stripe_key_shapes(settings, secret, publishable, webhook, expected):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = secret, publishable
    settings.STRIPE_WEBHOOK_SECRET = webhook

    assert ids(check_stripe_keys(None)) == expected


@pytest.mark.django_db
def test_malformed_stripe_key_fails_every_manage_command_with_a_clear_message(settings):
    # given a secret key with dashes instead of underscores
    settings.STRIPE_SECRET_KEY = "sk-test-" + "a" * 24
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE
    # when the system checks run (as manage.py check, migrate, runserver do)
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    # then they stop with the id, the reason and the fix
    assert "(tabib.E001) STRIPE_SECRET_KEY is not a Stripe secret key" in str(error.value)
    assert "sk_test_.../sk_live_..." in str(error.value)


def test_card_payments_need_a_webhook_secret_in_production(settings):
    settings.CARD_PAYMENTS_ENABLED, settings.STRIPE_WEBHOOK_SECRET = True, ""
    assert ids(check_stripe_webhook_secret(None)) == ["tabib.E004"]
    settings.STRIPE_WEBHOOK_SECRET = "whsec_abcdefgh1234"
    assert check_stripe_webhook_secret(None) == []
    settings.CARD_PAYMENTS_ENABLED, settings.STRIPE_WEBHOOK_SECRET = False, ""
    assert check_stripe_webhook_secret(None) == []


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (Fernet.generate_key().decode(), []),
        (f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}", []),
        ("", ["tabib.E010"]),
        ("change-me", ["tabib.E010"]),
        (f"{Fernet.generate_key().decode()},not-a-key", ["tabib.E010"]),
    ],
)
def test_field_encryption_key_must_be_fernet_keys(settings, key, expected):
    settings.FIELD_ENCRYPTION_KEY = key

    assert ids(check_field_encryption_key(None)) == expected


@pytest.mark.parametrize(
    ("hosts", "expected"), [([], ["tabib.E011"]), (["*"], ["tabib.E011"]), (["tabib.example.com"], [])]
)
def test_allowed_hosts_must_name_the_hosts_in_production(settings, hosts, expected):
    settings.ALLOWED_HOSTS = hosts

    assert ids(check_allowed_hosts(None)) == expected


def test_several_processes_need_redis(settings):
    # given the embedded default: in-memory channel layer, eager Celery, local-memory cache
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert ids(check_shared_services(None)) == ["tabib.E012", "tabib.E013", "tabib.W014"]
    # and with Redis for all three
    settings.CHANNEL_LAYERS, settings.CACHES = REDIS_CHANNEL_LAYER, REDIS_CACHE
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert check_shared_services(None) == []


@pytest.mark.parametrize(
    ("origins", "proxy_header", "expected"),
    [
        ([], None, ["tabib.E020"]),
        ([], ("HTTP_X_FORWARDED_PROTO", "https"), []),
        (["https://tabib.example.com"], None, []),
        (["http://tabib.example.com"], None, ["tabib.W021"]),
    ],
)
def test_portal_csrf_origins(settings, origins, proxy_header, expected):
    settings.CSRF_TRUSTED_ORIGINS, settings.SECURE_PROXY_SSL_HEADER = origins, proxy_header

    assert ids(check_portal_csrf_origins(None)) == expected


@pytest.mark.parametrize(
    ("backend", "sender", "expected"),
    [
        ("django.core.mail.backends.smtp.EmailBackend", "Tabib <no-reply@tabib.example.com>", []),
        ("django.core.mail.backends.console.EmailBackend", "Tabib <no-reply@tabib.example.com>", ["tabib.E030"]),
        ("django.core.mail.backends.smtp.EmailBackend", "Tabib <no-reply@tabib.local>", ["tabib.E031"]),
        ("django.core.mail.backends.smtp.EmailBackend", "webmaster@localhost", ["tabib.E031"]),
    ],
)
def test_production_email_really_sends_from_our_domain(settings, backend, sender, expected):
    settings.EMAIL_BACKEND, settings.DEFAULT_FROM_EMAIL = backend, sender

    assert ids(check_email_settings(None)) == expected


@pytest.mark.django_db
def test_health_ready_fails_without_the_static_manifest_when_debug_is_off(client, settings, tmp_path):
    # given production's manifest storage and a STATIC_ROOT that collectstatic never filled
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # when the readiness probe asks
    response = client.get("/health/ready")
    # then not ready, and it says why
    assert response.status_code == 503
    assert response.json()["checks"]["static"] == "fail"
    # and once collectstatic has written the manifest (a new process loads it), ready
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "hash": "h", "paths": {"portal/portal.css": "portal/portal.0123abcd.css"}})
    )
    settings.STORAGES = {**settings.STORAGES}
    assert client.get("/health/ready").status_code == 200


@pytest.mark.django_db
def test_health_ready_ignores_the_manifest_under_debug(client, settings, tmp_path):
    settings.DEBUG = True
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    response = client.get("/health/ready")

    assert response.status_code == 200
    assert "static" not in response.json()["checks"]
