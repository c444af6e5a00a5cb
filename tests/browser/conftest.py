"""Browser tests: Debian's Chromium, driven by Playwright, against the real server (server.py).

Without Chromium or the playwright package they are skipped with the reason, except when
TOXWATCH_BROWSER=1 (set by .ci/run): there a missing browser is a failure, never a silent skip.

The server is another process: it sees committed rows only, so these tests are transactional,
and it uses the test database (on SQLite a file, see tests/conftest.py). One server and one
browser serve the whole package; each test gets a fresh browser context (no cookies).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.server import (
    ARTIFACTS,
    BROWSER_REQUIRED,
    CHROMIUM,
    CHROMIUM_ARGS,
    AppServer,
    browser_problem,
    sqlite_url,
)
from tests.integration.infra import database_url

INTEGRATION = os.environ.get("TOXWATCH_INTEGRATION") == "1"
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


def _require_browser() -> None:
    problem = browser_problem()
    if problem is None:
        return
    if BROWSER_REQUIRED:
        pytest.fail(f"TOXWATCH_BROWSER=1 but {problem}", pytrace=False)
    pytest.skip(f"browser tests: {problem}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)  # read by the page fixture on failure
    return report


@pytest.fixture(scope="package")
def app_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    _require_browser()
    request.getfixturevalue("django_db_setup")
    from django.db import connection

    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        name = str(settings_dict["NAME"])
        assert "memory" not in name, "the browser tests need a file database (tests/conftest.py)"
        url = sqlite_url(name)
    else:
        url = database_url(settings_dict)
    postgres = settings_dict["ENGINE"] == "django.db.backends.postgresql"
    server = AppServer(
        database_url=url,
        workdir=tmp_path_factory.mktemp("browser-server"),
        with_worker=INTEGRATION and postgres,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()  # before the test database is dropped: it holds connections


@pytest.fixture
def app(app_server: AppServer, transactional_db: None, settings: Any) -> Iterator[AppServer]:
    """The running server, idle again before the database is flushed. Passwords are hashed as
    the server hashes them (the suite's fast hasher is unknown to it)."""
    settings.PASSWORD_HASHERS = [ARGON2]
    yield app_server
    app_server.wait_idle()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread between calls; the test's own
    # database calls are still plain synchronous code, so Django's async guard is relaxed here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(request: pytest.FixtureRequest, chromium: Any, app: AppServer) -> Iterator[Any]:
    """A page in a fresh browser context on the server; on failure, a screenshot and the logs."""
    context = chromium.new_context(
        base_url=app.url,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"FAILED-{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"Screenshot of the failure: {shot}\nURL: {page.url}\n{app.logs()}")
    context.close()


@pytest.fixture
def artifacts() -> Any:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
