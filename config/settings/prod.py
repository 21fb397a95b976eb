"""Production: fails closed.

No DEBUG whatever the environment says (dj-stripe's test-header webhook override and Django's
/media/ serving only exist under DEBUG), no default for any secret or for the services the
processes share, secure cookies, HSTS, and static files from the collectstatic manifest.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SENTRY_DSN, STORAGES, env

REQUIRED_ENV = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")
_missing = [name for name in REQUIRED_ENV if not env.str(name, default="").strip()]
if _missing:
    raise ImproperlyConfigured(
        f"config.settings.prod refuses to start without {', '.join(_missing)} (see .env.example and docs/deploy.md)."
    )

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY")
# Prometheus scrapes each pod by its IP (Host: <pod IP>:8000), not by the public name: the pod's own
# IP (POD_IP, from the downward API in deploy/k8s) is accepted as a host too. Only what can reach the
# pod directly sends it (the NetworkPolicy admits the ingress controller and the monitoring namespace).
POD_IP = env.str("POD_IP", default="").strip()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS") + ([POD_IP] if POD_IP else [])
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
# Probes and the scrape talk plain HTTP to the pod (TLS ends at the ingress): no https redirect for
# them. /metrics stays guarded by METRICS_TOKEN, and the Ingress never routes it from outside.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
# Hashed names from the manifest collectstatic writes at image build; /health/ready fails without it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.1)
