"""Settings shared by every environment.

Everything comes from the environment (django-environ). Unset means the embedded default:
SQLite file, in-memory channel layer, local-memory cache, eager Celery, console email.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from config.environment import load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent.parent

load_env_file()
env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-secret-key-change-me-0123456789abcdef")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DJANGO_APPS = [
    "daphne",
    "modeltranslation",
    "clinics.admin_apps.TabibAdminConfig",  # django.contrib.admin with our site (clinics.site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.postgres",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "django_celery_beat",
    "djstripe",
    "push_notifications",
]
LOCAL_APPS = [
    "core",
    "accounts",
    "doctors",
    "appointments",
    "waitlist",
    "payments",
    "notifications",
    "chat",
    "support",
    "portal",
    "clinics",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "core.telemetry_middleware.RequestMetricsMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RequestBodyLimitMiddleware",
    "core.middleware.ApiTrailingSlashMiddleware",
    "core.middleware.ApiPrivateByDefaultMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.LocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES:
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Under Daphne every request's sync code runs in its own thread with its own connection, so a
    # persistent connection per thread (CONN_MAX_AGE) lets a burst exhaust max_connections and keeps
    # it exhausted; a bounded pool per process makes the burst queue instead (Django: under ASGI use
    # the backend's pool, not persistent connections). Budget: e2e/README.md. DB_POOL_MAX_SIZE=0
    # switches it off (e.g. behind a transaction-mode PgBouncer).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if env.int("DB_POOL_MAX_SIZE", default=10):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
            "timeout": env.int("DB_POOL_TIMEOUT", default=30),
        }
else:
    # IMMEDIATE takes the write lock at BEGIN, so two bookings serialise instead of
    # failing with "database is locked" half-way through a re-check.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads serving HTTP requests in one ASGI process (core.asgi_handler): as many as the database pool
# has connections, so a request's thread never waits for one; a burst beyond them queues, in order.
ASGI_REQUEST_THREADS = env.int(
    "ASGI_REQUEST_THREADS", default=DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size", 10)
)

# --- Redis: cache, channel layer, Celery broker -----------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # redis-py's default pool refuses the 101st concurrent command outright (every
                # request thread of a burst reads the throttle cache at once: 500s); a blocking
                # pool makes the extra threads wait for a connection instead.
                "CONNECTION_POOL_CLASS": "redis.BlockingConnectionPool",
                "CONNECTION_POOL_KWARGS": {
                    "max_connections": env.int("REDIS_POOL_MAX_SIZE", default=50),
                    "timeout": env.int("REDIS_POOL_TIMEOUT", default=20),
                },
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub pushes group messages to every process as they come; the core layer pops
            # them one Redis round trip at a time per process, which capped chat delivery at
            # ~100 messages/s in bench/chat_latency.py. Stored-then-broadcast chat needs no queue.
            "BACKEND": env("CHANNEL_LAYER_BACKEND", default="channels_redis.pubsub.RedisPubSubChannelLayer"),
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Django's LOGGING (JSON lines with request, trace and task ids) stays in charge inside workers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["appointments-expire-lapsed-holds"] = {
    "task": "appointments.tasks.appointments_expire_lapsed_holds",
    "schedule": 60.0,
}
# Lapsed waitlist offers already pass on with the hold tidying above; this also expires past windows.
CELERY_BEAT_SCHEDULE["waitlist-tidy"] = {"task": "waitlist.tasks.waitlist_tidy", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["core-sync-prune"] = {"task": "core.tasks.sync_prune_task", "schedule": 24 * 3600.0}
CELERY_BEAT_SCHEDULE["core-idempotency-prune"] = {
    "task": "core.tasks.idempotency_prune_task",
    "schedule": 24 * 3600.0,
}
# simplejwt's flushexpiredtokens: outstanding and blacklisted refresh tokens past their expiry.
CELERY_BEAT_SCHEDULE["accounts-flush-expired-tokens"] = {
    "task": "accounts.tasks.tokens_flush_expired_task",
    "schedule": 24 * 3600.0,
}
CELERY_BEAT_SCHEDULE["appointments-refresh-next-available"] = {
    "task": "appointments.tasks.doctors_refresh_next_available",
    "schedule": 300.0,
}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/portal/login/"
LOGIN_REDIRECT_URL = "/portal/"
# Portal sessions end after this long without a page the doctor asked for (polling does not count).
PORTAL_IDLE_TIMEOUT_SECONDS = env.int("PORTAL_IDLE_TIMEOUT_SECONDS", default=30 * 60)

SITE_ID = 1
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
# The portal's password reset runs through allauth's pages but our services (one token generator,
# one email, refresh tokens revoked and audited as in the API's reset).
ACCOUNT_FORMS = {
    "reset_password": "portal.forms.PasswordResetRequestForm",
    "reset_password_from_key": "portal.forms.PasswordResetSetForm",
}
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "django.contrib.auth.tokens.PasswordResetTokenGenerator"
# Never on a bare IP: a whole clinic may share one address (as accounts.throttles). Reset requests
# and allauth's own sign-in page are bounded per account like the API's; a reset link carries an
# unguessable token, so the page it opens needs no limit of its own.
ACCOUNT_RATE_LIMITS = {
    "reset_password": "10/h/key",
    "reset_password_from_key": "",
    "login": "",
    "login_failed": "5/5m/key",
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True

GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID", default="")
GOOGLE_JWKS_URL = env("GOOGLE_JWKS_URL", default="https://www.googleapis.com/oauth2/v3/certs")
FACEBOOK_APP_ID = env("FACEBOOK_APP_ID", default="")
FACEBOOK_APP_SECRET = env("FACEBOOK_APP_SECRET", default="")
FACEBOOK_GRAPH_URL = env("FACEBOOK_GRAPH_URL", default="https://graph.facebook.com")

# --- DRF ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    # drf-standardized-errors' own function (our ExceptionHandler class is plugged in below): the schema
    # generator documents error responses only for views that use it.
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON is the contract; the upload endpoints name MultiPartParser themselves.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "password_forgot": env("THROTTLE_PASSWORD_FORGOT", default="5/hour"),
        "register": env("THROTTLE_REGISTER", default="5/hour"),
        "register_ip": env("THROTTLE_REGISTER_IP", default="30/hour"),
    },
    # Throttles that key on an address take REMOTE_ADDR, never the client's own X-Forwarded-For
    # (behind a load balancer, Daphne's --proxy-headers sets REMOTE_ADDR from the trusted hop).
    "NUM_PROXIES": 0,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "core.errors.ExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "429", "503"],
    # core.schema names each operation's error item `...ErrorItem` so its code enum stays its own.
    "ERROR_COMPONENT_NAME_SUFFIX": "ErrorItem",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tabib API",
    "DESCRIPTION": "Doctor appointments: search, booking, payments, chat, notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ and /api/redoc/ load their assets from drf-spectacular-sidecar (pinned), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatusEnum": "payments.models.PaymentStatus",
        "UserRoleEnum": "accounts.models.Role",
        "PaymentMethodEnum": "doctors.models.PaymentMethod",
        "RegistrationRoleEnum": [("patient", "Patient"), ("doctor", "Doctor")],
        "SupportRequestStatusEnum": "support.models.SupportStatus",
        "AppointmentStatusEnum": "appointments.models.AppointmentStatus",
        "ValidationErrorEnum": [("validation_error", "validation_error")],
        "ClientErrorEnum": [("client_error", "client_error")],
        "ErrorTypeEnum": [("client_error", "client_error"), ("validation_error", "validation_error")],
    },
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}

# --- i18n / time --------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Any request declaring a larger body is refused (413) before it is read: the largest upload is a
# 10 MB chat attachment, plus its multipart framing and caption.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=11 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email --------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Tabib <no-reply@tabib.local>")
FRONTEND_URL = env("FRONTEND_URL", default="http://127.0.0.1:8000")

# --- Payments (dj-stripe) -----------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_LIVE_MODE = False
STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
CARD_PAYMENTS_ENABLED = bool(STRIPE_SECRET_KEY)
# The signing secret of Stripe's webhook endpoint (whsec_...); `manage.py stripe_webhook` stores it.
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")

# --- Security -----------------------------------------------------------------------------
FIELD_ENCRYPTION_KEY = env(
    "FIELD_ENCRYPTION_KEY",
    default="dGFiaWItZGV2LW9ubHktZmllbGQta2V5LTMyYnl0ZXM=",  # dev only; prod requires its own
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# X-Forwarded-Proto is trusted only when a proxy that sets it is really in front (the compose file's
# and the Kubernetes manifests' do); otherwise any client could claim https.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

# --- Product policy -----------------------------------------------------------------------
TABIB = {
    "MIN_NOTICE_MINUTES": env.int("BOOKING_MIN_NOTICE_MINUTES", default=120),
    "HORIZON_DAYS": env.int("BOOKING_HORIZON_DAYS", default=90),
    "CANCELLATION_CUTOFF_HOURS": env.int("CANCELLATION_CUTOFF_HOURS", default=24),
    "HOLD_MINUTES": env.int("BOOKING_HOLD_MINUTES", default=15),
    # Slot hoarding caps: active upcoming appointments of one patient with one doctor, and unpaid
    # card holds of one patient (409 too_many_upcoming_with_doctor / too_many_unpaid_holds).
    "MAX_UPCOMING_PER_DOCTOR": env.int("BOOKING_MAX_UPCOMING_PER_DOCTOR", default=2),
    "MAX_UNPAID_HOLDS": env.int("BOOKING_MAX_UNPAID_HOLDS", default=2),
    "CURRENCIES": ["EUR", "USD", "GBP", "MAD", "CHF"],
    "MIN_APP_VERSION": env("MIN_APP_VERSION", default="1.0.0"),
}
APP_VERSION = env("APP_VERSION", default="1.0.0")
GIT_SHA = env("GIT_SHA", default="")
BUILD_TIME = env("BUILD_TIME", default="")

# --- Observability ------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
# json (one object a line, for a log collector) or text (for a person at a terminal; dev's default).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(trace_id)s %(span_id)s"
            " %(task_id)s %(task_name)s",
        },
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "datefmt": "%H:%M:%S"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # "Listening on TCP address ..." on start, "Killed N pending application instances" on drain.
        "daphne.server": {"level": "INFO"},
    },
}
SENTRY_DSN = env("SENTRY_DSN", default="")
# Tracing (core/telemetry.py): on when set, e.g. http://otel-collector:4318 (OTLP/HTTP).
OTEL_EXPORTER_OTLP_ENDPOINT = env("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset = 404 for everyone.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# A Celery worker serves its metrics on this port (0 = off), behind the same token.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)

# --- Notifications (email/push retries, push providers, reminders beat) -------------------
NOTIFICATIONS = {
    "DELIVERY_MAX_ATTEMPTS": env.int("NOTIFICATION_DELIVERY_MAX_ATTEMPTS", default=5),
    "RETRY_BACKOFF_SECONDS": env.int("NOTIFICATION_RETRY_BACKOFF_SECONDS", default=30),
    "RETRY_BACKOFF_MAX_SECONDS": env.int("NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS", default=3600),
}
# FCM (Android/iOS) through firebase-admin: a service-account JSON file; unset = FCM pushes skipped.
FCM_CREDENTIALS_FILE = env("FCM_CREDENTIALS_FILE", default="")
PUSH_NOTIFICATIONS_SETTINGS = {
    "CONFIG": "push_notifications.conf.LegacyConfig",
    # WebPush: VAPID private key (PEM file path or base64url DER); unset = web pushes skipped.
    "WP_PRIVATE_KEY": env("WEBPUSH_VAPID_PRIVATE_KEY", default="") or None,
    "WP_CLAIMS": {"sub": env("WEBPUSH_VAPID_SUBJECT", default="mailto:support@tabib.local")},
    "WP_ERROR_TIMEOUT": env.int("WEBPUSH_TIMEOUT_SECONDS", default=10),
}
# The only hosts a WebPush subscription may point at (the browsers' push services: Chrome/FCM,
# Firefox autopush, Safari, Edge/WNS); `*.` matches subdomains. Anything else is refused (SSRF).
WEBPUSH_ALLOWED_HOSTS = env.list(
    "WEBPUSH_ALLOWED_HOSTS",
    default=["fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com", "*.notify.windows.com"],
)
# Private networks a listed push host may resolve to after all (a push relay inside your own
# network, the tests' local stand-in); empty = only public addresses.
WEBPUSH_PRIVATE_NETWORKS_ALLOWED = env.list("WEBPUSH_PRIVATE_NETWORKS_ALLOWED", default=[])
# The entry keeps its name so django-celery-beat's stored row is updated in place, not left behind.
CELERY_BEAT_SCHEDULE["notification-reminders"] = {
    "task": "appointments.tasks.appointments_send_reminders",
    "schedule": env.float("REMINDER_BEAT_SECONDS", default=300.0),
}

# --- Two-factor sign-in (allauth MFA): authenticator apps, for staff in the admin ----------------
MFA_SUPPORTED_TYPES = ["totp"]
MFA_TOTP_ISSUER = "Tabib"
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
