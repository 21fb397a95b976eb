"""Test settings: fast hashing, no outbound network, the same backends as configured."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, TABIB

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}}
TABIB = {**TABIB}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# The test process never exports traces (a developer's shell may point at a collector); the tests
# that check tracing run Daphne and workers in subprocesses with the dev settings.
OTEL_EXPORTER_OTLP_ENDPOINT = ""
# Browser tests against a Daphne process (core/testing/daphne.py) get static files without collectstatic.
WHITENOISE_USE_FINDERS = True

if not IS_POSTGRES:
    # A file, not :memory:, so live-server and threaded tests share it and --reuse-db works.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
