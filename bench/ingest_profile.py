"""Where a diary entry's CPU goes: cProfile over one process sending entries (issue 17).

Same set-up as bench/ingest_cpu.py (a fresh PostgreSQL database, ``bench.bench_settings``,
DEBUG off, INFO logging to /dev/null, patients with two weeks of history, the bodies of
``bench.ingest.make_entry``), then ``--requests`` single entries (or batches) through Django's
test client under cProfile with ``time.process_time`` as its timer, after a warm-up. Prints the
functions with the most cumulative and own time; ``--out`` keeps the pstats file.

    .venv/bin/python bench/ingest_profile.py [--scenario single|batch|peer] [--requests 300]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DB", "toxwatch_bench_ingest_profile")

from bench import ingest  # noqa: E402  (reads BENCH_DB at import)

PATHS = {
    "single": "/api/v1/entries/",
    "batch": "/api/v1/entries/batch/",
    "peer": "/bench/peer-entry/",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scenario", choices=sorted(PATHS), default="single")
    p.add_argument("--patients", type=int, default=100)
    p.add_argument("--history-days", type=int, default=14)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--late-share", type=float, default=1.0)
    p.add_argument("--limit", type=int, default=40, help="rows per listing")
    p.add_argument("--out", help="write the pstats file here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    env = ingest.server_env(
        argparse.Namespace(worker_class="sync", db_pool=False, log_level="INFO")
    )
    ingest.create_database("on")
    try:
        ingest.migrate(env)
        ingest.setup_django(env)
        logging.getLogger().setLevel(logging.INFO)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
        from django.test import Client

        patient_ids = ingest.create_patients(args.patients)
        ingest.seed_history(patient_ids, args.history_days)
        tokens = dict(zip(patient_ids, ingest.mint_tokens(patient_ids), strict=True))
        client = Client()
        rng = random.Random(1)
        path = PATHS[args.scenario]

        def body() -> object:
            if args.scenario == "batch":
                return {"entries": [ingest.make_entry(rng) for _ in range(100)]}
            return ingest.make_entry(rng, args.late_share)

        def requests(n: int) -> list[tuple[str, str]]:
            return [(json.dumps(body()), tokens[rng.choice(patient_ids)]) for _ in range(n)]

        def send(batch: list[tuple[str, str]]) -> None:
            for data, token in batch:
                response = client.post(
                    path,
                    data=data,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                )
                if response.status_code not in (200, 201):
                    raise SystemExit(f"{response.status_code} {response.content[:300]!r}")

        send(requests(args.warmup))
        todo = requests(args.requests)
        profiler = cProfile.Profile(time.process_time)
        began = time.process_time()
        profiler.runcall(send, todo)
        spent = time.process_time() - began
        entries = args.requests * (100 if args.scenario == "batch" else 1)
        print(
            f"{args.scenario}: {args.requests} requests, {1000 * spent / entries:.2f} ms of "
            f"python CPU per entry under the profiler; load average "
            "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        )
        stats = pstats.Stats(profiler)
        if args.out:
            stats.dump_stats(args.out)
        stats.sort_stats("cumulative").print_stats(args.limit)
        stats.sort_stats("tottime").print_stats(args.limit)
    finally:
        from django.db import connections

        connections.close_all()
        ingest.drop_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
