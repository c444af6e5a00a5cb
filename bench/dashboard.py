"""bench/dashboard: how fast the nurse's pages answer on a large programme (issue #5, item 8).

Target: with 100,000 alerts and 1,000,000 diary entries in PostgreSQL, the queue and patient
pages answer in under 100 ms at p99, with a number of queries per page that does not grow with
the data.

A fresh database ``toxwatch_bench_dashboard`` is migrated and filled in SQL (INSERT ... SELECT
over generate_series, rows in time order as a live programme writes them, so a patient's rows
are spread over the tables): 4 clinics of 500 patients (half T-DXd with an infusion every 3
weeks, a quarter each on zongertinib and sevabertinib), 1,000,000 entries (251 to 751 per
patient, two a day, with SpO2, temperature and diarrhoea answers and doses for the TKIs), their
3,000,000 current grades, 100,000 alerts (26 to 76 per patient: the newest is still active for
one patient in ten, open, acknowledged or escalated, some overdue and some assigned; the rest
resolved by a nurse), 1 or 2 evidence rows each pointing at the patient's entries, and their
audit trail (opened, acknowledged, calls, resolved: about 330,000 events). Then ANALYZE.

The server runs as in production (docs/operations.md): gunicorn with sync workers on
config.wsgi, DEBUG off, persistent connections; tasks in-process (no Redis: the pages start
none). A nurse of one clinic signs in through the sign-in form, then each page is requested
one at a time (the latency of a page, not the throughput of the server), each time for an
alert or patient drawn at random from that clinic, after a few unmeasured warm-up requests:

  queue           GET /staff/                          the default queue (alerts needing action)
  queue filtered  GET /staff/?status=all&level=red     every RED alert of the clinic, paged
  queue deep page GET /staff/?status=resolved&amber_page=200  the 200th page of resolved AMBERs
  queue partial   GET /staff/queue/ (htmx)             the list the live queue re-fetches
  alert           GET /staff/alerts/<id>/              an alert page with its trail
  patient         GET /staff/patients/<subject>/       12 weeks of a patient's history
  patient 26 wk   GET /staff/patients/<subject>/?days=182

The number of SQL queries of each page is counted in this process (Django's test client on the
same database, DEBUG off), for the patient with the shortest and the longest history and for
alerts with the fewest and the most trail rows: it must be the same. Answers other than 200 fail
the run. Results go to bench/results/dashboard-<timestamp>.json; the database is dropped at the
end (``--keep`` keeps it and prints how to reuse it with ``--reuse``).

    .venv/bin/python bench/dashboard.py [--requests 300] [--workers 4] [--keep | --reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import ingest  # noqa: E402  (the server and CPU helpers of the ingest benchmark)

RESULTS_DIR = ROOT / "bench" / "results"
# BENCH_DB names another database (e.g. one per worktree); it is dropped and recreated.
BENCH_DB = os.environ.get("BENCH_DB", "toxwatch_bench_dashboard")
ADMIN_URL = ingest.ADMIN_URL
# ingest's CPU accounting counts the PostgreSQL backends of its own database: point it at ours.
ingest.BENCH_DB = BENCH_DB
SECRET_KEY = "bench-dashboard-" + secrets.token_hex(24)
PASSWORD = "bench-dashboard-nurse"
TARGET_P99_MS = 100.0

CLINICS = (
    ("NORTH", "North thoracic oncology", "Europe/London"),
    ("SOUTH", "South lung unit", "Europe/Paris"),
    ("EAST", "East cancer centre", "Europe/Berlin"),
    ("WEST", "West day unit", "Europe/Madrid"),
)
PATIENTS_PER_CLINIC = 500
# Per patient: 251 + (id * 37) % 501 entries (mean 501) and 26 + (id * 13) % 51 alerts (mean 51),
# so that there are at least 1,000,000 entries and 100,000 alerts.
ENTRIES_MIN, ENTRIES_SPREAD = 251, 501
ALERTS_MIN, ALERTS_SPREAD = 26, 51
STAFF = (("nurse", 4), ("oncologist", 2), ("data_manager", 1))


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per page")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=1, help="random choice of alerts/patients")
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument("--keep", action="store_true", help="keep the database afterwards")
    keep.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep")
    return parser.parse_args(argv)


def reproduce_command(args: argparse.Namespace) -> str:
    return (
        f".venv/bin/python bench/dashboard.py --requests={args.requests} "
        f"--warmup={args.warmup} --workers={args.workers} --seed={args.seed}"
    )


# --- database -------------------------------------------------------------------------------


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def recreate_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def server_version() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def drop_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_ENV", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_CONN_MAX_AGE"):
        env.pop(name, None)  # production shape, minus HTTPS redirects; no tasks on these pages
    env.pop("DJANGO_DB_POOL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url(),
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- data -----------------------------------------------------------------------------------

# Entries: patient p has c(p) of them, two a day going back from now, inserted oldest first.
# n = 1 is the newest. SpO2, temperature and stools vary with n so that the charts have lines.
SEED_ENTRIES = """
INSERT INTO diary_diaryentry (id, patient_id, recorded_at, recorded_offset_minutes, received_at,
    reporter, symptoms, tki_doses_taken, tki_doses_missed, missed_dose_reason, note,
    content_hash, grade_summary, alert_level, advice)
