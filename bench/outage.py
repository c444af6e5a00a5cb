"""A Redis outage under load (issue 12, "Done when"): what patients are answered, and how soon the
care team's backlog clears once Redis returns.

Starts a private redis-server (broker and cache), a web server (uvicorn, ASGI), a Celery worker and
beat, all on a fresh PostgreSQL database; posts diary entries (a third of them RED) from several
patients at a steady rate (each patient's first RED opens a new alert, so notifications keep
coming); stops Redis for ``--outage`` seconds and starts it again; then
reports the answers by status during and outside the outage and the time from Redis's return
until no notification created before it is left undelivered.

    .venv/bin/python bench/outage.py                  # 180 s outage, 4 clients, 2 entries/s each
    .venv/bin/python bench/outage.py --outage 30      # a quicker look

Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and redis-server on PATH. Only loopback addresses.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402
import httpx  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()  # tests.integration.infra imports the models; this process touches no database

from tests.integration.infra import RedisServer, free_port, wait_until  # noqa: E402

DATABASE = "toxwatch_bench_outage"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=180.0, help="seconds Redis is down")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=2.0, help="entries per second per client")
    parser.add_argument("--before", type=float, default=20.0, help="seconds of load before")
    parser.add_argument("--after", type=float, default=40.0, help="seconds of load after")
    args = parser.parse_args()

    total = args.before + args.outage + args.after
    workdir = Path(f"/tmp/toxwatch-outage-{os.getpid()}")
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE])
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    redis_server = RedisServer(workdir)
    redis_server.start()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": redis_server.url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TOXWATCH_AUTH_THROTTLE": "100000/min",  # the bench enrols hundreds of phones at once
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    # Enough patients that every entry opens a new alert (new notifications all along).
    patients = args.clients + int(args.clients * args.rate * total / 3)
    clients = subprocess.run(
        [python, "-c", ENROL.format(n=patients)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bin_ = ROOT / ".venv" / "bin"
    processes = [
        subprocess.Popen(
            [str(bin_ / "uvicorn"), "config.asgi:application", "--port", str(port)]
            + ["--no-proxy-headers", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=open(workdir / "web.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        ),
        # Under a supervisor, as in production (docs/operations.md): kombu 5.7's Redis transport
        # can end the worker when the broker goes away with messages unacknowledged.
        subprocess.Popen(
            [
                "bash",
                "-c",
                f"while true; do {bin_}/celery -A config worker --concurrency=2"
                " -l WARNING; echo worker-exited; sleep 1; done",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(workdir / "worker.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
        subprocess.Popen(
            [str(bin_ / "celery"), "-A", "config", "beat", "-l", "WARNING"]
            + ["--schedule", str(workdir / "beat-schedule")],
            cwd=ROOT,
            env=env,
            stdout=open(workdir / "beat.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        wait_until(lambda: _up(base), what="the web server", timeout=60)
        tokens = [_token(base, code) for code in clients]
        answers: list[tuple[float, int]] = []
        stop = threading.Event()
        start = time.monotonic()
        threads = [
            threading.Thread(
                target=_post_loop,
                args=(base, tokens[i :: args.clients], args.rate, stop, answers, start),
            )
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(args.before)
        down_at = time.monotonic() - start
        redis_server.stop()
        time.sleep(args.outage)
        redis_server.start()
        up_at = time.monotonic() - start
        cleared = _backlog_cleared(env, python, datetime.now(UTC), limit=args.after)
        time.sleep(max(0.0, args.after - (time.monotonic() - start - up_at)))
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        for process in processes:
            if process.args[0] == "bash":  # the supervisor loop and its worker
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        redis_server.stop()

    during = Counter(code for t, code in answers if down_at <= t < up_at)
    outside = Counter(code for t, code in answers if not down_at <= t < up_at)
    print(f"outage: {args.outage:.0f} s; clients: {args.clients} at {args.rate}/s each")
    print(f"answers during the outage: {dict(during)}")
    print(f"answers outside it: {dict(outside)}")
    print(f"not 2xx: {sum(n for c, n in (during + outside).items() if not 200 <= c < 300)}")
    print(f"backlog cleared {cleared:.1f} s after Redis returned")
    print(f"reproduce: .venv/bin/python bench/outage.py --outage {args.outage:.0f}")


ENROL = """
import django; django.setup()
from diary import services
from diary.models import Clinic
defaults = {{"name": "Outage", "phone_24h": "1"}}
clinic, _ = Clinic.objects.get_or_create(code="OUT", defaults=defaults)
for i in range({n}):
    patient, code = services.enroll_patient(clinic=clinic, drug="trastuzumab_deruxtecan",
        baseline=services.Baseline(spo2_rest=97, spo2_exertion=95))
    print(code)
"""


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def _token(base: str, code: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/enroll/", json={"code": code, "password": "outage-bench-pass-1"}
    )
    answer.raise_for_status()
    return str(answer.json()["access"])


SYMPTOMS = (
    {"hypoxia": {"spo2_rest": 86}},  # RED
    {"diarrhea": {"stools_over_baseline": 5}},  # AMBER
    {"fatigue": {"fatigue": False}},  # GREEN
)


def _post_loop(
    base: str,
    tokens: list[str],
    rate: float,
    stop: threading.Event,
    answers: list[tuple[float, int]],
    start: float,
) -> None:
    """Each patient in turn reports a RED, an AMBER and a GREEN entry."""
    with httpx.Client(timeout=30) as client:
        n = 0
        while not stop.is_set():
            token = tokens[(n // len(SYMPTOMS)) % len(tokens)]
            body = {
                "id": str(uuid.uuid4()),
                "recorded_at": datetime.now(UTC).isoformat(),
                "symptoms": SYMPTOMS[n % len(SYMPTOMS)],
            }
            sent = time.monotonic() - start
            try:
                code = client.post(
                    f"{base}/api/v1/entries/",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                ).status_code
            except httpx.HTTPError:
                code = 0
            answers.append((sent, code))
            n += 1
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - start - sent)))


def _backlog_cleared(env: dict[str, str], python: str, since: datetime, limit: float) -> float:
    """Seconds from Redis's return until no notification created before it is undelivered
    (polled every second while the load goes on; inf if not within ``limit``)."""
    count = [python, "manage.py", "shell", "-c", UNDELIVERED.format(since=since.isoformat())]
    started = time.monotonic()
    while time.monotonic() - started < limit:
        out = subprocess.run(count, cwd=ROOT, env=env, capture_output=True, text=True).stdout
        if out.strip().splitlines()[-1:] == ["0"]:  # the shell also prints what it imported
            return time.monotonic() - started
        time.sleep(1)
    return float("inf")


UNDELIVERED = (
    "from datetime import datetime; from alerts.models import Notification; "
    "print(Notification.objects.filter(sent_at=None, failed_at=None, "
    "created_at__lte=datetime.fromisoformat('{since}')).count())"
)


if __name__ == "__main__":
    main()
