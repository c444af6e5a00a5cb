"""bench/ingest: how many diary entries per second the API takes on PostgreSQL, and how fast.

The server runs as in production (gunicorn on config.wsgi, DEBUG off, PostgreSQL, persistent
connections), on a fresh database ``toxwatch_bench`` holding a clinic of enrolled patients with
two weeks of earlier entries each (the alert rules read them). Four scenarios run one after the
other, each with N concurrent clients (threads with http.client keep-alive connections, light on
CPU; gunicorn's sync worker closes each connection after its answer), each client sending for
its share of the patients in turn:

  single  POST /api/v1/entries/        one entry per request: JWT, DRF validation, grading,
                                       the alert pipeline, the answer with alert_level and advice
  peer    POST /bench/peer-entry/      a plain DRF endpoint storing the same row: ModelSerializer,
                                       simplejwt's JWTAuthentication, the patient looked up from
                                       the user; no grading, alerts or advice (issue 17)
  batch   POST /api/v1/entries/batch/  100 entries per request
  bare    POST /bench/bare-entry/      a plain Django view that json-decodes the same body and
                                       inserts the same row (no DRF, auth, validation, grading)

The report ends with the ratios issue 17 sets targets for: single / peer entries per second
(target at least 1), batch / bare entries per second (at least 2.5) and single's p99 / peer's
p99 (below 2). Only ratios from one run count: the machine's load moves the absolute figures.

Any answer other than the expected one (201, or 200 with every batch entry "created") is an
error and fails the run. Results go to bench/results/ingest-<timestamp>.json. The database is
dropped and the server stopped at the end, also on Ctrl-C.

    .venv/bin/python bench/ingest.py [--seconds 20] [--clients 16] [--workers 4] [--late-share 1]

--late-share (default 1) is the share of single entries recorded at a random time within the
last day, so that most arrive before entries already stored and those are evaluated again
(D13); the others are recorded within the last minute, as a phone that is online sends them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import resource
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
# BENCH_DB lets several people bench on one PostgreSQL server without dropping each other's.
BENCH_DB = os.environ.get("BENCH_DB", "toxwatch_bench")
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-ingest-" + secrets.token_hex(24)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured time before each")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--worker-class",
        choices=["sync", "gthread", "uvicorn"],
        default="sync",
        help="uvicorn: config.asgi with uvicorn_worker.UvicornWorker (no persistent connections)",
    )
    parser.add_argument(
        "--db-pool", action="store_true", help="psycopg's connection pool (DJANGO_DB_POOL=1)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--batch-size", type=int, default=100, help="entries per batch request")
    parser.add_argument(
        "--patients", type=int, default=1000, help="enrolled patients, shared out among the clients"
    )
    parser.add_argument(
        "--history-days",
        type=int,
        default=14,
        help="days of earlier entries (2 a day) per patient, as the alert rules read them",
    )
    parser.add_argument(
        "--scenarios",
        default="single,peer,batch,bare",
        help="comma-separated: single,peer,batch,bare",
    )
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="PostgreSQL synchronous_commit for the bench database only (experiment)",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="DJANGO_LOG_LEVEL of the server (production: INFO)"
    )
    parser.add_argument(
        "--late-share",
        type=float,
        default=1.0,
        help="share of single entries recorded at a random time within the last day (the rest "
        "within the last minute); 1 = all, as before",
    )
    args = parser.parse_args(argv)
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.patients < args.clients:
        parser.error("--patients must be at least --clients")
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("--threads needs --worker-class gthread")
    return args


def reproduce_command(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python",
        "bench/ingest.py",
        f"--seconds={args.seconds:g}",
        f"--warmup={args.warmup:g}",
        f"--clients={args.clients}",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--threads={args.threads}",
        f"--batch-size={args.batch_size}",
        f"--patients={args.patients}",
        f"--history-days={args.history_days}",
        f"--scenarios={','.join(args.scenarios)}",
        f"--synchronous-commit={args.synchronous_commit}",
        f"--log-level={args.log_level}",
        f"--late-share={args.late_share:g}",
    ]
    if args.db_pool:
        parts.append("--db-pool")
    if "PYTHONPATH" in os.environ:
        parts.insert(0, f"PYTHONPATH={shlex.quote(os.environ['PYTHONPATH'])}")
    return " ".join(parts)


# --- database -------------------------------------------------------------------------------


def bench_database_url() -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{BENCH_DB}"


def create_database(synchronous_commit: str) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        # A per-database setting of the throwaway bench database, never the server's config.
        conn.execute(f'ALTER DATABASE "{BENCH_DB}" SET synchronous_commit = {synchronous_commit}')
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def drop_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_ENV", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_CONN_MAX_AGE"):
        env.pop(name, None)  # production shape, minus HTTPS redirects; tasks stay in-process
    if args.worker_class == "uvicorn":
        env["DJANGO_CONN_MAX_AGE"] = "0"  # Django: no persistent connections under ASGI
    if args.db_pool:
        env["DJANGO_DB_POOL"] = "1"
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DATABASE_URL=bench_database_url(),
        DJANGO_LOG_LEVEL=args.log_level,
    )
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process (same secret and database as the server)."""
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY")})
    os.environ.update(DATABASE_URL=env["DATABASE_URL"], DJANGO_DEBUG="0")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create_patients(count: int) -> list[int]:
    """A clinic and `count` enrolled patients with (passwordless) accounts; returns their ids.

    Enrolment goes through the service; accounts are made directly, since redeeming a code
    hashes a password with Argon2 (a deliberate ~50 ms) and the bench signs in with tokens.
    """
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from diary import services
    from diary.models import Clinic, Patient

    clinic = Clinic.objects.create(code="BENCH", name="Bench clinic", timezone="Europe/Paris")
    drug_keys = ["trastuzumab_deruxtecan", "zongertinib", "sevabertinib"]
    started_on = datetime.now(UTC).date() - timedelta(days=60)
    patients = []
    for n in range(count):
        patient, _code = services.enroll_patient(
            clinic=clinic,
            drug=drug_keys[n % len(drug_keys)],
            started_on=started_on,
            baseline=services.Baseline(
                stools_per_day=2,
                spo2_rest=97,
                spo2_exertion=95,
                sob_exertion="none",
                weight_kg=Decimal("72.0"),
            ),
        )
        patients.append(patient)
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=p.subject_id, password=make_password(None)) for p in patients]
    )
    for patient, user in zip(patients, users, strict=True):
        patient.user = user
    Patient.objects.bulk_update(patients, ["user"])
    return [p.pk for p in patients]


