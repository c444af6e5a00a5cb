"""Schemathesis against the live server: the OpenAPI schema it serves must be what it does.

Run by .ci/run (and by hand: `.venv/bin/python scripts/schemathesis.py`). It makes a throwaway
database (a SQLite file, or DATABASE_URL's server with `_schemathesis` appended to the name),
enrols a patient and signs in a nurse and a data manager, serves the app with uvicorn as
`make run` does, then runs schemathesis twice within a time budget: the patient and account
operations with the patient's bearer token, the staff operations with the nurse's and the data
manager's sessions. It fails on any 5xx and on any answer the schema does not describe (status
code, content type, body).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
# Seconds per run (patient, nurse, data manager): the whole step takes about two minutes.
MAX_TIME = int(os.environ.get("TOXWATCH_SCHEMATHESIS_SECONDS", "35"))

SETUP = r"""
import json, uuid
from datetime import date
from django.test import Client
from diary import services
from diary.models import Clinic, StaffMember, StaffRole
from django.contrib.auth import get_user_model

clinic = Clinic.objects.create(code="ST", name="Schemathesis clinic", timezone="Europe/Paris")
patient, code = services.enroll_patient(
    clinic=clinic, drug="zongertinib",
    baseline=services.Baseline(stools_per_day=1, spo2_rest=97, spo2_exertion=95),
    subject_id="ST-001",
)
_, tokens = services.redeem_enrollment_code(code=code, password="schemathesis-Pw-2026")
sessions = {}
for role in (StaffRole.NURSE, StaffRole.DATA_MANAGER):
    user = get_user_model().objects.create_user(
        username=f"st-{role}", password="schemathesis-Pw-2026", is_staff=True
    )
    StaffMember.objects.create(user=user, clinic=clinic, role=role)
    client = Client()
    client.force_login(user)
    client.get("/staff/")  # sets the CSRF cookie
    sessions[role] = {
        "session": client.cookies["sessionid"].value,
        "csrf": client.cookies["csrftoken"].value if "csrftoken" in client.cookies else "",
    }
print(json.dumps({"access": tokens.access, "sessions": sessions}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_schemathesis(
    url: str, headers: dict[str, str], *, include: str, name: str, config: Path
) -> int:
    argv = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{url}/api/v1/schema/",
        "--checks",
        CHECKS,
        "--max-time",
        str(MAX_TIME),
        "--workers",
        "2",
        "--include-path-regex",
        include,
        "--request-timeout",
        "20",
        "--no-color",
    ]
    for key, value in headers.items():
        argv += ["-H", f"{key}: {value}"]
    print(f"== schemathesis: {name} ({MAX_TIME} s at most)", flush=True)
    # In the throwaway folder: schemathesis keeps a cache and reports where it runs.
    return subprocess.run(argv, cwd=config.parent, check=False).returncode


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="toxwatch-schemathesis-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("TOXWATCH_INTEGRATION", None)
    if env.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"] = env["DATABASE_URL"].rstrip("/") + "_schemathesis"
        subprocess.run(
            [str(BIN / "python"), "-c", _PG_RESET, env["DATABASE_URL"]], env=env, check=True
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'db.sqlite3'}"
    env.pop("REDIS_URL", None)  # tasks in-process: one server process is all there is
    env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    env["TOXWATCH_EXPORT_DIR"] = str(workdir / "exports")
    env["DJANGO_CONN_MAX_AGE"] = "0"
    env["DJANGO_DEBUG"] = "0"  # the answers production gives (no debug pages)
    # Sign-in calls tested for what they do, not mostly answered 429; the lockout stays on.
    env["TOXWATCH_AUTH_THROTTLE"] = "100000/min"
    config = workdir / "schemathesis.toml"
    # The one patient the staff can reach: without it every staff patient path is a 404.
    config.write_text('[parameters]\n"path.subject_id" = "ST-001"\n')
    python = str(BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [python, "-c", "import django; django.setup()\n" + SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    creds = json.loads(made.stdout.strip().splitlines()[-1])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(workdir / "uvicorn.log", "w")  # noqa: SIM115  (closed in finally)
    server = subprocess.Popen(
        [str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1",
         f"--port={port}", "--lifespan=off", "--no-proxy-headers", "--no-access-log"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        patient = {"Authorization": f"Bearer {creds['access']}"}
        failures = run_schemathesis(
            url,
            patient,
            include=r"^/api/v1/(auth|me|entries|questionnaires|devices)",
            name="patient",
            config=config,
        )
        for role, session in creds["sessions"].items():
            staff = {
                "Cookie": f"sessionid={session['session']}; csrftoken={session['csrf']}",
                "X-CSRFToken": session["csrf"],
                "Referer": url,
            }
            failures |= run_schemathesis(
                url, staff, include=r"^/api/v1/staff/", name=role, config=config
            )
        return failures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        log.close()
        if failures_log := (workdir / "uvicorn.log").read_text().strip():
            tail = "\n".join(failures_log.splitlines()[-40:])
            print(f"== server log (last lines)\n{tail}")
        shutil.rmtree(workdir, ignore_errors=True)


_PG_RESET = r"""
import sys, dj_database_url, psycopg
cfg = dj_database_url.parse(sys.argv[1])
with psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"],
                     password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
    c.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
"""


if __name__ == "__main__":
    sys.exit(main())
