"""Deploy checks: `manage.py check --deploy` refuses an unsafe production configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


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
    if settings.DEBUG:
        errors.append(Error("DEBUG is on.", hint="Unset DJANGO_DEBUG.", id="toxwatch.E004"))
    return errors