def seed_history(patient_ids: list[int], days: int) -> int:
    """Two entries a day for `days` days before the last day, graded, as if long since stored.

    The alert rules read a patient's recent entries on every new one, so an empty history would
    flatter the API. These rows are inserted in bulk (they were evaluated when they "arrived").
    """
    from diary import services
    from diary.models import DiaryEntry, EntryGrade

    rng = random.Random(0)
    now = datetime.now(UTC)
    total = 0
    for start in range(0, len(patient_ids), 100):
        entries, grades = [], []
        for patient_id in patient_ids[start : start + 100]:
            for n in range(days * 2):
                body = make_entry(rng)
                recorded_at = now - timedelta(days=1, hours=12 * n + rng.uniform(0, 11))
                meds = body["medications"]
                entry = DiaryEntry(
                    id=uuid.UUID(body["id"]),
                    patient_id=patient_id,
                    recorded_at=recorded_at,
                    recorded_offset_minutes=60,
                    received_at=recorded_at + timedelta(minutes=1),
                    symptoms=body["symptoms"],
                    loperamide_mg=meds["loperamide_mg"],
                    tki_doses_taken=meds["tki_doses_taken"],
                    tki_doses_missed=meds["tki_doses_missed"],
                    note=body.get("note", ""),
                    content_hash=services.content_hash({**body, "recorded_at": recorded_at}),
                )
                results = services.grade_symptoms(entry.symptoms)
                # The copy of the grades the alert rules read history from (as _store sets it).
                entry.grade_summary = {term: r.grade for term, r in results.items()}
                entries.append(entry)
                grades.extend(services.grade_rows(entry, results))
        DiaryEntry.objects.bulk_create(entries, batch_size=1000)
        EntryGrade.objects.bulk_create(grades, batch_size=2000)
        total += len(entries)
    return total