SELECT md5(p.id::text || '-' || g.n::text)::uuid, p.id, t.at, 60, t.at + interval '2 minutes',
    'patient',
    jsonb_build_object(
        'diarrhea', jsonb_build_object('stools_over_baseline', s.stools),
        'hypoxia', jsonb_build_object('spo2_rest', 93 + (g.n + p.id) %% 6,
                                      'spo2_exertion', 91 + (g.n + p.id) %% 6),
        'fever', jsonb_build_object('temp_c', 36.4 + ((g.n * 3 + p.id) %% 10) / 10.0)),
    CASE WHEN c.drug = 'trastuzumab_deruxtecan' THEN NULL ELSE 1 - (g.n %% 17 = 0)::int END,
    CASE WHEN c.drug = 'trastuzumab_deruxtecan' THEN NULL ELSE (g.n %% 17 = 0)::int END,
    '', '', md5(p.id::text || ':' || g.n::text),
    jsonb_build_object('diarrhea', s.grade, 'hypoxia', 0, 'fever', 0), 'green', '{}'::jsonb
FROM diary_patient p
JOIN diary_treatmentcourse c ON c.patient_id = p.id
CROSS JOIN generate_series(1, %(max_entries)s) AS g(n)
CROSS JOIN LATERAL (SELECT now() - g.n * interval '12 hours' - (p.id %% 180) * interval '1 minute'
                    AS at) AS t
CROSS JOIN LATERAL (SELECT (g.n * 7 + p.id) %% 5 AS stools,
                           CASE WHEN (g.n * 7 + p.id) %% 5 = 0 THEN 0
                                WHEN (g.n * 7 + p.id) %% 5 < 4 THEN 1 ELSE 2 END AS grade) AS s
WHERE g.n <= %(entries_min)s + (p.id * 37) %% %(entries_spread)s
ORDER BY t.at, p.id
"""
# Current grades: diarrhoea from the stools (CTCAE: <4 over baseline G1, 4-6 G2), hypoxia and
# fever at 0 (SpO2 >= 93 at rest, temperature < 38.0).
SEED_GRADES = """
INSERT INTO diary_entrygrade (entry_id, term, grade, status, criteria, missing, ctcae_version,
    grading_version, graded_at)
SELECT e.id, t.term, (e.grade_summary ->> t.term)::int, 'graded',
    CASE WHEN t.term = 'diarrhea' AND (e.grade_summary ->> 'diarrhea')::int > 0
         THEN '["Increase of <4 stools/day over baseline"]'::jsonb ELSE '[]'::jsonb END,
    '[]', '5.0', 'bench', e.received_at
