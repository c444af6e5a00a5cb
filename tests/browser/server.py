"""The real ToxWatch server for the browser tests, and the browser itself.

`AppServer` runs what ``make run`` runs (scripts/serve.sh): uvicorn serving ``config.asgi``,
DEBUG on as in the demo, persistent connections off as under ASGI, on a free port, against the
test database pytest-django created. Tasks run in the server's process (eager), unless the run
is an integration run on PostgreSQL: then a private Redis and a real Celery worker deliver the
alert's notifications, as in production (tests/integration/infra.py).

Chromium is Debian's package (``apt-get install chromium``), driven by the ``playwright``
package; Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.infra import (
    ROOT,
    RedisServer,
    Worker,
    _end,
    _start,
    free_port,
    tail,
    wait_until,
)

CHROMIUM = os.environ.get("TOXWATCH_CHROMIUM", "/usr/bin/chromium")
# Set by .ci/run: there a missing browser fails the browser tests instead of skipping them.
BROWSER_REQUIRED = os.environ.get("TOXWATCH_BROWSER") == "1"
# Headless, and quiet: without the background-networking flags Chromium keeps trying to reach
# Google's services, which this network does not have.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UVICORN = str(Path(sys.executable).parent / "uvicorn")
ARTIFACTS = ROOT / "test-artifacts" / "browser"  # git-ignored


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (make install)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def sqlite_url(name: str) -> str:
    return f"sqlite:///{name}"


class AppServer:
    """uvicorn on config.asgi, as scripts/serve.sh starts it, with an optional Celery worker."""

    def __init__(self, *, database_url: str, workdir: Path, with_worker: bool) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.redis: RedisServer | None = None
        self.worker: Worker | None = None
        self.with_worker = with_worker
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DJANGO_ENV", "CELERY_TASK_ALWAYS_EAGER", "REDIS_URL", "DJANGO_DB_POOL"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database_url,
            DJANGO_DEBUG="1",  # as `make run`: static files served by config/asgi.py
            DJANGO_CONN_MAX_AGE="0",  # as scripts/serve.sh: no persistent connections under ASGI
            DJANGO_LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        self.env = env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mode(self) -> str:
        return "Celery worker and Redis" if self.with_worker else "tasks in-process"

    def start(self) -> None:
        if self.with_worker:
            if shutil.which("redis-server") is None:
                raise RuntimeError("integration run: needs the redis-server binary on PATH")
            self.redis = RedisServer(self.workdir)
            self.redis.start()
            self.env["REDIS_URL"] = self.redis.url
            self.worker = Worker(env=self.env, workdir=self.workdir)
            self.worker.start()
        argv = [UVICORN, "config.asgi:application", "--host", "127.0.0.1", f"--port={self.port}"]
        argv += ["--lifespan=off", "--timeout-graceful-shutdown=2"]
        self.process = _start(argv, env=self.env, log=self.log)

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn exited at start:\n{tail(self.log)}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, what=f"uvicorn to answer\n{tail(self.log)}", timeout=30)

    def wait_idle(self) -> None:
        """No task queued or running (the database is about to be flushed)."""
        if self.redis is None or not self.redis.running:
            return

        def idle_twice() -> bool:
            assert self.redis is not None
            if not self.redis.drained():
                return False
            time.sleep(0.1)  # a message is briefly in neither place while it is taken
            return self.redis.drained()

        wait_until(idle_twice, what="the worker to finish its tasks", timeout=20)

    def stop(self) -> None:
        _end(self.process, signal.SIGTERM)
        self.process = None
        if self.worker is not None:
            self.worker.stop()
        if self.redis is not None:
            self.redis.stop()

    def logs(self, lines: int = 30) -> str:
        parts = [f"--- server.log\n{tail(self.log, lines)}"]
        if self.worker is not None:
            parts.append(f"--- worker.log\n{tail(self.worker.log, lines)}")
        return "\n".join(parts)
