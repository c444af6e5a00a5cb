"""A store that lost a race on a constraint other than its own id (D67): shared by the entry
and the questionnaire-response services, answered 503 ``busy`` by the API."""

from __future__ import annotations

from django.db import IntegrityError


class StoreConflict(Exception):
    """Storing lost to a concurrent write on a constraint other than the stored row's id:
    nothing was stored, and sending the same request again is safe. ``constraint`` names the
    constraint when the database says (PostgreSQL)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


def constraint_name(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return str(getattr(diag, "constraint_name", None) or "unknown")
