"""bench/patient_page: how fast the patient page and the programme view answer on a large clinic.

A fresh PostgreSQL database ``toxwatch_bench_patient_page`` is filled with SQL (INSERT ... SELECT
generate_series, two or three minutes), rows in time order as a live clinic writes them (so a
patient's entries are spread over the table, not side by side): one clinic of 1,000 T-DXd patients,
each with 1,000 diary entries (two a day over 500 days: 1,000,000 entries, with SpO2, temperature
and diarrhea answers), 3 current grades per entry (3,000,000 rows), an infusion every 3 weeks and
100 alerts (100,000, a few still open), then VACUUM ANALYZE. The pages are then requested in-process
through Django's test client (DEBUG off, a signed-in nurse of the clinic), each time for a patient
drawn at random: the figures are the server's own time (URL routing, middleware, queries,
rendering), without HTTP or a WSGI server. Each page's number of queries is counted once. The
database is dropped at the end.

Target (issue #5): the patient page under 100 ms at p99 with 1,000,000 entries and 100,000
alerts, in a constant number of queries.

    .venv/bin/python bench/patient_page.py [--requests 300] [--patients 1000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
# BENCH_DB names another database (e.g. one per worktree); it is dropped and recreated.
BENCH_DB = os.environ.get("BENCH_DB", "toxwatch_bench_patient_page")
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ENTRIES_PER_PATIENT = 1000
ALERTS_PER_PATIENT = 100


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per page (300)")
    parser.add_argument("--patients", type=int, default=1000, help="patients (1000)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def recreate_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def drop_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = database_url()
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


SEED_ENTRIES = """
INSERT INTO diary_diaryentry (id, patient_id, recorded_at, recorded_offset_minutes, received_at,
    reporter, symptoms, missed_dose_reason, note, content_hash, grade_summary, alert_level)
SELECT md5(p.id::text || '-' || g.n::text)::uuid, p.id,
    now() - g.n * interval '12 hours' - interval '1 hour', 60, now(), 'patient',
    jsonb_build_object(
        'diarrhea', jsonb_build_object('stools_over_baseline', g.n %% 6),
        'hypoxia', jsonb_build_object('spo2_rest', 90 + g.n %% 8, 'spo2_exertion', 88 + g.n %% 7),
        'fever', jsonb_build_object('temp_c', 36.5 + (g.n %% 4) * 0.4)),
    '', '', 'bench', jsonb_build_object('diarrhea', (g.n %% 6) / 2, 'fever', 0, 'hypoxia', 0),
    'green'
FROM diary_patient p CROSS JOIN generate_series(1, %(entries)s) AS g(n)
ORDER BY g.n DESC, p.id
"""
SEED_GRADES = """
INSERT INTO diary_entrygrade (entry_id, term, grade, status, criteria, missing, ctcae_version,
    grading_version, graded_at)
SELECT e.id, t.term, CASE WHEN t.term = 'diarrhea'
        THEN (e.symptoms->'diarrhea'->>'stools_over_baseline')::int / 2 ELSE 0 END,
    'graded', '[]', '[]', '5.0', 'bench', now()
FROM diary_diaryentry e CROSS JOIN (VALUES ('diarrhea'), ('fever'), ('hypoxia')) AS t(term)
ORDER BY e.recorded_at
"""
SEED_ALERTS = """
INSERT INTO alerts_alert (patient_id, clinic_id, kind, level, status, reason, opened_at, due_at,
    last_evidence_at, acknowledged_at, resolved_at, outcome)
SELECT p.id, p.clinic_id, (ARRAY['ild', 'gi', 'fever', 'hepatic', 'cardiac'])[1 + g.n %% 5],
    CASE WHEN g.n %% 3 = 0 THEN 'red' ELSE 'amber' END,
    CASE WHEN g.n <= 5 THEN 'open' ELSE 'resolved' END, 'bench',
    now() - g.n * interval '5 days' + interval '1 day',
    now() - g.n * interval '5 days' + interval '1 day 1 hour',
    now() - g.n * interval '5 days' + interval '1 day',
    CASE WHEN g.n > 5 THEN now() - g.n * interval '5 days' + interval '1 day'
        + (g.n %% 7) * interval '20 minutes' END,
    CASE WHEN g.n > 5 THEN now() - g.n * interval '5 days' + interval '2 days 6 hours' END,
    CASE WHEN g.n > 5 THEN 'advice_given' ELSE '' END