def mint_tokens(patient_ids: list[int]) -> list[str]:
    """One access token per patient (they live 15 minutes: minted again for each scenario)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from diary.models import Patient

    patients = Patient.objects.filter(pk__in=patient_ids).select_related("user")
    users = {p.pk: p.user for p in patients}
    return [str(AccessToken.for_user(users[pk])) for pk in patient_ids]


def count_rows() -> dict[str, Any]:
    from django.apps import apps
    from django.db.models import Count

    from diary.models import DiaryEntry, EntryGrade

    levels = DiaryEntry.objects.values("alert_level").annotate(n=Count("pk"))
    rows: dict[str, Any] = {
        "entries": DiaryEntry.objects.count(),
        "grades": EntryGrade.objects.count(),
        "entries_by_alert_level": {row["alert_level"]: row["n"] for row in levels},
    }
    if apps.is_installed("alerts"):
        rows["alerts"] = apps.get_model("alerts", "Alert").objects.count()
    return rows


# --- server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


WORKER_CLASSES = {
    "sync": "sync",
    "gthread": "gthread",
    "uvicorn": "uvicorn_worker.UvicornWorker",
}


def gunicorn_argv(args: argparse.Namespace, port: int) -> list[str]:
    argv = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.asgi:application" if args.worker_class == "uvicorn" else "config.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--worker-class={WORKER_CLASSES[args.worker_class]}",
        # gunicorn's default worker timeout (30 s) stays, as in production: a request that
        # takes longer gets its worker killed, and the client sees an error.
        "--graceful-timeout=5",
    ]
    if args.worker_class == "gthread":
        argv.append(f"--threads={args.threads}")
    return argv


def start_server(argv: list[str], env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(port: int, proc: subprocess.Popen[bytes], workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
            if status == 200 and len(child_pids(proc.pid)) >= workers:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- CPU accounting (Linux /proc; skipped elsewhere) ----------------------------------------


def child_pids(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def proc_cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """CPU seconds of a process; with `reaped_children`, plus its exited children's (a
    gunicorn worker killed on timeout is counted by the master)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime + cstime
    return ticks / CLK_TCK


def postgres_pids() -> list[int]:
    """The PostgreSQL server processes, minus backends serving other databases."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        client_backend = "(" in title or "[local]" in title
        if not client_backend or f" {BENCH_DB} " in title:
            pids.append(int(entry.name))
    return pids


@dataclass
class CpuSnapshot:
    at: float
    client: float
    server: dict[int, float]
    postgres: dict[int, float]
    busy: float
    total: float


def cpu_snapshot(server_pid: int) -> CpuSnapshot:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    busy = total = 0.0
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
        idle = ticks[3] + ticks[4]  # idle + iowait
        total, busy = sum(ticks[:8]) / CLK_TCK, (sum(ticks[:8]) - idle) / CLK_TCK
    except (OSError, IndexError, ValueError):
        pass
    server = {pid: proc_cpu_seconds(pid) for pid in child_pids(server_pid)}
    server[server_pid] = proc_cpu_seconds(server_pid, reaped_children=True)
    return CpuSnapshot(
        at=time.perf_counter(),
        client=usage.ru_utime + usage.ru_stime,
        server=server,
        postgres={pid: proc_cpu_seconds(pid) for pid in postgres_pids()},
        busy=busy,
        total=total,
    )


def cpu_shares(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU used during the run, in cores (1.0 = one core fully busy)."""
    wall = after.at - before.at

    def spent(a: dict[int, float], b: dict[int, float]) -> float:
        return sum(cpu - b.get(pid, 0.0) for pid, cpu in a.items())

    shares = {
        "client": (after.client - before.client) / wall,
        "gunicorn": spent(after.server, before.server) / wall,
        "postgres": spent(after.postgres, before.postgres) / wall,
    }
    if after.total > before.total:
        cores = os.cpu_count() or 1
        machine = (after.busy - before.busy) / (after.total - before.total) * cores
        # Anything else on the machine (another job) takes CPU from the server: shown, not hidden.
        shares["other"] = max(0.0, machine - sum(shares.values()))
        shares["machine"] = machine
    return {name: round(value, 2) for name, value in shares.items()}


