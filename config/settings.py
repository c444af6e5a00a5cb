"""ToxWatch settings: one file, driven by environment variables with working defaults.

With no variables the project runs on SQLite with Celery tasks executed in-process, so a new
user sees it work at once. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
``DJANGO_ENV=production`` turns on the production hardening that ``manage.py check --deploy``
and ``config.checks`` verify.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


INSECURE_DEFAULT_SECRET_KEY = "django-insecure-toxwatch-development-only"  # noqa: S105

DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The admin site requires both sign-in steps (config.admin.StaffAdminSite).
    "config.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and ReDoc served from the package, never a CDN (issue 15).
    "drf_spectacular_sidecar",
    "axes",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "config.apps.ProjectConfig",
    "diary",
    "alerts",
    "clinicians",
    # Patients' names and phone numbers for the care team, encrypted (docs/architecture.md).
    "identity",
    "patientapp",
]

# Reverse proxies in front that append to X-Forwarded-For (docs/operations.md, "Client address").
TOXWATCH_PROXY_COUNT = int(os.environ.get("TOXWATCH_PROXY_COUNT", "0"))

MIDDLEWARE = [
    # First: every later layer and every log line sees the one client address (config.client).
    "config.client.client_address_middleware",
    # One access line per request, whatever answers it (config.requestlog).
    "config.requestlog.request_log_middleware",
    # A NUL character in the path (404) or query string (400): PostgreSQL text cannot hold one.
    "config.nul.reject_nul_middleware",
    # A database outage answers 503 with Retry-After and one log line (config.outage, D68).
    "config.outage.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (SECURE_CSP) on every answer, Permissions-Policy, no-store.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.headers.security_headers",
    # config.bearer.X is Django's (or the package's) X, left out for a request to /api/ with a
    # bearer token, which needs none of them (D84): the session and all that hangs on it.
    "config.bearer.SessionMiddleware",
    # Django's, but a POST without its trailing slash is a 404 naming the address, not a 500.
    "config.requestlog.CommonMiddleware",
    "config.bearer.CsrfViewMiddleware",
    "config.bearer.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the TOTP second step.
    "config.bearer.OTPMiddleware",
    "config.bearer.HtmxMiddleware",
    "config.bearer.MessageMiddleware",
    "config.bearer.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out staff login into a clear answer. Not
    # wrapped: axes' check looks for this exact name, and for a bearer request it costs one
    # getattr.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files straight from the app server (before the headers: they may be cached); in
    # development the ASGI static handler serves them.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# A failed CSRF check: JSON in the error shape under /api/, the dashboard's page elsewhere.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
PREPARE_THRESHOLD = 5  # psycopg's default: runs of one statement on a connection before preparing
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while the API writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env_bool("DJANGO_DB_PREPARED", True):
    # Server-side binding, and psycopg prepares a statement the fifth time a connection runs it:
    # PostgreSQL then skips parsing and planning it, about half of its CPU per diary entry
    # (D87, docs/performance.md). Off (DJANGO_DB_PREPARED=0) behind a pooler in transaction mode
    # that cannot keep prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=PREPARE_THRESHOLD
    )
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and env_bool("DJANGO_DB_POOL"):
    # The ASGI web server runs each request in a thread of its own, so persistent connections
    # are never reused there (Django: "when using ASGI, persistent connections should be
    # disabled"); psycopg's pool keeps a few open per process instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DJANGO_DB_POOL_SIZE", "8")),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: refuses locked-out (username, address) pairs.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: a new password signs the account out on the other devices (diary.tokens).
    {"NAME": "diary.tokens.SignOutOnPasswordChange"},
]
LOGIN_URL = "clinicians:login"
LOGIN_REDIRECT_URL = "clinicians:queue"
# TOTP second factor for staff (django-otp): the issuer shown in authenticator apps, and the
# roles that must use it (nurse, oncologist, data_manager; admin: staff accounts with no
# clinic, such as superusers). Others may turn it on themselves.
OTP_TOTP_ISSUER = "ToxWatch"
TOXWATCH_TOTP_REQUIRED_ROLES = frozenset(env_list("TOXWATCH_TOTP_REQUIRED_ROLES"))

# Failed logins: locked out per (username, address) pair after 5 failures, for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("TOXWATCH_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("TOXWATCH_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "config.api.lockout_response"
# The client address of config.client (the trusted proxy count), as the throttles and the logs.
AXES_CLIENT_IP_CALLABLE = "config.client.axes_client_address"

# --- Mobile API tokens ----------------------------------------------------------------------
ACCESS_TOKEN_LIFETIME = timedelta(minutes=int(os.environ.get("TOXWATCH_ACCESS_MINUTES", "15")))
REFRESH_TOKEN_LIFETIME = timedelta(days=int(os.environ.get("TOXWATCH_REFRESH_DAYS", "30")))
ENROLLMENT_CODE_LIFETIME = timedelta(days=int(os.environ.get("TOXWATCH_ENROLLMENT_DAYS", "14")))
SIMPLE_JWT = {
    # Access tokens only: refresh tokens are opaque, hashed and rotated by diary.tokens.
    "ACCESS_TOKEN_LIFETIME": min(ACCESS_TOKEN_LIFETIME, timedelta(minutes=15)),
    "ALGORITHM": "HS256",
    # A key of its own for the patients' access tokens when given (rotating it signs every
    # phone out, not the staff), else the secret key.
    "SIGNING_KEY": os.environ.get("TOXWATCH_JWT_SIGNING_KEY") or SECRET_KEY,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bounded: size (413), depth, unencodable strings and non-finite numbers (400).
    "DEFAULT_PARSER_CLASSES": ["config.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"auth": os.environ.get("TOXWATCH_AUTH_THROTTLE", "60/min")},
    # DRF's own throttles pick the client address the same way (config.api.ScopedRateThrottle
    # uses config.client directly).
    "NUM_PROXIES": TOXWATCH_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ToxWatch API",
    "DESCRIPTION": "Patient diary, grading and alerting for HER2-mutant NSCLC treatment.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"AlertLevelEnum": "diary.models.AlertLevel"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 300,  # minutes, not the one-hour default: a lost task returns soon
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,  # publishing: no reconnect loop while the patient waits
}
# Enqueueing happens after an entry is committed, inside the request: with Redis down it must
# fail fast (the outbox sweeper re-sends), never hold the patient's request.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker and beat try to reconnect to a lost broker at most this many seconds apart (kombu's
# default grows to 30 s): a broker that returns is used again within seconds (config.celery, D69).
TOXWATCH_BROKER_RECONNECT_MAX = float(os.environ.get("TOXWATCH_BROKER_RECONNECT_MAX", "2"))
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Re-send notifications the broker never got (issue: "a beat sweeper re-sends what is
    # undelivered after 2 minutes").
    "sweep-outbox": {"task": "alerts.tasks.sweep_outbox_task", "schedule": 60.0},
    # Enqueue at once what the broker refused during an outage (D69), and the worker's
    # heartbeat that /healthz reads (D71).
    "drain-outbox": {
        "task": "alerts.tasks.drain_outbox_task",
        "schedule": float(os.environ.get("TOXWATCH_DRAIN_SECONDS", "5")),
        "options": {"expires": 30},
    },
    # Escalate alerts not acknowledged by their due time (RED 1 h, AMBER 24 h).
    "escalate-overdue": {"task": "alerts.tasks.escalate_overdue_task", "schedule": 60.0},
    # Re-ask alerted symptoms until they resolve (issue: follow-up task).
    "ask-followups": {"task": "alerts.tasks.ask_due_followups_task", "schedule": 300.0},
    # Missed-diary check (reference §5.6).
    "missed-diary": {"task": "alerts.tasks.check_missed_diaries_task", "schedule": 3600.0},
    # Push reminders (diary, questionnaires due, missed doses) in each patient's time zone.
    "send-reminders": {"task": "diary.tasks.send_reminders_task", "schedule": 900.0},
    # Delete the files of trial exports past their expiry (docs/decisions.md, exports).
    "expire-exports": {"task": "clinicians.tasks.expire_exports_task", "schedule": 900.0},
    # Re-send exports that never reached a worker or whose worker died.
    "requeue-exports": {"task": "clinicians.tasks.requeue_stalled_exports_task", "schedule": 300.0},
}

# --- Cache ----------------------------------------------------------------------------------
# Throttle counts and rate-limit windows only, never the truth: on Redis with short timeouts,
# answering as an empty cache while Redis is down or frozen (config.cache, D66). Its own URL
# when given (a Redis apart from the broker's), else the broker's.
TOXWATCH_CACHE_URL = os.environ.get("TOXWATCH_CACHE_URL", REDIS_URL)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if TOXWATCH_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.DegradingRedisCache",
            "LOCATION": TOXWATCH_CACHE_URL,
        }
    }

# --- i18n, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# What patients read (the app, the catalogue, reminders): diary.catalogue.LANGUAGES. Staff pages
# stay in LANGUAGE_CODE (no LocaleMiddleware): the language is chosen per patient, not per request.
LANGUAGES = [("en", "English"), ("es", "Español"), ("zh-hans", "简体中文")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security (production) ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 10
X_FRAME_OPTIONS = "DENY"
# Django's checks for the CSRF and X-Frame-Options middleware look for their exact names, which
# config.bearer wraps (D84); config.checks' toxwatch.E084 looks for either form instead.
SILENCED_SYSTEM_CHECKS = ["security.W002", "security.W003"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script or style anywhere: htmx and the live queue are static files, htmx's own
# indicator styles are off (base.html). The API docs page alone allows the Swagger UI's CDN.
SECURE_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: ids only, never patient data ------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client": {"()": "config.client.ClientAddressFilter"},
        "tracebacks_only": {"()": "config.logfilters.DropExpected"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s client=%(client)s %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["client"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The access line (toxwatch.request) reports every answer once; django.request only
        # adds the traceback of an unhandled exception.
        "django.request": {"filters": ["tracebacks_only"]},
        "axes": {"level": "WARNING"},
    },
}

# --- ToxWatch ------------------------------------------------------------------------------
TOXWATCH_ALERT_EMAILS = env_list("TOXWATCH_ALERT_EMAILS")
# Django 6.1's mailers (EMAIL_BACKEND is deprecated; tests get the in-memory backend). In
# production the default is SMTP: a console backend there would print alert e-mails to a log
# instead of sending them, and Django's deploy check (mail.E001) refuses it.
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_EMAIL_BACKEND",
            "django.core.mail.backends.smtp.EmailBackend"
            if PRODUCTION
            else "django.core.mail.backends.console.EmailBackend",
        ),
        "OPTIONS": {
            key: value
            for key, value in {
                "host": os.environ.get("DJANGO_EMAIL_HOST"),
                "port": int(os.environ["DJANGO_EMAIL_PORT"])
                if os.environ.get("DJANGO_EMAIL_PORT")
                else None,
                "username": os.environ.get("DJANGO_EMAIL_USER"),
                "password": os.environ.get("DJANGO_EMAIL_PASSWORD"),
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS") or None,
            }.items()
            if value is not None
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "toxwatch@localhost")
# Channel -> backend class (dotted path); unset channels use alerts.notify.DEFAULT_BACKENDS.
TOXWATCH_NOTIFICATION_BACKENDS: dict[str, str] = {}
TOXWATCH_DEMO_CLINIC = "DEMO"
TOXWATCH_MAX_BATCH = 100
TOXWATCH_MAX_FUTURE_SKEW = timedelta(minutes=5)
# Push notifications to patients' phones: the backend class (dotted path; the default logs),
# the local quiet hours (start-end, may span midnight) and the local hour of the diary reminder.
TOXWATCH_PUSH_BACKEND = os.environ.get("TOXWATCH_PUSH_BACKEND", "diary.push.ConsoleBackend")
# Web Push for the patient web app (/app/): the VAPID key pair (base64url: the raw P-256 private
# key and the uncompressed public key, as `python manage.py webpush_keys` prints them) and a
# contact for the push services. Without keys the app offers no reminders.
TOXWATCH_VAPID_PUBLIC_KEY = os.environ.get("TOXWATCH_VAPID_PUBLIC_KEY", "")
TOXWATCH_VAPID_PRIVATE_KEY = os.environ.get("TOXWATCH_VAPID_PRIVATE_KEY", "")
TOXWATCH_VAPID_SUBJECT = os.environ.get("TOXWATCH_VAPID_SUBJECT", "mailto:toxwatch@localhost")
# The emergency number the app's call screen offers beside the clinic's 24-hour line.
TOXWATCH_EMERGENCY_NUMBER = os.environ.get("TOXWATCH_EMERGENCY_NUMBER", "112")
TOXWATCH_QUIET_HOURS = tuple(os.environ.get("TOXWATCH_QUIET_HOURS", "21:00-08:00").split("-"))
TOXWATCH_DIARY_REMINDER_HOUR = int(os.environ.get("TOXWATCH_DIARY_REMINDER_HOUR", "18"))
# The patient channel of alerts pushes through the same backend (alerts.notify).

# Trial exports: written to a private folder that no URL serves (never under static or media),
# downloadable for TOXWATCH_EXPORT_HOURS after they are ready, then deleted by beat.
TOXWATCH_EXPORT_DIR = Path(os.environ.get("TOXWATCH_EXPORT_DIR", BASE_DIR / "var" / "exports"))
TOXWATCH_EXPORT_HOURS = int(os.environ.get("TOXWATCH_EXPORT_HOURS", "24"))
# Export requests per staff member per hour (the API and the page together).
TOXWATCH_EXPORTS_PER_HOUR = int(os.environ.get("TOXWATCH_EXPORTS_PER_HOUR", "20"))
# The STUDYID column of SDTM-style datasets and the FHIR identifier namespace of subjects.
TOXWATCH_STUDY_ID = os.environ.get("TOXWATCH_STUDY_ID", "TOXWATCH")
# The namespace of ToxWatch's own FHIR code systems and of the subject identifiers: set it to a
# URL your organisation controls; the default is a placeholder under the reserved .invalid.
# Patient identity (names, hospital numbers, phones) is encrypted with these Fernet keys:
# comma-separated, the first encrypts, all decrypt (rotation: docs/operations.md). Unset: a
# public development key, refused in production by identity.checks.
TOXWATCH_IDENTITY_KEYS = env_list("TOXWATCH_IDENTITY_KEYS")
TOXWATCH_FHIR_BASE = os.environ.get("TOXWATCH_FHIR_BASE", "https://toxwatch.invalid/fhir")