FROM diary_diaryentry e CROSS JOIN (VALUES ('diarrhea'), ('hypoxia'), ('fever')) AS t(term)
ORDER BY e.recorded_at
"""
# Alerts: patient p has a(p) of them; alert j (1 = newest) was raised by entry
# n(j) = ceil(j * c(p) / a(p)). The newest alert of one patient in ten is still active.
ALERT_SOURCE = """
SELECT p.id AS patient_id, p.clinic_id, g.j, c.drug,
    (%(entries_min)s + (p.id * 37) %% %(entries_spread)s) AS entries,
    (%(alerts_min)s + (p.id * 13) %% %(alerts_spread)s) AS alerts,
    ceil(g.j * (%(entries_min)s + (p.id * 37) %% %(entries_spread)s)::numeric
         / (%(alerts_min)s + (p.id * 13) %% %(alerts_spread)s))::int AS n,
    (ARRAY['ild', 'gi', 'fever', 'hepatic', 'cardiac'])[1 + (p.id + g.j) %% 5] AS kind,
    CASE WHEN (p.id + g.j) %% 3 = 0 THEN 'red' ELSE 'amber' END AS level,
    (g.j = 1 AND p.id %% 10 = 0) AS active
FROM diary_patient p
JOIN diary_treatmentcourse c ON c.patient_id = p.id
CROSS JOIN generate_series(1, %(max_alerts)s) AS g(j)
WHERE g.j <= %(alerts_min)s + (p.id * 13) %% %(alerts_spread)s
"""
SEED_ALERTS = f"""
CREATE TEMPORARY TABLE bench_alert AS
SELECT s.*, md5(s.patient_id::text || '-' || s.n::text)::uuid AS entry_id,
    e.recorded_at + interval '3 minutes' AS opened_at,
    CASE WHEN NOT s.active THEN 'resolved'
         WHEN s.patient_id %% 40 = 0 THEN 'escalated'
         WHEN s.patient_id %% 20 = 0 THEN 'acknowledged' ELSE 'open' END AS status,
    (SELECT user_id FROM bench_staff b WHERE b.clinic_id = s.clinic_id AND b.role = 'nurse'
     ORDER BY b.user_id OFFSET (s.patient_id + s.j) %% 4 LIMIT 1) AS nurse_id
FROM ({ALERT_SOURCE}) AS s
JOIN diary_diaryentry e ON e.id = md5(s.patient_id::text || '-' || s.n::text)::uuid;

INSERT INTO alerts_alert (patient_id, clinic_id, kind, level, status, reason, opened_at, due_at,
    last_evidence_at, acknowledged_at, acknowledged_by_id, assigned_to_id, escalated_at,
    resolved_at, resolved_by_id, outcome, first_opened_at, first_opened_by_id)
SELECT b.patient_id, b.clinic_id, b.kind, b.level, b.status,
    'Bench alert: ' || b.kind || ' at ' || b.level, b.opened_at,
    b.opened_at + CASE WHEN b.level = 'red' THEN interval '1 hour' ELSE interval '24 hours' END,
    b.opened_at,
    CASE WHEN b.status <> 'open' THEN b.opened_at + (b.j %% 7 + 1) * interval '9 minutes' END,
    CASE WHEN b.status <> 'open' THEN b.nurse_id END,
    CASE WHEN b.active AND b.patient_id %% 30 = 0 THEN b.nurse_id END,
    CASE WHEN b.status = 'escalated' THEN b.opened_at + interval '50 minutes' END,
    CASE WHEN b.status = 'resolved' THEN b.opened_at + interval '26 hours' END,
    CASE WHEN b.status = 'resolved' THEN b.nurse_id END,
    CASE WHEN b.status = 'resolved' THEN (ARRAY['advice_given', 'seen_in_clinic', 'drug_held',
        'dose_reduced', 'no_action_needed'])[1 + b.j %% 5] ELSE '' END,
    -- opened by the nurse who acknowledged it; an open alert is still "New" for one in two
    CASE WHEN b.status <> 'open' OR b.patient_id %% 20 = 10
         THEN b.opened_at + interval '4 minutes' END,
    CASE WHEN b.status <> 'open' OR b.patient_id %% 20 = 10 THEN b.nurse_id END