# --- load -----------------------------------------------------------------------------------

OFFSETS = [timezone(timedelta(hours=h, minutes=m)) for h, m in ((1, 0), (0, 0), (-5, 0), (5, 30))]


def make_entry(rng: random.Random, late_share: float = 1.0) -> dict[str, Any]:
    """A diary entry as a patient on treatment sends it: a few symptoms with valid inputs
    (reference §1.2) and medications. Most answers are mild, so most entries stay green and
    some raise AMBER or RED alerts, as in clinic; the patients' baseline is SpO2 97/95.

    With the default ``late_share`` of 1 every entry is recorded at a random time within the
    last day, so most arrive before entries already stored ("late", D13: those are evaluated
    again); with a lower share, the others are recorded within the last minute, as a phone
    that is online sends them."""
    stools = rng.choices([0, 1, 2, 3, 4, 5, 7], weights=[50, 20, 12, 8, 5, 3, 2])[0]
    symptoms: dict[str, dict[str, Any]] = {
        "diarrhea": {
            "stools_over_baseline": stools,
            "adl": "instrumental" if stools >= 4 and rng.random() < 0.5 else "none",
        },
        "fever": {"temp_c": round(min(38.6, max(36.0, rng.gauss(36.8, 0.35))), 1)},
        "fatigue": {
            "fatigue": rng.random() < 0.6,
            "relieved_by_rest": rng.random() < 0.85,
            "adl": rng.choices(["none", "instrumental"], weights=[85, 15])[0],
        },
    }
    if rng.random() < 0.5:
        symptoms["hypoxia"] = {
            "spo2_rest": 97 - rng.choices([0, 1, 2, 3, 4], weights=[40, 30, 18, 10, 2])[0],
            "spo2_exertion": 95 - rng.choices([0, 1, 2, 3, 5], weights=[40, 30, 18, 10, 2])[0],
        }
    if rng.random() < 0.3:
        symptoms["dyspnea"] = {"sob_exertion": rng.choices(["none", "moderate"], [90, 10])[0]}
    late = late_share >= 1 or rng.random() < late_share  # no extra draw at the default
    recorded = datetime.now(UTC) - timedelta(
        seconds=rng.randint(60, 86_400) if late else rng.randint(0, 60)
    )
    entry: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "recorded_at": recorded.astimezone(rng.choice(OFFSETS)).isoformat(timespec="seconds"),
        "symptoms": symptoms,
        "medications": {
            "loperamide_mg": rng.choice([2, 4, 8]) if stools else 0,
            "tki_doses_taken": 1,
            "tki_doses_missed": 0,
        },
    }
    if rng.random() < 0.2:
        entry["note"] = "Felt tired after the walk."
    return entry


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    expected_status: int
    authenticated: bool


SCENARIOS: dict[str, Scenario] = {
    "single": Scenario("single", "/api/v1/entries/", 201, True),
    "peer": Scenario("peer", "/bench/peer-entry/", 201, True),
    "batch": Scenario("batch", "/api/v1/entries/batch/", 200, True),
    "bare": Scenario("bare", "/bench/bare-entry/", 201, False),
}

