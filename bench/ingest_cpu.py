"""Server CPU and SQL queries per diary entry, measured in one process (robust under load).

bench/ingest.py measures throughput through gunicorn and needs a quiet machine. This bench
measures what that throughput is made of, in figures that hold up when the machine is shared:
the CPU time one process spends per stored entry (``time.process_time``: Django's request
handling, middleware, JWT, DRF, grading, the alert pipeline, notification delivery run eagerly
on commit, logging at INFO), the CPU of the PostgreSQL backend that served it (from
/proc/<pid>/stat of the connection's backend; PostgreSQL must run on this machine), and the
number of SQL queries per entry (``CaptureQueriesContext``).

Requests go through Django's test client (the full handler and middleware; no HTTP parsing or
socket work, which gunicorn adds in production: the bare scenario bounds that), with settings
as bench/ingest.py runs the server: ``bench.bench_settings``, DEBUG off, persistent
connections with health checks, no ``REDIS_URL`` (Celery tasks eager), INFO logging (to
/dev/null). The database is the same shape: one clinic, patients on three drugs, two weeks of
earlier entries (two a day, graded).

Scenarios, each repeated ``--rounds`` times (the median round is reported):
- single: ``POST /api/v1/entries/``, one realistic entry (bench.ingest.make_entry) per request;
- batch: ``POST /api/v1/entries/batch/``, 100 entries of one patient per request;
- alerting: a single entry that opens a RED alert (SpO2 86 at rest on T-DXd): the alert,
  evidence, audit event, three notifications delivered in the request after commit;
- peer: the plain DRF endpoint of bench/bench_urls.py (ModelSerializer, simplejwt's
  JWTAuthentication, the patient from the user; no grading or alerts), the same bodies as
  single: what a single entry is measured against (issue 17);
- bare: the plain Django view of bench/bench_urls.py (one ORM insert, no DRF, auth, grading):
  the floor.

Usage (results JSON in bench/results/):
    .venv/bin/python bench/ingest_cpu.py
    # = --patients=300 --history-days=14 --single=300 --batches=6 --alerting=40 --bare=300
    #   --peer=300 --rounds=5 --late-share=1
    # --without=PART (pipeline, history, rules, deliveries, lock; repeatable): a what-if run with
    #   that part of the alert pipeline replaced by nothing, to bound what redesigning it could
    #   save (issue 17, D91); its alerts and answers are wrong, its figures are never a result
    # --late-share=0: single entries recorded within the last minute (a phone online)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DB", "toxwatch_bench_ingest_cpu")

from bench import ingest  # noqa: E402  (reads BENCH_DB at import)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--patients", type=int, default=300)
    p.add_argument("--history-days", type=int, default=14)
    p.add_argument("--single", type=int, default=300, help="single entries per round")
    p.add_argument("--batches", type=int, default=6, help="100-entry batches per round")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--alerting", type=int, default=40, help="alert-opening entries per round")
    p.add_argument("--bare", type=int, default=300, help="bare inserts per round")
    p.add_argument("--peer", type=int, default=300, help="plain DRF endpoint entries per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument(
        "--late-share",
        type=float,
        default=1.0,
        help="share of single entries recorded at a random time within the last day (the "
        "rest within the last minute); 1 = all, as before",
    )
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument(
        "--without",
        choices=sorted(WITHOUT),
        action="append",
        default=[],
        help="measure as if this part of the pipeline cost nothing (repeatable; a what-if: "
        "the alerts and answers are then wrong, so it is never a result, only a bound)",
    )
    return p.parse_args(argv)


def _no_pipeline() -> None:
    from diary import evaluation

    evaluation._evaluator = None  # evaluate_entries answers green, reads and writes nothing


def _no_deliveries() -> None:
    from alerts import pipeline

    pipeline.enqueue_deliveries = lambda ids: list(ids)  # type: ignore[assignment]


def _no_history() -> None:
    from alerts import pipeline

    pipeline.history_reports = lambda *args: []  # type: ignore[assignment]


def _no_rules() -> None:
    from alerts import rules

    every = rules.evaluate
    # Nothing fires (so nothing is written because of it); follow-ups still fall due.
    rules.evaluate = lambda snapshot: rules._evaluation(  # type: ignore[assignment]
        rules._normalised(snapshot), []
    )
    assert every is not rules.evaluate


def _no_lock() -> None:
    from django.db import connection

    # No row locks at all: the patient's lock statement is skipped (one process sends every
    # request here, so nothing waits for a lock anyway).
    connection.features.has_select_for_update = False


# What-if switches (--without): each replaces one part of the alert pipeline with nothing, in
# this process only, to bound what any redesign of that part could save (issue 17).
WITHOUT = {
    "pipeline": _no_pipeline,
    "deliveries": _no_deliveries,
    "history": _no_history,
    "rules": _no_rules,
    "lock": _no_lock,
}


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass
class Measured:
    scenario: str
    entries: int
    requests: int
    python_ms_per_entry: float
    postgres_ms_per_entry: float
    server_ms_per_entry: float
    rounds_python_ms: list[float]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        from django.db import connection
        from django.test import Client

        self.args = args
        self.client = Client()
        self.rng = random.Random(1)
        self.connection = connection

    def backend_pid(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return int(cursor.fetchone()[0])

    def post(self, path: str, body: Any, token: str | None) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        response = self.client.post(
            path, data=json.dumps(body), content_type="application/json", **headers
        )
        if response.status_code not in (200, 201):
            raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
        return response

    def tokens(self, patient_ids: list[int]) -> dict[int, str]:
        return dict(zip(patient_ids, ingest.mint_tokens(patient_ids), strict=True))

    def measure(
        self, name: str, requests: list[tuple[str, Any, str | None, int]]
    ) -> tuple[int, float, float]:
        """Send the requests; CPU seconds of this process and of the PostgreSQL backend."""
        pid = self.backend_pid()  # the connection persists (CONN_MAX_AGE) across requests
        pg0, py0 = backend_cpu_seconds(pid), time.process_time()
        for path, body, token, _n in requests:
            self.post(path, body, token)
        py1 = time.process_time()
        pid_after = self.backend_pid()
        pg1 = backend_cpu_seconds(pid) if pid_after == pid else float("nan")
        entries = sum(n for *_, n in requests)
        return entries, py1 - py0, pg1 - pg0


def alerting_body() -> dict[str, Any]:
    recorded = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": recorded.isoformat(timespec="seconds"),
        "symptoms": {"hypoxia": {"spo2_rest": 86}},
    }


RESERVED: list[int] = []  # T-DXd patients kept out of the other scenarios


def fresh_tdxd_patients(count: int) -> list[int]:
    """Reserved T-DXd patients with no alert yet (each alerting request opens a new one)."""
    from alerts.models import Alert

    busy = set(Alert.objects.filter(patient_id__in=RESERVED).values_list("patient_id", flat=True))
    free = [pk for pk in RESERVED if pk not in busy]
    if len(free) < count:
        raise SystemExit(f"Only {len(free)} reserved patients left without an alert.")
    return free[:count]


def scenario_requests(
    bench: Bench, name: str, patient_ids: list[int], tokens: dict[int, str]
) -> list[tuple[str, Any, str | None, int]]:
    args, rng = bench.args, bench.rng
    if name == "single":
        picks = [rng.choice(patient_ids) for _ in range(args.single)]
        return [
            ("/api/v1/entries/", ingest.make_entry(rng, args.late_share), tokens[p], 1)
            for p in picks
        ]
    if name == "batch":
        out = []
        for _ in range(args.batches):
            p = rng.choice(patient_ids)
            body = {"entries": [ingest.make_entry(rng) for _ in range(args.batch_size)]}
            out.append(("/api/v1/entries/batch/", body, tokens[p], args.batch_size))
        return out
    if name == "alerting":
        fresh = fresh_tdxd_patients(args.alerting)
        fresh_tokens = bench.tokens(fresh)
        return [("/api/v1/entries/", alerting_body(), fresh_tokens[p], 1) for p in fresh]
    if name == "peer":
        picks = [rng.choice(patient_ids) for _ in range(args.peer)]
        return [
            ("/bench/peer-entry/", ingest.make_entry(rng, args.late_share), tokens[p], 1)
            for p in picks
        ]
    if name == "bare":
        picks = [rng.choice(patient_ids) for _ in range(args.bare)]
        return [(f"/bench/bare-entry/?patient={p}", ingest.make_entry(rng), None, 1) for p in picks]
    raise ValueError(name)


def count_queries(bench: Bench, patient_ids: list[int], tokens: dict[int, str]) -> dict[str, Any]:
    """SQL queries per request for a green single entry, an alert-opening one, one adding
    evidence to that open alert, and a batch of 100."""
    from django.test.utils import CaptureQueriesContext

    from diary.services import grade_symptoms  # noqa: F401  (warm imports)

    def queries(path: str, body: Any, token: str | None) -> int:
        with CaptureQueriesContext(bench.connection) as ctx:
            bench.post(path, body, token)
        return len(ctx.captured_queries)

    rng = random.Random(7)
    green = {
        "id": str(uuid.uuid4()),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "symptoms": {"fatigue": {"fatigue": False}},
    }
    patient = patient_ids[0]
    # Warm the request path once (first-request imports and caches).
    bench.post("/api/v1/entries/", {**green, "id": str(uuid.uuid4())}, tokens[patient])
    fresh = fresh_tdxd_patients(1)[0]
    fresh_token = bench.tokens([fresh])[fresh]
    result = {
        "single_green": queries("/api/v1/entries/", green, tokens[patient]),
        "single_alert_opening": queries("/api/v1/entries/", alerting_body(), fresh_token),
        "single_evidence_on_open_alert": queries("/api/v1/entries/", alerting_body(), fresh_token),
        "peer": queries("/bench/peer-entry/", {**green, "id": str(uuid.uuid4())}, tokens[patient]),
    }
    batch = {"entries": [ingest.make_entry(rng) for _ in range(bench.args.batch_size)]}
    n = queries("/api/v1/entries/batch/", batch, tokens[patient_ids[1]])
    result["batch_request"] = n
    result["batch_per_entry"] = round(n / bench.args.batch_size, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    env_args = argparse.Namespace(worker_class="sync", db_pool=False, log_level="INFO")
    env = ingest.server_env(env_args)
    print(f"Creating database {ingest.BENCH_DB} and migrating ...", flush=True)
    pg_version = ingest.create_database("on")
    try:
        ingest.migrate(env)
        ingest.setup_django(env)
        for part in args.without:
            WITHOUT[part]()
        import logging

        # INFO as the server logs (one line per stored entry), written to /dev/null.
        logging.getLogger().setLevel(logging.INFO)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
        began = time.perf_counter()
        # Every third enrolled patient is on T-DXd: enough extra ones for the alerting runs.
        reserve = args.alerting * args.rounds + 2
        all_ids = ingest.create_patients(args.patients + 3 * reserve)
        history = ingest.seed_history(all_ids, args.history_days)
        patient_ids = all_ids[: args.patients]
        from diary.models import Patient

        RESERVED.extend(
            Patient.objects.filter(
                pk__in=all_ids[args.patients :], courses__drug="trastuzumab_deruxtecan"
            ).values_list("pk", flat=True)
        )
        print(
            f"Enrolled {len(all_ids)} patients with {history} earlier entries "
            f"in {time.perf_counter() - began:.0f}s.",
            flush=True,
        )
        bench = Bench(args)
        tokens = bench.tokens(patient_ids)
        # Warm-up: imports, caches, the connection.
        for request in scenario_requests(bench, "single", patient_ids, tokens)[:20]:
            bench.post(*request[:3])
        queries = count_queries(bench, patient_ids, tokens)
        results = []
        per_round: dict[str, list[tuple[int, float, float]]] = {}
        sent: dict[str, int] = {}
        for _round in range(args.rounds):
            for name in ("single", "peer", "batch", "alerting", "bare"):
                requests = scenario_requests(bench, name, patient_ids, tokens)
                per_round.setdefault(name, []).append(bench.measure(name, requests))
                sent[name] = len(requests)
        for name, rounds in per_round.items():
            py = [1000 * p / n for n, p, _ in rounds]
            pg = [1000 * g / n for n, _, g in rounds]
            results.append(
                Measured(
                    scenario=name,
                    entries=rounds[0][0],
                    requests=sent[name],
                    python_ms_per_entry=round(statistics.median(py), 2),
                    postgres_ms_per_entry=round(statistics.median(pg), 2),
                    server_ms_per_entry=round(statistics.median(py) + statistics.median(pg), 2),
                    rounds_python_ms=[round(v, 2) for v in py],
                )
            )
        report(args, results, queries, pg_version)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            ingest.drop_database()
    return 0


def report(
    args: argparse.Namespace, results: list[Measured], queries: dict[str, Any], pg: str
) -> None:
    print()
    if args.without:
        print(f"WHAT-IF RUN, not a result: without {', '.join(args.without)} (--without)")
    print("CPU per stored entry (median of rounds; CPU time, not wall time)")
    print(f"{'scenario':<10} {'entries':>8} {'python ms':>10} {'postgres ms':>12} {'total ms':>9}")
    for r in results:
        print(
            f"{r.scenario:<10} {r.entries:>8} {r.python_ms_per_entry:>10.2f} "
            f"{r.postgres_ms_per_entry:>12.2f} {r.server_ms_per_entry:>9.2f}"
            f"   rounds (python): {r.rounds_python_ms}"
        )
    by_name = {r.scenario: r.server_ms_per_entry for r in results}
    if by_name.get("peer") and by_name.get("bare"):
        print(
            f"CPU ratios: single/peer {by_name['single'] / by_name['peer']:.2f}, "
            f"batch/bare {by_name['batch'] / by_name['bare']:.2f} (CPU per entry; issue 17's "
            "throughput targets, on CPU alone: single/peer <= 1, batch/bare <= 0.4)"
        )
    print("Load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print()
    print("SQL queries per request:", json.dumps(queries))
    command = " ".join(
        [".venv/bin/python bench/ingest_cpu.py"]
        + [
            f"--{k.replace('_', '-')}={v}"
            for k, v in vars(args).items()
            if k not in ("keep", "without")
        ]
        + [f"--without={part}" for part in args.without]
    )
    print(f"\nReproduce: BENCH_DB={ingest.BENCH_DB} {command}")
    ingest.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = ingest.RESULTS_DIR / f"ingest-cpu-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "postgres": pg,
                "git": ingest.git_state(),
                "results": [asdict(r) for r in results],
                "queries": queries,
                "load_average": os.getloadavg(),
            },
            indent=2,
            default=str,
        )
    )
    print(f"Results: {out}")


if __name__ == "__main__":
    sys.exit(main())
