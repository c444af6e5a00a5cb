"""Real processes for the integration tests (a private Redis, a Celery worker), the pipeline
they make with the test database, and the steps the tests share.

Both run as child processes in their own process group, so that stopping one (or killing it,
as a crash would) takes every process it started with it. The Redis server is private to the
test session, on a free port: the fault tests stop and restart it without touching the
machine's shared Redis.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kombu
import redis

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until[T](
    condition: Callable[[], T], *, what: str, timeout: float = 20.0, interval: float = 0.05
) -> T:
    """Poll until `condition()` is truthy and return it; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def die_with_parent() -> None:
    """In the child before exec: SIGKILL it if the test process dies without cleaning up."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _start(argv: list[str], *, env: dict[str, str] | None, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: see _end
            preexec_fn=die_with_parent,
        )


def _end(process: subprocess.Popen[bytes] | None, sig: int, timeout: float = 15.0) -> None:
    """Signal the whole process group and wait until none of its processes is left."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def group_gone() -> bool:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        return False

    if not group_gone():  # e.g. pool children still exiting after their parent
        time.sleep(0.5)
        if not group_gone():
            os.killpg(process.pid, signal.SIGKILL)
        wait_until(group_gone, what=f"process group {process.pid} to exit", timeout=10)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def forget_outage() -> None:
    """This process skips the broker and the live announcements for a few seconds after they
    failed (alerts.delivery, alerts.live): once the test has restarted Redis, it need not wait."""
    from alerts import delivery, live

    delivery._broker_down_until = 0.0
    live._down_until = 0.0


class RedisServer:
    """A throwaway redis-server: no persistence, so stopping it loses what it held."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.log = workdir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.client = redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=0.5
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        argv += ["--dir", str(self.workdir)]
        self.process = _start(argv, env=None, log=self.log)
        wait_until(self.is_up, what=f"redis-server on port {self.port}\n{tail(self.log)}")
        forget_outage()

    def stop(self) -> None:
        _end(self.process, signal.SIGTERM)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def is_up(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def queued(self) -> int:
        """Messages waiting in any queue (kombu keeps each queue as a Redis list)."""
        lists = [key for key in self.client.scan_iter() if self.client.type(key) == b"list"]
        return sum(int(self.client.llen(key)) for key in lists)

    def unacked(self) -> int:
        """Messages a worker took and has not acknowledged (acks_late: until the task ends)."""
        return int(self.client.hlen("unacked"))

    def drained(self) -> bool:
        return self.queued() == 0 and self.unacked() == 0


class Worker:
    """`celery -A config worker` (prefork, as in production) with the given environment."""

    def __init__(self, *, env: dict[str, str], workdir: Path, concurrency: int = 2) -> None:
        self.env = env
        self.log = workdir / "worker.log"
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        argv = [CELERY, "-A", "config", "worker", "--pool=prefork"]
        argv += [f"--concurrency={self.concurrency}", "--loglevel=INFO"]
        argv += [f"--hostname=itest-{uuid.uuid4().hex[:8]}@%h"]
        # No mingle, gossip or heartbeats: one worker alone, and it starts a second sooner.
        argv += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        self.process = _start(argv, env=self.env, log=self.log)

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited at start:\n{tail(self.log)}")
            with open(self.log, "rb") as log:
                log.seek(offset)
                return b" ready." in log.read()

        wait_until(ready, what=f"the Celery worker to be ready\n{tail(self.log)}", timeout=30)

    def stop(self) -> None:
        """Warm shutdown: the worker finishes its tasks, then exits."""
        _end(self.process, signal.SIGTERM)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once, as the OOM killer or a lost node would."""
        _end(self.process, signal.SIGKILL)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def read_sends(workdir: Path) -> Counter[tuple[str, str]]:
    """How many times each (channel, key) was sent by the worker's backends."""
    try:
        lines = (workdir / "sends.log").read_text().splitlines()
    except FileNotFoundError:
        return Counter()
    return Counter((channel, key) for channel, key in (line.split() for line in lines))


@dataclass
class Pipeline:
    redis: RedisServer
    worker: Worker
    workdir: Path

    def sends(self) -> Counter[tuple[str, str]]:
        return read_sends(self.workdir)

    def hold(self, when: str) -> None:
        """Make the worker's dashboard backend wait "before" or "after" its push."""
        (self.workdir / f"hold-{when}").touch()

    def release(self) -> None:
        for path in self.workdir.glob("hold-*"):
            path.unlink()

    def entered(self, key: str) -> bool:
        return (self.workdir / f"entered-{key}").exists()

    def wait_drained(self, timeout: float = 20.0) -> None:
        """Wait until no message is queued or being worked on (twice in a row: a message is
        briefly in neither place while the worker moves it from the queue to its unacked set)."""

        def idle_twice() -> bool:
            if not self.redis.drained():
                return False
            time.sleep(0.1)
            return self.redis.drained()

        wait_until(idle_twice, what="the worker to finish every queued task", timeout=timeout)

    def redeliver_unacked(self) -> None:
        """What the broker does with a dead worker's messages once the visibility timeout
        (5 minutes) has passed, done now: kombu's own restore, with a timeout of zero."""
        options = {"visibility_timeout": 0}
        with kombu.Connection(self.redis.url, transport_options=options) as connection:
            connection.default_channel.qos.restore_visible(num=100, interval=1)  # type: ignore[attr-defined]


def database_url(db: dict[str, Any]) -> str:
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}{port}/{quote(db['NAME'])}"


def use_broker(url: str) -> None:
    """Point this process's Celery app at `url`, dropping pooled connections to the old one."""
    from config.celery import app

    app.conf.broker_url = url  # type: ignore[misc]
    if app._pool is not None:  # type: ignore[attr-defined]
        app._pool.force_close_all()  # type: ignore[attr-defined]
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
    # kombu keeps producer pools per broker URL process-wide: without this, switching back
    # would reuse the one whose connections were closed above ("Acquire on closed pool").
    kombu.pools.reset()


# --- steps the tests share ------------------------------------------------------------------

ENTRIES = "/api/v1/entries/"
TDXD = "trastuzumab_deruxtecan"
LOW_RESTING_SPO2 = {"hypoxia": {"spo2_rest": 86}}  # RED "ild" on T-DXd


def post_red_entry(client: Any) -> float:
    """POST an entry that raises a RED alert; returns how long the API took to answer."""
    from tests.helpers import entry_body

    began = time.perf_counter()
    response = client.post(ENTRIES, entry_body(symptoms=LOW_RESTING_SPO2), format="json")
    took = time.perf_counter() - began
    assert response.status_code == 201, response.content
    assert response.json()["alert_level"] == "red"
    return took


def wait_delivered(notifications: Any, what: str, timeout: float = 20.0) -> None:
    wait_until(
        lambda: not notifications.filter(sent_at=None).exists(),
        what=f"the worker to deliver {what}",
        timeout=timeout,
    )


def assert_each_sent_once(pipeline: Pipeline, notifications: Any) -> None:
    """Delivered, by one send on the first attempt, and one dashboard push for a push."""
    from alerts.models import DashboardPush

    sends = pipeline.sends()
    for n in notifications:
        assert n.sent_at is not None and n.failed_at is None, (n.channel, n.pk)
        # sends.log is written by the worker's backends only: the worker sent it, once.
        assert sends[(n.channel, str(n.pk))] == 1, (n.channel, n.pk, sends)
        assert n.attempts == 1, (n.channel, n.pk)
        if n.channel == "dashboard":
            assert DashboardPush.objects.filter(key=str(n.pk)).count() == 1
