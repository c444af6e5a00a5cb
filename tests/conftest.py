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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """On SQLite, a file test database when browser tests run: their server is another process,
    which cannot see the in-memory database pytest-django uses by default."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    browser = any("browser" in item.keywords for item in request.session.items)
    if browser and db["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        db.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, request):  # type: ignore[no-untyped-def]
    # Argon2 is deliberately slow; tests only need a hasher that works.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    from alerts import delivery, live

    # A broker or live-announcement failure in one test must not make the next skip them.
    delivery._broker_down_until = 0.0
    live._down_until = 0.0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tasks_in_process():  # type: ignore[no-untyped-def]
    """Celery tasks run in-process (eagerly), also where REDIS_URL names a broker;
    tests/integration runs them on a real worker."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