FROM bench_alert b
ORDER BY b.opened_at, b.patient_id;

CREATE INDEX ON bench_alert (patient_id, opened_at);
ANALYZE bench_alert;
"""
# Evidence: the raising entry's rule; every fourth alert also the entry before it.
SEED_EVIDENCE = """
INSERT INTO alerts_alertevidence (alert_id, entry_id, code, level, symptom, reason, source,
    created_at)
SELECT a.id, md5(b.patient_id::text || '-' || (b.n + x.k)::text)::uuid,
    b.kind || '.' || b.level || '.bench_rule', b.level, b.kind,
    'Bench rule for ' || b.kind || ' at ' || b.level, '§5 [D]', a.opened_at
FROM alerts_alert a
JOIN bench_alert b ON b.patient_id = a.patient_id AND b.opened_at = a.opened_at
CROSS JOIN (VALUES (0), (1)) AS x(k)
WHERE x.k = 0 OR (b.j %% 4 = 0 AND b.n + 1 <= b.entries)
ORDER BY a.opened_at;

UPDATE diary_diaryentry e SET alert_level = v.level
FROM (SELECT DISTINCT ON (entry_id) entry_id, level FROM alerts_alertevidence
      ORDER BY entry_id, level DESC) AS v
WHERE e.id = v.entry_id;
"""
# The audit trail, as alerts.pipeline and alerts.lifecycle write it.
SEED_EVENTS = """
INSERT INTO alerts_alertevent (alert_id, type, actor_id, at, detail)
SELECT a.id, v.type, v.actor_id, v.at, v.detail
FROM alerts_alert a
JOIN bench_alert b ON b.patient_id = a.patient_id AND b.opened_at = a.opened_at
CROSS JOIN LATERAL (VALUES
    ('opened', NULL::int, a.opened_at, jsonb_build_object('level', a.level), true),
    ('acknowledged', a.acknowledged_by_id, a.acknowledged_at, '{}'::jsonb,
        a.acknowledged_at IS NOT NULL),
    ('call_logged', b.nurse_id, a.acknowledged_at + interval '5 minutes',
        jsonb_build_object('summary', 'Spoke to the patient; advice given.', 'reached', true),
        a.acknowledged_at IS NOT NULL AND b.j %% 3 = 0),
    ('escalated', b.nurse_id, a.escalated_at, jsonb_build_object('note', 'For review.'),
        a.escalated_at IS NOT NULL),
    ('resolved', a.resolved_by_id, a.resolved_at,
        jsonb_build_object('outcome', a.outcome, 'note', ''), a.resolved_at IS NOT NULL)
) AS v(type, actor_id, at, detail, present)
WHERE v.present
ORDER BY v.at;
"""


def check_insert_columns(statements: list[str]) -> None:
    """Every NOT NULL column without a default of each table the SQL fills is in its INSERT:
    a migration that adds one breaks the seeding with a clear message, not a mid-load error
    (diary 0008's ``advice`` did, issue 15)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            for table, columns in re.findall(r"INSERT INTO (\w+) \(([^)]*)\)", sql):
                given = {c.strip() for c in columns.split(",")}
                cursor.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "AND is_nullable = 'NO' AND column_default IS NULL AND column_name <> 'id' "
                    "AND is_identity = 'NO'",
                    [table],
                )
                missing = sorted({row[0] for row in cursor.fetchall()} - given)
                if missing:
                    raise SystemExit(f"bench seeding: {table} needs {', '.join(missing)}")


