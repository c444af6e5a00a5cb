"""D87: on PostgreSQL, statements a connection runs again and again are prepared (server-side
binding, psycopg's prepare threshold), so PostgreSQL stops parsing and planning them; a setting
turns it off for a pooler that cannot keep prepared statements. The whole suite runs this way
on PostgreSQL in CI (.ci/run), the diary's answers included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.helpers import enrolled_client, entry_body, make_clinic

ROOT = Path(__file__).resolve().parents[2]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def database_options(**env: str) -> dict:
    """config.settings' database OPTIONS as a fresh process computes them under ``env``."""
    code = (
        "import json, config.settings as s; "
        "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {}), default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_DB", "DATABASE"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_postgresql_binds_on_the_server_and_prepares_by_default() -> None:
    options = database_options(DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == settings.PREPARE_THRESHOLD


def test_the_setting_turns_prepared_statements_off() -> None:
    options = database_options(DATABASE_URL="postgres://u@127.0.0.1:5432/x", DJANGO_DB_PREPARED="0")
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_sqlite_is_untouched() -> None:
    options = database_options(DATABASE_URL="sqlite:///x.sqlite3")
    assert "server_side_binding" not in options


@on_postgresql
@pytest.mark.django_db
def test_the_diary_path_runs_on_prepared_statements() -> None:
    clinic = make_clinic()
    _patient, client = enrolled_client(clinic, "trastuzumab_deruxtecan")
    for _ in range(settings.PREPARE_THRESHOLD + 1):
        response = client.post(
            "/api/v1/entries/", entry_body(symptoms={"fever": {"temp_c": 37.0}}), format="json"
        )
        assert response.status_code == 201, response.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    # The entry's insert and the pipeline's patient lock, among others, now skip parse and plan.
    assert any('INSERT INTO "diary_diaryentry"' in statement for statement in prepared)
    assert any("FOR UPDATE" in statement for statement in prepared)
