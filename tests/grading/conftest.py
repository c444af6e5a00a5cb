"""The grading tests are pure Python: no database, no settings, runnable with `-p no:django`."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_and_isolated() -> None:
    """Replaces the Django set-up of tests/conftest.py, which these tests do not need."""
