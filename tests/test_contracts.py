"""Contracts CI relies on: migrations are complete and production settings pass the deploy check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_deploy_check_passes_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "k3#v9!Qz@Lr8$Tm2^Wx6&Np4*Hs7(Jd1)Fb5_Gc0+Yq"
            + "-production-secret",
            "DJANGO_ALLOWED_HOSTS": "toxwatch.example.org",
            "DATABASE_URL": "postgres://toxwatch@127.0.0.1:5432/toxwatch",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "TOXWATCH_IDENTITY_KEYS": "cLycvhQyU1x5IMGaUF1orxDH_t39NW1qP-H_J3W2Vik=",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_refuses_sqlite_eager_tasks_and_the_default_secret():
    result = manage("check", "--deploy", env={"DJANGO_ENV": "production"})
    assert result.returncode != 0
    for code in ("toxwatch.E001", "toxwatch.E002", "toxwatch.E003", "identity.E002"):
        assert code in result.stderr