def seed() -> dict[str, int]:
    """Clinics, staff and patients through the ORM; the large tables in SQL."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from diary.models import Clinic, Infusion, Patient, StaffMember, TreatmentCourse

    user_model = get_user_model()
    password = make_password(PASSWORD)  # one Argon2 hash for every bench account
    days = (ENTRIES_MIN + ENTRIES_SPREAD) // 2 + 14
    started = timezone.localdate() - timedelta(days=days)
    drugs = (
        ("trastuzumab_deruxtecan", "5.4_mg_kg"),
        ("zongertinib", "180_mg_qd"),
        ("trastuzumab_deruxtecan", "5.4_mg_kg"),
        ("sevabertinib", "20_mg_bid"),
    )
    with transaction.atomic():
        for code, name, tz in CLINICS:
            clinic = Clinic.objects.create(code=code, name=name, timezone=tz)
            for role, count in STAFF:
                users = user_model.objects.bulk_create(
                    user_model(
                        username=f"{role}{n}-{code.lower()}", password=password, is_staff=True
                    )
                    for n in range(1, count + 1)
                )
                StaffMember.objects.bulk_create(
                    StaffMember(user=u, clinic=clinic, role=role) for u in users
                )
            patients = Patient.objects.bulk_create(
                Patient(
                    subject_id=f"{code}-{n:04d}",
                    clinic=clinic,
                    timezone=tz,
                    enrolled_on=started,
                    birth_date=started.replace(year=started.year - 50 - n % 30),
                    prior_ild=n % 11 == 0,
                    lung_comorbidity=n % 7 == 0,
                    baseline_stools_per_day=1 + n % 3,
                    baseline_spo2_rest=97,
                    baseline_spo2_exertion=95,
                    baseline_sob_exertion="none",
                )
                for n in range(1, PATIENTS_PER_CLINIC + 1)
            )
            courses = TreatmentCourse.objects.bulk_create(
                TreatmentCourse(
                    patient=p,
                    drug=drugs[n % 4][0],
                    dose_level=drugs[n % 4][1],
                    schedule="bench",
                    started_on=started,
                )
                for n, p in enumerate(patients)
            )
            Infusion.objects.bulk_create(
                Infusion(
                    course=c, given_on=started + timedelta(days=21 * k), dose_level=c.dose_level
                )
                for c in courses
                if c.drug == "trastuzumab_deruxtecan"
                for k in range(days // 21 + 1)
            )
    shape = {
        "entries_min": ENTRIES_MIN,
        "entries_spread": ENTRIES_SPREAD,
        "max_entries": ENTRIES_MIN + ENTRIES_SPREAD - 1,
        "alerts_min": ALERTS_MIN,
        "alerts_spread": ALERTS_SPREAD,
        "max_alerts": ALERTS_MIN + ALERTS_SPREAD - 1,
    }
    steps = [
        ("entries", SEED_ENTRIES),
        ("grades", SEED_GRADES),
        ("alerts", SEED_ALERTS),
        ("evidence", SEED_EVIDENCE),
        ("events", SEED_EVENTS),
    ]
    check_insert_columns([sql for _, sql in steps])
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_staff AS SELECT s.clinic_id, s.role, s.user_id "
            "FROM diary_staffmember s"
        )
        for name, sql in steps:
            began = time.perf_counter()
            cursor.execute(sql, shape)
            print(f"  {name} in {time.perf_counter() - began:.0f}s", flush=True)
        cursor.execute("VACUUM ANALYZE")
    return count_rows()


def count_rows() -> dict[str, int]:
    from django.db import connection

    tables = {
        "patients": "diary_patient",
        "entries": "diary_diaryentry",
        "grades": "diary_entrygrade",
        "alerts": "alerts_alert",
        "active_alerts": "alerts_alert WHERE status <> 'resolved'",
        "evidence": "alerts_alertevidence",
        "events": "alerts_alertevent",
    }
    counts = {}
    with connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[name] = int(cursor.fetchone()[0])
    return counts


# --- what is requested ----------------------------------------------------------------------


@dataclass
class Sample:
    """What one page is requested with: a nurse of clinic ``clinic`` and candidate URLs."""

    nurse: str
    clinic_id: int
    alerts: list[int]
    patients: list[str]
    alert_fewest_events: int
    alert_most_events: int
    patient_shortest: str
    patient_longest: str


def sample(clinic_code: str) -> Sample:
    from django.db.models import Count

    from alerts.models import Alert
    from diary.models import Clinic, Patient

    clinic = Clinic.objects.get(code=clinic_code)
    alerts = list(Alert.objects.filter(clinic=clinic).values_list("pk", flat=True).order_by("pk"))
    by_events = (
        Alert.objects.filter(clinic=clinic)
        .annotate(n=Count("events"))
        .order_by("n", "pk")
        .values_list("pk", flat=True)
    )
    by_entries = (
        Patient.objects.filter(clinic=clinic)
        .annotate(n=Count("entries"))
        .order_by("n", "pk")
        .values_list("subject_id", flat=True)
    )
    return Sample(
        nurse=f"nurse1-{clinic_code.lower()}",
        clinic_id=clinic.pk,
        alerts=alerts,
        patients=list(Patient.objects.filter(clinic=clinic).values_list("subject_id", flat=True)),
        alert_fewest_events=by_events.first(),  # type: ignore[arg-type]
        alert_most_events=by_events.last(),  # type: ignore[arg-type]
        patient_shortest=by_entries.first(),  # type: ignore[arg-type]
        patient_longest=by_entries.last(),  # type: ignore[arg-type]
    )


@dataclass
class Page:
    name: str
    pattern: str
    htmx: bool = False

    def url(self, s: Sample, rng: random.Random) -> str:
        return self.pattern.format(alert=rng.choice(s.alerts), patient=rng.choice(s.patients))

    def extremes(self, s: Sample) -> list[str]:
        """The same page for the smallest and the largest object, for the query counts."""
        if "{alert}" in self.pattern:
            return [
                self.pattern.format(alert=a, patient="")
                for a in (s.alert_fewest_events, s.alert_most_events)
            ]
        if "{patient}" in self.pattern:
            return [
                self.pattern.format(alert="", patient=p)
                for p in (s.patient_shortest, s.patient_longest)
            ]
        return [self.pattern]


PAGES = [
    Page("queue", "/staff/"),
    Page("queue filtered", "/staff/?status=all&level=red"),
    Page("queue deep page", "/staff/?status=resolved&amber_page=200"),
    Page("queue partial", "/staff/queue/", htmx=True),
    Page("alert", "/staff/alerts/{alert}/"),
    Page("patient", "/staff/patients/{patient}/"),
    Page("patient 26 wk", "/staff/patients/{patient}/?days=182"),
]


# --- query counts (in this process) ---------------------------------------------------------


@dataclass
class QueryCount:
    counts: list[int]  # per URL of Page.extremes
    slowest_ms: float
    slowest_sql: str


def count_queries(s: Sample) -> dict[str, QueryCount]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=s.nurse))
    result = {}
    for page in PAGES:
        headers = {"HX-Request": "true"} if page.htmx else {}
        counts, slowest = [], (0.0, "")
        for url in page.extremes(s):
            client.get(url, headers=headers)  # warm
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code} in-process")
            counts.append(len(captured.captured_queries))
            for query in captured.captured_queries:
                ms = float(query["time"]) * 1000
                if ms > slowest[0]:
                    slowest = (ms, query["sql"])
        result[page.name] = QueryCount(counts, round(slowest[0], 1), slowest[1])
    return result


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


# --- HTTP -----------------------------------------------------------------------------------


def sign_in(base_url: str, username: str) -> httpx.Client:
    """A client holding a nurse's session, signed in through the staff sign-in form."""
    client = httpx.Client(base_url=base_url, timeout=30)
    form = client.get("/staff/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise SystemExit(f"the sign-in page answered {form.status_code}")
    answer = client.post(
        "/staff/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": f"{base_url}/staff/login/"},
    )
    if answer.status_code != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"signing in {username} answered {answer.status_code}")
    return client


