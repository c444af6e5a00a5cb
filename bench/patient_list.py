"""bench/patient_list: how fast the patient list answers on a large programme (issue 15, item 7).

Target: with 2,000 patients with contact details, 1,000,000 diary entries and 100,000 alerts in
PostgreSQL, the patient list (/staff/patients/) answers in under 100 ms at p99, searches and
filters included, with a number of queries that does not depend on the data.

The data is bench/dashboard.py's (its ``seed``, in SQL: 4 clinics of 500 patients, 1,000,000
entries, 100,000 alerts with their evidence and trail), plus the contact details of all 2,000
patients through ``identity.services.save_contact`` (encrypted under a bench key set in
TOXWATCH_IDENTITY_KEYS, blind-indexed). A nurse of one clinic (500 patients, 20 pages) signs in
through the form; each page is requested one at a time after a few unmeasured ones, each time
with a patient drawn at random for the searches. A search is timed as the nurse does it: the
form's POST (the text never goes into an address, D76) and the GET of the list it redirects to.

  list            GET /staff/patients/                       the first page
  list page 15    GET /staff/patients/?page=15
  name search     POST q=<a surname>, then GET the list it redirects to (?search=<token>)
  number search   POST q=<hospital number>, then GET          exact number (blind index)
  study number    POST q=<NORTH-0123>, then GET               substring of the study number
  open RED        GET /staff/patients/?alerts=red
  no diary 7 d    GET /staff/patients/?diary=none
  drug + AMBER    GET /staff/patients/?drug=zongertinib&alerts=amber

The number of SQL queries of each page (for a search: of the list's GET) is counted in this
process (Django's test client, DEBUG off) for two different requests of it; they must be
equal. Results go to bench/results/patient_list-<timestamp>.json; the database is dropped at
the end (``--keep``).

    .venv/bin/python bench/patient_list.py [--requests 300] [--workers 4] [--keep | --reuse]
    (BENCH_DB=<name> to use another database name; default toxwatch_bench_patient_list)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DB", "toxwatch_bench_patient_list")

from bench import dashboard, ingest  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
TARGET_P99_MS = 100.0
# A fixed key (bench data only), so that --reuse opens what --keep kept.
IDENTITY_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"toxwatch bench patient_list").digest()
).decode()
CLINIC = dashboard.CLINICS[1][0]

FIRST = ["Ada", "Bernard", "Chiara", "Dmitri", "Eleanor", "Farid", "Greta", "Hamish", "Ines",
         "Jonas", "Keiko", "Lars", "Mariam", "Nikolai", "Olwen", "Pavel", "Quentin", "Rosa",
         "Sanjay", "Tilde"]  # fmt: skip
LAST = ["Okafor", "Whitlock", "Benedetti", "Volkov", "Ashdown", "Haddad", "Lindqvist",
        "MacTavish", "Moreau", "Brandt", "Tanaka", "Eriksen", "Sayegh", "Orlov", "Pryce",
        "Novak", "Delacroix", "Ferreira", "Raman", "Kowalczyk", "Adebayo", "Castellano",
        "Dubois", "Fitzgerald", "Gallagher"]  # fmt: skip


def contact_of(n: int) -> Any:
    from identity.models import Contact

    first, last = FIRST[n % len(FIRST)], LAST[(n * 7) % len(LAST)]
    return Contact(
        name=f"{first} {LAST[(n * 3) % len(LAST)]}-{last}" if n % 9 == 0 else f"{first} {last}",
        hospital_number=f"RX{n:07d}",
        phone=f"+44 20 7946 0{n % 1000:03d}",
        other_phone=f"07700 900{n % 1000:03d}",
        preferred_language="English",
        emergency_name=f"{FIRST[(n + 5) % len(FIRST)]} {last}",
        emergency_phone=f"07700 900{(n + 500) % 1000:03d}",
    )


def seed_contacts() -> int:
    from diary.models import Patient
    from identity.services import save_contact

    began = time.perf_counter()
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    for patient in Patient.objects.filter(pk__in=ids).order_by("pk"):
        save_contact(patient=patient, contact=contact_of(patient.pk), user=None)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE identity_patientidentity")
        cursor.execute("VACUUM ANALYZE identity_nametoken")
    print(f"  contact details of {len(ids)} patients in {time.perf_counter() - began:.0f}s")
    return len(ids)


@dataclass
class Sample:
    nurse: str
    surnames: list[str]
    numbers: list[str]
    subjects: list[str]


def sample() -> Sample:
    from diary.models import Patient

    patients = list(Patient.objects.filter(clinic__code=CLINIC).values_list("pk", "subject_id"))
    return Sample(
        nurse=f"nurse1-{CLINIC.lower()}",
        surnames=sorted({contact_of(pk).name.split()[-1] for pk, _ in patients}),
        numbers=[contact_of(pk).hospital_number for pk, _ in patients],
        subjects=[subject for _, subject in patients],
    )


PAGES = [
    ("list", "/staff/patients/"),
    ("list page 15", "/staff/patients/?page=15"),
    ("name search", "POST q={surname}"),
    ("number search", "POST q={number}"),
    ("study number", "POST q={subject}"),
    ("open RED", "/staff/patients/?alerts=red"),
    ("no diary 7 d", "/staff/patients/?diary=none"),
    ("drug + AMBER", "/staff/patients/?drug=zongertinib&alerts=amber"),
]


def url(pattern: str, s: Sample, rng: random.Random) -> str:
    return pattern.format(
        surname=rng.choice(s.surnames),
        number=rng.choice(s.numbers),
        subject=rng.choice(s.subjects),
    )


SEARCH = "POST q="


def search_address(client: Any, text: str) -> str:
    """POST the search form (Django's test client or httpx with a session) and return the
    list's address it redirects to."""
    if isinstance(client, httpx.Client):
        answer = client.post(
            "/staff/patients/",
            data={"q": text, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
            headers={"Referer": f"{client.base_url}/staff/patients/"},
        )
    else:
        answer = client.post("/staff/patients/", {"q": text})
    if answer.status_code != 302:
        raise SystemExit(f"the search answered {answer.status_code}")
    return str(answer.headers["Location"])


def count_queries(s: Sample) -> dict[str, list[int]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=s.nurse))
    rng = random.Random(7)
    counts: dict[str, list[int]] = {}
    for name, pattern in PAGES:
        counts[name] = []
        for _ in range(2):
            target = url(pattern, s, rng)
            if target.startswith(SEARCH):
                target = search_address(client, target.removeprefix(SEARCH))
            with CaptureQueriesContext(connection) as captured:
                response = client.get(target)
            if response.status_code != 200:
                raise SystemExit(f"{target} answered {response.status_code} in-process")
            counts[name].append(len(captured.captured_queries))
    return counts


@dataclass
class Timing:
    page: str
    pattern: str
    requests: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    queries: list[int]
    meets_target: bool


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per page")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=1)
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument("--keep", action="store_true", help="keep the database afterwards")
    keep.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep")
    return parser.parse_args(argv)


def reproduce_command(args: argparse.Namespace) -> str:
    return (
        f"BENCH_DB={dashboard.BENCH_DB} .venv/bin/python bench/patient_list.py "
        f"--requests={args.requests} --warmup={args.warmup} --workers={args.workers} "
        f"--seed={args.seed}"
    )


def run(args: argparse.Namespace, log: Any) -> int:
    env = dashboard.server_env()
    env["TOXWATCH_IDENTITY_KEYS"] = os.environ.get("TOXWATCH_IDENTITY_KEYS") or IDENTITY_KEY
    os.environ["TOXWATCH_IDENTITY_KEYS"] = env["TOXWATCH_IDENTITY_KEYS"]
    if args.reuse:
        pg = dashboard.server_version()
        ingest.migrate(env)
        ingest.setup_django(env)
        rows = dashboard.count_rows()
    else:
        print(f"Creating database {dashboard.BENCH_DB} and migrating ...", flush=True)
        pg = dashboard.recreate_database()
        ingest.migrate(env)
        ingest.setup_django(env)
        began = time.perf_counter()
        print("Loading the data ...", flush=True)
        dashboard.seed()
        seed_contacts()
        rows = dashboard.count_rows()
        print(f"Loaded {rows} in {time.perf_counter() - began:.0f}s", flush=True)
    from identity.models import PatientIdentity

    rows["contacts"] = PatientIdentity.objects.count()
    s = sample()
    queries = count_queries(s)
    ingest.close_django_connections()

    process, port = dashboard.start_gunicorn(args.workers, env, log)
    rng = random.Random(args.seed)
    timings = []
    load_before = os.getloadavg()
    try:
        ingest.wait_ready(port, process, args.workers, timeout=60)
        client = dashboard.sign_in(f"http://127.0.0.1:{port}", s.nurse)
        client.get("/staff/patients/")  # the CSRF cookie for the search form
        for name, pattern in PAGES:
            print(f"Timing {name} ({args.warmup} + {args.requests} requests) ...", flush=True)
            times = []
            for n in range(args.warmup + args.requests):
                target = url(pattern, s, rng)
                began = time.perf_counter()
                if target.startswith(SEARCH):
                    target = search_address(client, target.removeprefix(SEARCH))
                response = client.get(target)
                took = (time.perf_counter() - began) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{target} answered {response.status_code}")
                if n >= args.warmup:
                    times.append(took)
            times.sort()
            p99 = ingest.percentile(times, 99)
            counted = queries[name]
            timings.append(
                Timing(
                    page=name,
                    pattern=pattern,
                    requests=len(times),
                    p50_ms=round(statistics.median(times), 1),
                    p90_ms=round(ingest.percentile(times, 90), 1),
                    p99_ms=round(p99, 1),
                    max_ms=round(times[-1], 1),
                    queries=counted,
                    meets_target=p99 < TARGET_P99_MS and len(set(counted)) == 1,
                )
            )
        client.close()
    finally:
        ingest.stop_server(process)
    load_after = os.getloadavg()

    print()
    print(
        f"Patient list, one nurse ({CLINIC}: 500 patients), requests one at a time; gunicorn "
        f"sync x{args.workers}, DEBUG off, {os.cpu_count()} CPUs, PostgreSQL {pg}"
    )
    print(
        f"Data: {rows['patients']:,} patients ({rows['contacts']:,} with contact details), "
        f"{rows['entries']:,} entries, {rows['alerts']:,} alerts ({rows['active_alerts']:,} "
        f"active)"
    )
    print(f"Load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    header = f"{'page':<14} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} queries  target"
    print(header)
    print("-" * len(header))
    for t in timings:
        print(
            f"{t.page:<14} {t.p50_ms:>7.1f} {t.p90_ms:>7.1f} {t.p99_ms:>7.1f} {t.max_ms:>7.1f} "
            f"{', '.join(map(str, t.queries)):>7}  {'ok' if t.meets_target else 'MISSED'}"
        )
    print(f"Reproduce: {reproduce_command(args)}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"patient_list-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "bench/patient_list.py",
                "command": reproduce_command(args),
                "started_at": stamp,
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "postgresql": pg,
                    "load_average_before_after": [load_before, load_after],
                },
                "git": ingest.git_state(),
                "rows": rows,
                "pages": [asdict(t) for t in timings],
                "target_p99_ms": TARGET_P99_MS,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Results: {out.relative_to(ROOT)}")
    return 0 if all(t.meets_target for t in timings) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return dashboard.run_main(run, args, "bench-patient-list")


if __name__ == "__main__":
    sys.exit(main())