FROM diary_patient p CROSS JOIN generate_series(1, %(alerts)s) AS g(n)
ORDER BY g.n DESC, p.id
"""


def seed(patients: int) -> dict[str, int]:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from diary.models import Clinic, Patient, TreatmentCourse
    from tests.helpers import make_staff

    clinic = Clinic.objects.create(code="BENCH", name="Bench clinic", timezone="Europe/Paris")
    make_staff(clinic, "nurse", username="bench-nurse")
    started = timezone.localdate() - timedelta(days=ENTRIES_PER_PATIENT // 2 + 20)
    Patient.objects.bulk_create(
        Patient(
            subject_id=f"BENCH-{n:05d}",
            clinic=clinic,
            timezone="Europe/Paris",
            enrolled_on=started,
            baseline_spo2_rest=97,
            baseline_spo2_exertion=94,
        )
        for n in range(patients)
    )
    TreatmentCourse.objects.bulk_create(
        TreatmentCourse(
            patient=patient,
            drug="trastuzumab_deruxtecan",
            dose_level="5.4_mg_kg",
            started_on=started,
        )
        for patient in Patient.objects.all()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO diary_infusion (course_id, given_on, dose_level) "
            "SELECT c.id, c.started_on + g.n * 21, '5.4_mg_kg' FROM diary_treatmentcourse c "
            "CROSS JOIN generate_series(0, 24) AS g(n)"
        )
        cursor.execute(SEED_ENTRIES, {"entries": ENTRIES_PER_PATIENT})
        cursor.execute(SEED_GRADES)
        cursor.execute(SEED_ALERTS, {"alerts": ALERTS_PER_PATIENT})
        # As autovacuum leaves a live table (and as bench/dashboard.py does): without the
        # visibility map, index-only scans (the programme's diary completion) read the table too.
        cursor.execute("VACUUM ANALYZE")
        counts = {}
        for table in ("diary_diaryentry", "diary_entrygrade", "alerts_alert", "diary_patient"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def measure(client: Any, urls: list[str]) -> dict[str, float]:
    """Wall time per request, and this process's CPU time (Django's share, without the
    database server's): on a shared machine the second varies much less with the load."""
    times, cpu = [], []
    for url in urls:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times.sort()
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
        "p99_ms": round(times[max(int(len(times) * 0.99) - 1, 0)], 1),
        "max_ms": round(times[-1], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


def count_queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    command = ".venv/bin/python bench/patient_page.py " + " ".join(argv)
    recreate_database()
    try:
        setup_django()
        started = time.perf_counter()
        counts = seed(args.patients)
        seeded = time.perf_counter() - started
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(username="bench-nurse"))
        rng = random.Random(5)

        def patients(query: str = "") -> list[str]:
            return [
                f"/staff/patients/BENCH-{rng.randrange(args.patients):05d}/{query}"
                for _ in range(args.requests)
            ]

        client.get(patients()[0])  # warm up templates and connections
        pages = {
            "patient page, 12 weeks": patients(),
            "patient page, 26 weeks": patients("?days=182"),
            "programme view, 28 days": ["/staff/programme/"] * max(args.requests // 10, 10),
        }
        results = {}
        for name, urls in pages.items():
            results[name] = {**measure(client, urls), "queries": count_queries(client, urls[0])}
        report = {
            "bench": "patient_page",
            "when": datetime.now().isoformat(timespec="seconds"),
            "command": command,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "rows": counts,
            "seed_seconds": round(seeded, 1),
            "results": results,
        }
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database()
    print(f"Rows: {counts}; seeded in {seeded:.0f} s; load average {os.getloadavg()[0]:.1f}.")
    columns = ("requests", "p50 ms", "p90 ms", "p99 ms", "max ms", "CPU p50", "queries")
    keys = ("requests", "p50_ms", "p90_ms", "p99_ms", "max_ms", "cpu_p50_ms", "queries")
    print(f"{'page':<26}" + "".join(f"{column:>9}" for column in columns))
    for name, figures in results.items():
        print(f"{name:<26}" + "".join(f"{figures[key]:>9}" for key in keys))
    print(f"Reproduce: {command}")
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"patient-page-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