@dataclass
class Timing:
    page: str
    pattern: str
    requests: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_ms: float  # gunicorn's CPU time per request (the Python side), load-independent
    db_cpu_ms: float  # PostgreSQL's CPU time per request
    queries: list[int]
    constant_queries: bool
    slowest_query_ms: float
    meets_target: bool


def time_page(
    client: httpx.Client, page: Page, s: Sample, args: argparse.Namespace, rng: random.Random
) -> list[float]:
    headers = {"HX-Request": "true"} if page.htmx else {}
    times = []
    for n in range(args.warmup + args.requests):
        url = page.url(s, rng)
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        took = time.perf_counter() - began
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if n >= args.warmup:
            times.append(took * 1000)
    return sorted(times)


def cpu_ms(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU milliseconds a set of processes used between two snapshots."""
    return 1000 * sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- report ---------------------------------------------------------------------------------


def print_report(
    timings: list[Timing], rows: dict[str, int], args: argparse.Namespace, pg: str, cpu: Any
) -> None:
    print()
    print(
        f"Dashboard pages, one nurse, requests one at a time; gunicorn sync x{args.workers}, "
        f"DEBUG off, {os.cpu_count()} CPUs, PostgreSQL {pg}"
    )
    print(
        f"Data: {rows['alerts']:,} alerts ({rows['active_alerts']:,} active), "
        f"{rows['entries']:,} entries, {rows['grades']:,} grades, {rows['evidence']:,} evidence, "
        f"{rows['events']:,} trail events, {rows['patients']:,} patients in {len(CLINICS)} clinics"
    )
    header = (
        f"{'page':<16} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'cpu ms':>7} {'db ms':>6} "
        f"{'queries (small, large)':>22} {'slowest q ms':>12}  target"
    )
    print(header)
    print("-" * len(header))
    for t in timings:
        queries = ", ".join(str(q) for q in t.queries)
        flag = "" if t.constant_queries else " GROWS"
        print(
            f"{t.page:<16} {t.p50_ms:>7.1f} {t.p90_ms:>7.1f} {t.p99_ms:>7.1f} {t.max_ms:>7.1f} "
            f"{t.server_cpu_ms:>7.1f} {t.db_cpu_ms:>6.1f} "
            f"{queries + flag:>22} {t.slowest_query_ms:>12.1f}  "
            f"{'ok' if t.meets_target else 'MISSED'}"
        )
    print(
        "cpu ms, db ms: CPU time per request of gunicorn (views, templates, driver) and of "
        "PostgreSQL; they vary little with the machine's load, the latencies do."
    )
    print(f"CPU during the timed requests (cores): {cpu}")
    if cpu.get("other", 0) > 0.15:
        print("WARNING: other processes used CPU meanwhile: the figures are high; run again.")
    print(f"Reproduce: {reproduce_command(args)}")


def start_gunicorn(
    workers: int, env: dict[str, str], log: Any
) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn on config.wsgi, sync workers, on a free port (also bench/patient_list.py's)."""
    port = ingest.free_port()
    argv = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--graceful-timeout=5",
    ]
    print(f"Starting gunicorn {' '.join(argv[1:])}", flush=True)
    return ingest.start_server(argv, env, log), port