# Issue 17's targets, as ratios of one run: (name, numerator, denominator, what, target).
RATIOS = (
    ("single/peer", "single", "peer", "entries_per_s", ">= 1"),
    ("batch/bare", "batch", "bare", "entries_per_s", ">= 2.5"),
    ("p99 single/peer", "single", "peer", "p99_ms", "< 2"),
)


def ratios(results: list[ScenarioResult]) -> dict[str, float]:
    """The target ratios that this run's scenarios allow (both sides measured)."""
    by_name = {r.name: r for r in results}
    out = {}
    for name, top, bottom, what, _target in RATIOS:
        if top in by_name and bottom in by_name:
            denominator = getattr(by_name[bottom], what)
            if denominator:
                out[name] = round(getattr(by_name[top], what) / denominator, 2)
    return out


@dataclass
class ClientStats:
    latencies: list[float] = field(default_factory=list)
    entries: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    last_end: float = 0.0

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def batch_failures(payload: bytes) -> list[str]:
    """Statuses other than "created" in a batch answer (an invalid entry still answers 200)."""
    results = json.loads(payload)["results"]
    return [f"batch entry {r['status']}" for r in results if r["status"] != "created"]


def client_loop(
    *,
    port: int,
    scenario: Scenario,
    batch_size: int,
    patients: list[tuple[int, str]],
    seed: int,
    start: threading.Barrier,
    stop: threading.Event,
    until: list[float],
    stats: ClientStats,
    late_share: float = 1.0,
) -> None:
    """One client: a connection that sends for its share of the patients, each in turn."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    turn = rng.randrange(len(patients))
    batch = scenario.name == "batch"
    start.wait()
    deadline = until[0]
    while not stop.is_set() and time.perf_counter() < deadline:
        patient_id, token = patients[turn % len(patients)]
        turn += 1
        headers = {"Content-Type": "application/json"}
        path = scenario.path
        if scenario.authenticated:
            headers["Authorization"] = f"Bearer {token}"
        else:
            path = f"{path}?patient={patient_id}"
        if batch:
            payload: Any = {"entries": [make_entry(rng) for _ in range(batch_size)]}
        else:
            payload = make_entry(rng, late_share)
        body = json.dumps(payload).encode()
        began = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            stats.error(type(exc).__name__)
            conn.close()
            continue
        ended = time.perf_counter()
        stats.latencies.append(ended - began)
        stats.last_end = ended
        if response.status != scenario.expected_status:
            stats.error(f"HTTP {response.status}")
            continue
        failures = batch_failures(answer) if batch else []
        for kind in failures:
            stats.error(kind)
        stats.entries += (batch_size if batch else 1) - len(failures)
    conn.close()


def run_load(
    *,
    port: int,
    scenario: Scenario,
    args: argparse.Namespace,
    tokens: list[str],
    patient_ids: list[int],
    seconds: float,
    seed: int,
) -> tuple[list[ClientStats], float]:
    start = threading.Barrier(args.clients + 1)
    stop = threading.Event()
    until = [0.0]
    stats = [ClientStats() for _ in range(args.clients)]
    pool = list(zip(patient_ids, tokens, strict=True))
    threads = [
        threading.Thread(
            target=client_loop,
            kwargs={
                "port": port,
                "scenario": scenario,
                "batch_size": args.batch_size,
                "patients": pool[n :: args.clients],
                "seed": seed * 1000 + n,
                "start": start,
                "stop": stop,
                "until": until,
                "stats": stats[n],
                "late_share": args.late_share,
            },
            daemon=True,
        )
        for n in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    until[0] = began + seconds
    start.wait()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    finally:
        stop.set()
    ended = max([s.last_end for s in stats] + [began])
    return stats, ended - began


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * pct // 100))  # nearest rank
    return sorted_values[int(rank) - 1]


@dataclass
class ScenarioResult:
    name: str
    path: str
    entries_per_request: int
    seconds: float
    requests: int
    entries: int
    entries_per_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: int
    error_kinds: dict[str, int]
    cpu_cores: dict[str, float]
    server_cpu_ms_per_entry: float  # gunicorn + PostgreSQL CPU per entry stored


def run_scenario(
    *,
    port: int,
    scenario: Scenario,
    args: argparse.Namespace,
    patient_ids: list[int],
    server_pid: int,
    seed: int,
) -> ScenarioResult:
    tokens = mint_tokens(patient_ids)
    warmup_errors = 0
    if args.warmup > 0:
        warmup, _ = run_load(
            port=port,
            scenario=scenario,
            args=args,
            tokens=tokens,
            patient_ids=patient_ids,
            seconds=args.warmup,
            seed=seed + 500,
        )
        warmup_errors = sum(s.errors for s in warmup)
    before = cpu_snapshot(server_pid)
    stats, elapsed = run_load(
        port=port,
        scenario=scenario,
        args=args,
        tokens=tokens,
        patient_ids=patient_ids,
        seconds=args.seconds,
        seed=seed,
    )
    after = cpu_snapshot(server_pid)
    latencies = sorted(x for s in stats for x in s.latencies)
    cpu = cpu_shares(before, after)
    server_cores = cpu.get("gunicorn", 0.0) + cpu.get("postgres", 0.0)
    entries = sum(s.entries for s in stats)
    error_kinds: dict[str, int] = {}
    if warmup_errors:
        error_kinds["during warm-up"] = warmup_errors
    for s in stats:
        for kind, n in s.error_kinds.items():
            error_kinds[kind] = error_kinds.get(kind, 0) + n
    ms = 1000.0
    return ScenarioResult(
        name=scenario.name,
        path=scenario.path,
        entries_per_request=args.batch_size if scenario.name == "batch" else 1,
        seconds=round(elapsed, 3),
        requests=len(latencies),
        entries=entries,
        entries_per_s=round(entries / elapsed, 1),
        requests_per_s=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(latencies, 50) * ms, 2),
        p90_ms=round(percentile(latencies, 90) * ms, 2),
        p99_ms=round(percentile(latencies, 99) * ms, 2),
        max_ms=round(latencies[-1] * ms, 2) if latencies else float("nan"),
        mean_ms=round(sum(latencies) / len(latencies) * ms, 2) if latencies else float("nan"),
        errors=sum(s.errors for s in stats) + warmup_errors,
        error_kinds=error_kinds,
        cpu_cores=cpu,
        server_cpu_ms_per_entry=round(server_cores * 1000 / (entries / elapsed), 2)
        if entries
        else float("nan"),
    )


# --- report ---------------------------------------------------------------------------------


def git_state() -> dict[str, Any]:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(changed)}


def print_table(results: list[ScenarioResult]) -> None:
    header = (
        f"{'scenario':<8} {'requests':>8} {'entries/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'errors':>6} {'srv cpu ms/entry':>16}  "
        "cpu (cores): client gunicorn postgres other"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        cpu = r.cpu_cores
        print(
            f"{r.name:<8} {r.requests:>8} {r.entries_per_s:>10.1f} {r.p50_ms:>8.1f} "
            f"{r.p99_ms:>8.1f} {r.max_ms:>8.1f} {r.errors:>6} {r.server_cpu_ms_per_entry:>16.2f}  "
            f"{cpu.get('client', 0):>19.2f} {cpu.get('gunicorn', 0):>8.2f} "
            f"{cpu.get('postgres', 0):>8.2f} {cpu.get('other', 0):>5.2f}"
        )
    measured = ratios(results)
    if measured:
        targets = {name: target for name, *_, target in RATIOS}
        print(
            "Ratios (issue 17): "
            + ", ".join(
                f"{name} {value:.2f} (target {targets[name]})" for name, value in measured.items()
            )
        )
    busy = [r.name for r in results if r.cpu_cores.get("other", 0) > 0.15]
    if busy:
        print(
            f"WARNING: other processes used CPU during {', '.join(busy)}: "
            "those figures are low; run again on a quiet machine."
        )


def grading_version() -> str:
    from diary import grading

    return str(getattr(grading, "GRADING_VERSION", "?"))


def server_description(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    return {
        "argv": " ".join(argv[1:]),
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads,
        "settings": "bench.bench_settings (config.settings + the bare and peer views)",
        "debug": False,
        "conn_max_age": 0 if args.worker_class == "uvicorn" or args.db_pool else 60,
        "db_pool": args.db_pool,
        "worker_timeout_s": 30,
        "log_level": args.log_level,
        "synchronous_commit": args.synchronous_commit,
        "celery": "eager (no REDIS_URL)",
    }


def report(
    args: argparse.Namespace,
    results: list[ScenarioResult],
    server: dict[str, Any],
    pg_version: str,
    rows: dict[str, int],
) -> Path:
    threads = f" ({args.threads} threads)" if args.worker_class == "gthread" else ""
    print()
    print(
        f"Ingest, {args.clients} clients, gunicorn {args.worker_class} x{args.workers}{threads}, "
        f"{os.cpu_count()} CPUs, PostgreSQL {pg_version}, grading {grading_version()}"
    )
    print("Latency is per request (a batch request carries its entries).")
    print("Load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print_table(results)
    print(
        f"Rows at the end: {rows['entries']} entries (by alert level "
        f"{rows['entries_by_alert_level']}), {rows['grades']} grades, "
        f"{rows.get('alerts', 0)} alerts."
    )
    print(f"gunicorn {server['argv']}")
    print(f"Reproduce: {reproduce_command(args)}")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"ingest-{stamp}.json"
    document = {
        "benchmark": "bench/ingest.py",
        "command": reproduce_command(args),
        "started_at": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": pg_version,
        },
        "git": git_state(),
        "grading_version": grading_version(),
        "clients": args.clients,
        "patients": args.patients,
        "history_days": args.history_days,
        "server": server,
        "rows": rows,
        "scenarios": [asdict(r) for r in results],
        "ratios": ratios(results),
        "load_average": os.getloadavg(),
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Results: {out.relative_to(ROOT)}")
    return out


def close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def run(args: argparse.Namespace, log: Any) -> int:
    """Set up, measure and report; the caller stops the server and drops the database."""
    env = server_env(args)
    print(f"Creating database {BENCH_DB} and migrating ...", flush=True)
    pg_version = create_database(args.synchronous_commit)
    migrate(env)
    setup_django(env)
    began = time.perf_counter()
    patient_ids = create_patients(args.patients)
    history = seed_history(patient_ids, args.history_days)
    print(
        f"Enrolled {len(patient_ids)} patients with {history} earlier entries "
        f"in {time.perf_counter() - began:.0f}s.",
        flush=True,
    )
    close_django_connections()  # idle during the runs

    port = free_port()
    argv = gunicorn_argv(args, port)
    server = server_description(args, argv)
    print(f"Starting gunicorn {server['argv']}", flush=True)
    process = start_server(argv, env, log)
    try:
        wait_ready(port, process, args.workers, timeout=60)
        results = []
        for n, name in enumerate(args.scenarios):
            print(f"Running {name} ({args.warmup:g}s warm-up + {args.seconds:g}s) ...", flush=True)
            results.append(
                run_scenario(
                    port=port,
                    scenario=SCENARIOS[name],
                    args=args,
                    patient_ids=patient_ids,
                    server_pid=process.pid,
                    seed=n + 1,
                )
            )
    finally:
        stop_server(process)
    rows = count_rows()
    close_django_connections()
    report(args, results, server, pg_version, rows)

    failed = [r for r in results if r.errors]
    for r in failed:
        print(f"FAILED: {r.name} had {r.errors} errors: {r.error_kinds}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and kill both end in the cleanup below, even when started in the background
    # (where a shell leaves SIGINT ignored).
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    fd, log_name = tempfile.mkstemp(prefix="bench-ingest-gunicorn-", suffix=".log")
    status = 1
    try:
        with os.fdopen(fd, "wb") as log:
            status = run(args, log)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        status = 130
    finally:
        close_django_connections()
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
