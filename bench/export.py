"""bench/export: CSV and SDTM exports of 1,000,000 diary rows, next to PostgreSQL's COPY of them.

A fresh PostgreSQL database ``toxwatch_bench_export`` is migrated and filled (with COPY) with
one clinic of enrolled patients and N diary entries (default 1,000,000), each with one symptom
term, its answers and its current CTCAE grade; a fifth of them also carry a loperamide dose.
Then, in the same run, child processes read the same rows, one after the other:

  export  the real path: ``clinicians.exports.services.run_export`` of a CSV export (long format,
          zip with data.csv and data_dictionary.csv, sha256), as the Celery worker runs it
  sdtm    the same for an SDTM export (DM, EX, QS, FA, AE, RELREC, SUPP-- as CSV and SAS
          transport files, and define.xml: issue 14), the diary's rows as FA records
  copy    ``COPY (SELECT <the same entries joined with their patient and current grade>)
          TO STDOUT (FORMAT csv, HEADER)`` through psycopg into a file: the database's floor

Each child's wall time, CPU time and peak memory (VmHWM: the whole process, Python, Django and
the libraries included) are printed with the rows written and the file size. The PostgreSQL server's
own memory and CPU are not counted for either. Targets (issue #6): under 30 s and under 200 MB
for each export (``--formats csv`` measures the CSV export alone). The database is dropped at the
end (also on Ctrl-C); results go to bench/results/export-<timestamp>.json.

    .venv/bin/python bench/export.py [--entries 1000000] [--patients 1000] [--formats csv,sdtm]
                                     [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
BENCH_DB = os.environ.get("BENCH_DB", "toxwatch_export_bench")
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2025, 12, 31)

# The diary rows: (term, answers, grade). Realistic shapes of the symptom diary.
SHAPES: list[tuple[str, dict[str, Any], int]] = [
    ("diarrhea", {"stools_over_baseline": 0, "adl": "none"}, 0),
    ("diarrhea", {"stools_over_baseline": 2, "adl": "none"}, 1),
    ("diarrhea", {"stools_over_baseline": 5, "adl": "instrumental"}, 2),
    ("fatigue", {"fatigue": True, "relieved_by_rest": True}, 1),
    ("fatigue", {"fatigue": True, "relieved_by_rest": False, "adl": "instrumental"}, 2),
    ("cough", {"cough_severity": "mild", "prescription_medication": False}, 1),
    ("nausea", {"nausea": True, "oral_intake": "normal"}, 1),
    ("dyspnea", {"sob_exertion": "none"}, 0),
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="diary rows to export")
    parser.add_argument("--patients", type=int, default=1000, help="patients sharing them")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--formats",
        default="csv,sdtm",
        help="export formats to measure (csv, sdtm), comma-separated",
    )
    parser.add_argument("--child", choices=["export", "sdtm", "copy"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def reproduce_command(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python",
        "bench/export.py",
        f"--entries={args.entries}",
        f"--patients={args.patients}",
        f"--formats={args.formats}",
    ]
    if "BENCH_DB" in os.environ:
        parts.insert(0, f"BENCH_DB={shlex.quote(BENCH_DB)}")
    return " ".join(parts)


def database_url() -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{BENCH_DB}"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_ENV", "REDIS_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url(),
        CELERY_TASK_ALWAYS_EAGER="1",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_DEBUG="0",
    )
    return env


# --- the database ----------------------------------------------------------------------------


def create_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        row = conn.execute("SHOW server_version").fetchone()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=child_env(),
        check=True,
    )
    return str(row[0]) if row else "?"


def drop_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def diary_rows(entries: int) -> Iterator[tuple[int, uuid.UUID, datetime, str, dict, int]]:
    """The same ``entries`` rows on every call (seeded), spread evenly over the year."""
    rng = random.Random(0)
    start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) + timedelta(hours=6)
    span = (LAST_DAY - FIRST_DAY).total_seconds()
    for n in range(entries):
        term, answers, grade = SHAPES[rng.randrange(len(SHAPES))]
        entry_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        yield n, entry_id, start + timedelta(seconds=span * n / entries), term, answers, grade


def seed(entries: int, patients: int) -> dict[str, Any]:
    """A clinic, a data manager, ``patients`` patients and ``entries`` graded entries (COPY)."""
    started = time.perf_counter()
    with psycopg.connect(database_url()) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO diary_clinic (code, name, timezone, phone_24h, red_due_minutes,"
            " amber_due_hours, created_at) VALUES ('BENCH', 'Bench clinic', 'Europe/Paris', '',"
            " 60, 24, now()) RETURNING id"
        )
        clinic_id = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined) VALUES ('!', false, 'bench-manager', '',"
            " '', '', true, true, now()) RETURNING id"
        )
        manager_id = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(
            "INSERT INTO diary_staffmember (user_id, clinic_id, role)"
            " VALUES (%s, %s, 'data_manager')",
            (manager_id, clinic_id),
        )
        patient_ids = []
        for n in range(patients):
            cur.execute(
                "INSERT INTO diary_patient (subject_id, clinic_id, enrolled_on, timezone,"
                " brain_metastases, renal_impairment, lung_comorbidity, prior_ild,"
                " enrolled_in_japan, diagnosis_over_4_years, baseline_sob_exertion, created_at,"
                " baseline_composites, baseline_cough_severity, baseline_neuro, home_oximeter,"
                " stoma) VALUES (%s, %s, %s, 'Europe/Paris', false, false, false, false, false,"
                " false, '', now(), '{}', '', '{}', false, false) RETURNING id",
                (f"BENCH-{n + 1:05d}", clinic_id, FIRST_DAY),
            )
            patient_ids.append(cur.fetchone()[0])  # type: ignore[index]
        # Treatment (SDTM DM and EX): every fourth patient on T-DXd, infused every 3 weeks;
        # the others on zongertinib, whose doses the diary reports (a fifth of the entries).
        for n, patient in enumerate(patient_ids):
            tdxd = n % 4 == 0
            drug, level = (
                ("trastuzumab_deruxtecan", "5.4_mg_kg") if tdxd else ("zongertinib", "120_mg_qd")
            )
            cur.execute(
                "INSERT INTO diary_treatmentcourse (patient_id, drug, dose_level, schedule,"
                " started_on, status, created_at, updated_at) VALUES (%s, %s, %s, '', %s,"
                " 'active', now(), now()) RETURNING id",
                (patient, drug, level, FIRST_DAY),
            )
            course = cur.fetchone()[0]  # type: ignore[index]
            if tdxd:
                cur.executemany(
                    "INSERT INTO diary_infusion (course_id, given_on, dose_level)"
                    " VALUES (%s, %s, %s)",
                    [(course, FIRST_DAY + timedelta(days=21 * k), level) for k in range(18)],
                )
        entry_columns = (
            "id, patient_id, recorded_at, recorded_offset_minutes, received_at, reporter,"
            " symptoms, loperamide_mg, tki_doses_taken, missed_dose_reason, note, content_hash,"
            " grade_summary, alert_level, advice"
        )
        with cur.copy(f"COPY diary_diaryentry ({entry_columns}) FROM STDIN") as copy:
            for n, entry_id, recorded, term, answers, grade in diary_rows(entries):
                patient = patient_ids[n % patients]
                copy.write_row(
                    (
                        entry_id,
                        patient,
                        recorded,
                        60,
                        recorded + timedelta(minutes=2),
                        "patient",
                        json.dumps({term: answers}),
                        4 if n % 5 == 0 else None,
                        1 if n % 5 == 1 else None,
                        "",
                        "",
                        "0" * 64,
                        json.dumps({term: grade}),
                        "green",
                        "{}",
                    )
                )
        grade_columns = (
            "entry_id, term, grade, status, criteria, missing, ctcae_version, grading_version,"
            " graded_at"
        )
        with cur.copy(f"COPY diary_entrygrade ({grade_columns}) FROM STDIN") as copy:
            for _, entry_id, recorded, term, _, grade in diary_rows(entries):
                copy.write_row((entry_id, term, grade, "graded", "[]", "[]", "5.0", "1", recorded))
        conn.commit()
        cur.execute("ANALYZE")
    return {
        "clinic_id": clinic_id,
        "manager_id": manager_id,
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- the two children ------------------------------------------------------------------------


COPY_SQL = """
COPY (
  SELECT p.subject_id, e.id, e.recorded_at, e.recorded_offset_minutes, e.received_at,
         e.reporter, e.symptoms, e.loperamide_mg, e.tki_doses_taken, e.tki_doses_missed,
         e.tki_dose_vomited, e.corrects_id, g.term, g.grade, g.status, g.ctcae_version,
         g.grading_version
  FROM diary_diaryentry e
  JOIN diary_patient p ON p.id = e.patient_id
  LEFT JOIN diary_entrygrade g ON g.entry_id = e.id AND g.superseded_at IS NULL
  WHERE p.clinic_id = %(clinic)s AND e.recorded_at >= %(start)s AND e.recorded_at < %(end)s
  ORDER BY e.patient_id, e.recorded_at, e.id, g.term
) TO STDOUT (FORMAT csv, HEADER)
"""


def child_export(out: Path, fmt: str = "csv") -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from clinicians.exports import services
    from clinicians.exports.models import Export
    from diary.models import Clinic, StaffMember

    settings.TOXWATCH_EXPORT_DIR = out
    member = StaffMember.objects.select_related("clinic", "user").get()
    clinic = Clinic.objects.get(pk=member.clinic_id)
    started = time.perf_counter()
    cpu_started = time.process_time()
    export = services.request_export(
        user=member.user,
        clinic=clinic,
        format=fmt,
        date_from=FIRST_DAY,
        date_to=LAST_DAY,
        instruments=["symptom_diary"],
    )
    services.run_export(export_id=export.pk)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    export = Export.objects.get(pk=export.pk)
    assert export.status == "done", export.error
    assert export.path is not None
    import zipfile

    if fmt == "sdtm":
        with zipfile.ZipFile(export.path) as archive:
            members = {i.filename: i.file_size for i in archive.infolist()}
            datasets = {}
            for name in members:
                if name.endswith(".csv"):
                    with archive.open(name) as data:
                        datasets[name[:-4]] = sum(1 for _ in data) - 1
        return {
            "seconds": round(seconds, 2),
            "export_cpu_seconds": round(cpu, 2),
            "records": export.rows_done,
            "csv_rows": sum(datasets.values()),
            "csv_bytes": sum(size for name, size in members.items() if name.endswith(".csv")),
            "xpt_bytes": sum(size for name, size in members.items() if name.endswith(".xpt")),
            "datasets": datasets,
            "file_bytes": export.size_bytes,
        }
    with zipfile.ZipFile(export.path) as archive:
        info = archive.getinfo("data.csv")
        with archive.open("data.csv") as data:
            csv_rows = sum(1 for _ in data) - 1
    return {
        "seconds": round(seconds, 2),
        "export_cpu_seconds": round(cpu, 2),
        "records": export.rows_done,
        "csv_rows": csv_rows,
        "csv_bytes": info.file_size,
        "file_bytes": export.size_bytes,
    }


def child_copy(out: Path) -> dict[str, Any]:
    import zoneinfo

    tz = zoneinfo.ZoneInfo("Europe/Paris")
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tz)
    end = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), tz)
    target = out / "copy.csv"
    started = time.perf_counter()
    cpu_started = time.process_time()
    with psycopg.connect(database_url()) as conn, conn.cursor() as cur:
        clinic = cur.execute("SELECT id FROM diary_clinic").fetchone()[0]  # type: ignore[index]
        with (
            cur.copy(COPY_SQL, {"clinic": clinic, "start": start, "end": end}) as copy,
            target.open("wb") as handle,
        ):
            for block in copy:
                handle.write(block)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    with target.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1
    return {
        "seconds": round(seconds, 2),
        "export_cpu_seconds": round(cpu, 2),
        "csv_rows": rows,
        "csv_bytes": target.stat().st_size,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: on Linux that keeps the
    parent's high-water mark across fork and exec, so a child would inherit the seeder's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_child(kind: str, out: Path) -> dict[str, Any]:
    """Run one measurement in a child process (its CPU time comes from wait4)."""
    result_file = out / f"{kind}.json"
    proc = subprocess.Popen(
        [sys.executable, __file__, f"--child={kind}", f"--out={out}"],
        cwd=ROOT,
        env=child_env(),
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the {kind} child failed with status {proc.returncode}")
    result = json.loads(result_file.read_text())
    result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in load],
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        out = Path(args.out)
        if args.child == "copy":
            result = child_copy(out)
        else:
            result = child_export(out, "sdtm" if args.child == "sdtm" else "csv")
        result["peak_rss_mb"] = peak_rss_mb()
        (out / f"{args.child}.json").write_text(json.dumps(result))
        return 0

    import tempfile

    print(f"bench/export: {args.entries:,} diary rows, {args.patients:,} patients", flush=True)
    try:
        version = create_database()
        seeded = seed(args.entries, args.patients)
        print(f"  seeded in {seeded['seconds']} s (COPY); PostgreSQL {version}", flush=True)
        load_before = machine()["load_average_1_5_15"]
        with tempfile.TemporaryDirectory(prefix="toxwatch-bench-export-") as tmp:
            out = Path(tmp)
            formats = args.formats.split(",")
            export = run_child("export", out) if "csv" in formats else None
            sdtm = run_child("sdtm", out) if "sdtm" in formats else None
            copy = run_child("copy", out)
    finally:
        if not args.keep:
            drop_database()
    results = {
        "benchmark": "export",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "entries": args.entries,
        "patients": args.patients,
        "postgresql": version,
        "load_average_before": load_before,
        "machine": machine(),
        "export": export,
        "sdtm": sdtm,
        "copy": copy,
        "targets": {"seconds": 30, "peak_rss_mb": 200},
        "reproduce": reproduce_command(args),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"export-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2))
    print()
    print(f"{'':8} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} {'CSV rows':>11} {'CSV MB':>8}")
    measured = [("export", export), ("sdtm", sdtm), ("COPY", copy)]
    for name, r in [(n, r) for n, r in measured if r is not None]:
        print(
            f"{name:8} {r['seconds']:>8} {r['export_cpu_seconds']:>7} {r['peak_rss_mb']:>8}"
            f" {r['csv_rows']:>11,} {r['csv_bytes'] / 1e6:>8.1f}"
        )
    print(
        "(seconds: wall time of the export or COPY alone; CPU s: this process's CPU in it,"
        " not PostgreSQL's; peak MB: the whole child process)"
    )
    if export is not None:
        print(
            f"\nexport: {export['records']:,} diary rows -> {export['csv_rows']:,} long-format "
            f"rows, zip {export['file_bytes'] / 1e6:.1f} MB; COPY: one row per entry and grade."
        )
    if sdtm is not None:
        print(
            f"sdtm: {sdtm['records']:,} diary rows -> {sdtm['datasets']} records, CSV "
            f"{sdtm['csv_bytes'] / 1e6:.1f} MB + XPT {sdtm['xpt_bytes'] / 1e6:.1f} MB, "
            f"zip {sdtm['file_bytes'] / 1e6:.1f} MB"
        )
    for name, r in (("export", export), ("sdtm", sdtm)):
        if r is not None:
            ok = r["seconds"] < 30 and r["peak_rss_mb"] < 200
            print(f"{name} targets (< 30 s, < 200 MB): {'met' if ok else 'NOT met'}")
    print(f"load average before the measured runs: {load_before}")
    print(f"results: {path.relative_to(ROOT)}")
    print(f"reproduce: {results['reproduce']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