def run(args: argparse.Namespace, log: Any) -> int:
    env = server_env()
    if args.reuse:
        pg = server_version()
        ingest.migrate(env)  # the code may have new migrations (an index) since --keep
        ingest.setup_django(env)
        rows = count_rows()
        print(f"Reusing {BENCH_DB}: {rows}", flush=True)
    else:
        print(f"Creating database {BENCH_DB} and migrating ...", flush=True)
        pg = recreate_database()
        ingest.migrate(env)
        ingest.setup_django(env)
        began = time.perf_counter()
        print("Loading the data ...", flush=True)
        rows = seed()
        print(f"Loaded {rows} in {time.perf_counter() - began:.0f}s", flush=True)
    s = sample(CLINICS[1][0])
    queries = count_queries(s)
    ingest.close_django_connections()

    process, port = start_gunicorn(args.workers, env, log)
    rng = random.Random(args.seed)
    timings = []
    try:
        ingest.wait_ready(port, process, args.workers, timeout=60)
        client = sign_in(f"http://127.0.0.1:{port}", s.nurse)
        before = ingest.cpu_snapshot(process.pid)
        for page in PAGES:
            print(f"Timing {page.name} ({args.warmup} + {args.requests} requests) ...", flush=True)
            page_before = ingest.cpu_snapshot(process.pid)
            times = time_page(client, page, s, args, rng)
            page_after = ingest.cpu_snapshot(process.pid)
            done = args.warmup + args.requests
            counted = queries[page.name]
            p99 = ingest.percentile(times, 99)
            timings.append(
                Timing(
                    page=page.name,
                    pattern=page.pattern,
                    requests=len(times),
                    p50_ms=round(statistics.median(times), 1),
                    p90_ms=round(ingest.percentile(times, 90), 1),
                    p99_ms=round(p99, 1),
                    max_ms=round(times[-1], 1),
                    server_cpu_ms=round(cpu_ms(page_before.server, page_after.server) / done, 1),
                    db_cpu_ms=round(cpu_ms(page_before.postgres, page_after.postgres) / done, 1),
                    queries=counted.counts,
                    constant_queries=len(set(counted.counts)) == 1,
                    slowest_query_ms=counted.slowest_ms,
                    meets_target=p99 < TARGET_P99_MS and len(set(counted.counts)) == 1,
                )
            )
        cpu = ingest.cpu_shares(before, ingest.cpu_snapshot(process.pid))
        client.close()
    finally:
        ingest.stop_server(process)

    print_report(timings, rows, args, pg, cpu)
    missed = [t for t in timings if not t.meets_target]
    if missed:
        for t in missed:
            counted = queries[t.page]
            print(f"\n{t.page}: slowest query ({counted.slowest_ms} ms in-process):")
            print(counted.slowest_sql)
            print(explain(counted.slowest_sql))
        ingest.close_django_connections()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"dashboard-{stamp}.json"
    document = {
        "benchmark": "bench/dashboard.py",
        "command": reproduce_command(args),
        "started_at": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": pg,
        },
        "git": ingest.git_state(),
        "server": f"gunicorn config.wsgi sync x{args.workers}, DEBUG off, CONN_MAX_AGE 60",
        "rows": rows,
        "cpu_cores": cpu,
        "pages": [asdict(t) for t in timings],
        "target_p99_ms": TARGET_P99_MS,
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Results: {out.relative_to(ROOT)}")
    return 1 if missed else 0


def main(argv: list[str] | None = None) -> int:
    return run_main(run, parse_args(sys.argv[1:] if argv is None else argv), "bench-dashboard")


def run_main(
    run: Callable[[argparse.Namespace, Any], int], args: argparse.Namespace, name: str
) -> int:
    """Run a bench on BENCH_DB (also bench/patient_list.py's): SIGTERM and Ctrl-C stop it
    cleanly, the database is dropped unless kept, the server log kept only on failure."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    fd, log_name = tempfile.mkstemp(prefix=f"{name}-gunicorn-", suffix=".log")
    status = 1
    try:
        with os.fdopen(fd, "wb") as log:
            status = run(args, log)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        status = 130
    finally:
        ingest.close_django_connections()
        if args.keep or args.reuse:
            print(
                f"Database {BENCH_DB} kept: run again with --reuse, drop it with "
                f"`psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE {BENCH_DB}'`."
            )
        else:
            try:
                drop_database()
            except psycopg.Error as exc:
                print(f"Could not drop database {BENCH_DB}: {exc}", file=sys.stderr)
        if status == 0:
            os.unlink(log_name)
        else:
            print(f"Server log kept: {log_name}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
