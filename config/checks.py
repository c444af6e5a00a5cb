"""Deploy checks: `manage.py check --deploy` refuses an unsafe production configuration."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

# A key must be long and look random [D]: at least 50 characters (as Django's own warning), at
# least 12 different ones, and an estimated 200 bits (length x the characters' Shannon entropy;
# Django's get_random_secret_key() gives 214 to 260, `openssl rand -hex 32` 225 to 250, a word
# repeated to 50 characters under 150).
MIN_KEY_LENGTH = 50
MIN_KEY_CHARACTERS = 12
MIN_KEY_BITS = 200


def estimated_bits(key: str) -> float:
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def weak_key(key: str) -> str | None:
    """Why a signing key is too weak for production, or None."""
    if len(key) < MIN_KEY_LENGTH:
        return f"it has {len(key)} characters; use at least {MIN_KEY_LENGTH}"
    if key.startswith("django-insecure"):
        return "it is a development key (django-insecure-...)"
    if len(set(key)) < MIN_KEY_CHARACTERS or estimated_bits(key) < MIN_KEY_BITS:
        return "it does not look random (too few different characters, or too repetitive)"
    return None


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(
            Error(
                "SQLite is for trying ToxWatch out, not for patients' data.",
                hint="Set DATABASE_URL to a PostgreSQL database.",
                id="toxwatch.E001",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        errors.append(
            Error(
                "Tasks run in-process: notifications would wait on web requests.",
                hint="Set REDIS_URL and run a Celery worker and beat.",
                id="toxwatch.E002",
            )
        )
    if settings.SECRET_KEY == settings.INSECURE_DEFAULT_SECRET_KEY:
        errors.append(
            Error(
                "The default development secret key is in use.",
                hint="Set DJANGO_SECRET_KEY to a long random value.",
                id="toxwatch.E003",
            )
        )
    elif reason := weak_key(settings.SECRET_KEY):
        errors.append(
            Error(
                f"DJANGO_SECRET_KEY is too weak: {reason}.",
                hint="Generate one: python -c 'from django.core.management.utils import "
                "get_random_secret_key as k; print(k())'",
                id="toxwatch.E005",
            )
        )
    signing_key = str(settings.SIMPLE_JWT["SIGNING_KEY"])
    if signing_key != settings.SECRET_KEY and (reason := weak_key(signing_key)):
        errors.append(
            Error(
                f"TOXWATCH_JWT_SIGNING_KEY is too weak: {reason}.",
                hint="Generate it as DJANGO_SECRET_KEY, and keep the two different.",
                id="toxwatch.E006",
            )
        )
    if settings.DEBUG:
        errors.append(Error("DEBUG is on.", hint="Unset DJANGO_DEBUG.", id="toxwatch.E004"))
    return errors


@register()
def reminder_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Bad reminder settings would make every beat run fail: refuse them at start-up."""
    from datetime import time

    from django.utils.module_loading import import_string

    errors: list[Error] = []
    hours = settings.TOXWATCH_QUIET_HOURS
    try:
        start, end = hours
        time.fromisoformat(start), time.fromisoformat(end)
    except (TypeError, ValueError):
        errors.append(
            Error(
                f"TOXWATCH_QUIET_HOURS {hours!r} is not two local times.",
                hint='Set it like "21:00-08:00" (start-end; "00:00-00:00" for none).',
                id="toxwatch.E010",
            )
        )
    if not 0 <= settings.TOXWATCH_DIARY_REMINDER_HOUR <= 23:
        errors.append(Error("TOXWATCH_DIARY_REMINDER_HOUR must be 0-23.", id="toxwatch.E011"))
    try:
        import_string(settings.TOXWATCH_PUSH_BACKEND)
    except ImportError:
        errors.append(
            Error(
                f"TOXWATCH_PUSH_BACKEND {settings.TOXWATCH_PUSH_BACKEND!r} cannot be imported.",
                id="toxwatch.E012",
            )
        )
    return errors


# Django's security.W002 and W003 look for these middleware by their exact names; config.bearer
# wraps them (D84), so settings silences those two warnings and this check stands in for them.
PROTECTIVE_MIDDLEWARE = {
    "django.middleware.csrf.CsrfViewMiddleware": "config.bearer.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": (
        "config.bearer.XFrameOptionsMiddleware"
    ),
}


@register(Tags.security, deploy=True)
def protective_middleware(app_configs: Any, **kwargs: Any) -> list[Error]:
    """CSRF protection and X-Frame-Options, as Django's middleware or config.bearer's wrapper of
    it (which leaves it out for bearer API requests only)."""
    return [
        Error(
            f"Neither {name} nor {wrapped} is in MIDDLEWARE.",
            hint=f"Add {wrapped} back to MIDDLEWARE (config/settings.py).",
            id="toxwatch.E084",
        )
        for name, wrapped in PROTECTIVE_MIDDLEWARE.items()
        if name not in settings.MIDDLEWARE and wrapped not in settings.MIDDLEWARE
    ]
