"""Mobile tokens: short-lived JWT access tokens and opaque, rotating refresh tokens.

Access tokens are signed JWTs (djangorestframework-simplejwt) that live at most 15 minutes and are
checked without a database hit. Refresh tokens are random strings; the database keeps only their
SHA-256, so a copy of the database holds no usable token. Each refresh token works once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from diary.models import RefreshToken


class RefreshTokenInvalid(Exception):
    """The refresh token is unknown, expired, used or revoked."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str

    def as_dict(self) -> dict[str, str]:
        return {"access": self.access, "refresh": self.refresh}


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_tokens(*, user: User, family: uuid.UUID | None = None) -> TokenPair:
    raw = secrets.token_urlsafe(48)
    RefreshToken.objects.create(
        user=user,
        token_hash=_digest(raw),
        family=family or uuid.uuid4(),
        expires_at=timezone.now() + settings.REFRESH_TOKEN_LIFETIME,
    )
    return TokenPair(access=str(AccessToken.for_user(user)), refresh=raw)


def rotate_refresh_token(*, raw: str) -> TokenPair:
    """Spend a refresh token and issue a new pair; reuse of a spent token revokes its family."""
    now = timezone.now()
    with transaction.atomic():
        token = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_digest(raw))
            .first()
        )
        if token is None:
            raise RefreshTokenInvalid
        reused = token.used_at is not None
        if not reused:
            if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
                raise RefreshTokenInvalid
            token.used_at = now
            token.save(update_fields=["used_at"])
            return issue_tokens(user=token.user, family=token.family)
    # A spent token came back: someone holds a copy. Cut the whole chain (committed, then refuse).
    RefreshToken.objects.filter(family=token.family, revoked_at=None).update(revoked_at=now)
    raise RefreshTokenInvalid


def revoke_refresh_token(*, raw: str) -> None:
    """Log out: the token and every token rotated from it stop working. Unknown tokens pass."""
    token = RefreshToken.objects.filter(token_hash=_digest(raw)).first()
    if token is not None:
        RefreshToken.objects.filter(family=token.family, revoked_at=None).update(
            revoked_at=timezone.now()
        )


class SignOutOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its ``password_changed`` hook, which Django calls
    whenever a user's new password is saved (the admin's reset, ``set_password`` and ``save``):
    the account's refresh tokens stop working, so a phone signed in with the old password is
    signed out within the access token's 15 minutes. Staff sessions end by themselves (Django
    checks each session against a hash of the password). It validates nothing."""

    def validate(self, password: str, user: object = None) -> None:
        return None

    def password_changed(self, password: str, user: object = None) -> None:
        user_id = getattr(user, "pk", None)
        if user_id is not None:
            RefreshToken.objects.filter(user_id=user_id, revoked_at=None).update(
                revoked_at=timezone.now()
            )

    def get_help_text(self) -> str:
        return "Changing the password signs this account out on every other device."
