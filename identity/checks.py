"""The identity keys: refused when malformed (always), or missing or the development key in
production (``DJANGO_ENV=production``) and by ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


def _key_errors(*, production: bool) -> list[Error]:
    from cryptography.fernet import Fernet

    from identity.crypto import DEV_KEY

    keys = list(settings.TOXWATCH_IDENTITY_KEYS)
    errors: list[Error] = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"TOXWATCH_IDENTITY_KEYS: key {position} is not a Fernet key.",
                    hint="Each key is 32 url-safe base64 bytes: python manage.py identity_key",
                    id="identity.E001",
                )
            )
    if production and not keys:
        errors.append(
            Error(
                "TOXWATCH_IDENTITY_KEYS is not set: patients' names and phone numbers would be "
                "encrypted with the public development key.",
                hint="Set it to a key from `python manage.py identity_key` (docs/operations.md).",
                id="identity.E002",
            )
        )
    if production and DEV_KEY in keys:
        errors.append(
            Error(
                "TOXWATCH_IDENTITY_KEYS contains the development key.",
                hint="Generate a key (python manage.py identity_key), put it first, run "
                "`python manage.py rotate_identity_keys`, then remove the development key.",
                id="identity.E003",
            )
        )
    return errors


@register(Tags.security)
def identity_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Always: every key well formed; in production (DJANGO_ENV=production) also a real key."""
    return _key_errors(production=settings.PRODUCTION)


@register(Tags.security, deploy=True)
def identity_keys_deploy(app_configs: Any, **kwargs: Any) -> list[Error]:
    """``check --deploy``: a real key, whatever DJANGO_ENV says (tests run with DEBUG off and
    the development key, so this is not a start-up check outside production)."""
    if settings.PRODUCTION:
        return []  # reported by identity_keys already
    return [e for e in _key_errors(production=True) if e.id != "identity.E001"]
