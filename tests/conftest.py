"""Shared test set-up. Helpers that build data live in tests/helpers.py (no fixture files)."""

from __future__ import annotations

import os

import pytest

INTEGRATION = os.environ.get("TOXWATCH_INTEGRATION") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if INTEGRATION:
        return
    skip = pytest.mark.skip(reason="integration: run by .ci/run with PostgreSQL and Redis")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, request):  # type: ignore[no-untyped-def]
    # Argon2 is deliberately slow; tests only need a hasher that works.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
