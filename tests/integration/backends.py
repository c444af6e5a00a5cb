"""Notification backends for the integration worker (tests/integration/worker_settings.py).

They run in the worker process, so they talk to the tests through files in the directory named
by ``TOXWATCH_TEST_DIR``: every send call appends ``<channel> <key>`` to ``sends.log`` (ids only,
never patient data), and the dashboard backend can be told to hold a send, so that a test can
kill the worker in the middle of a task.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from alerts.notify import DashboardBackend

if TYPE_CHECKING:
    from alerts.models import Notification

# A held send waits this long at most, then carries on: a test that forgot to kill the worker
# still finishes.
HOLD_SECONDS = 60.0


def test_dir() -> Path:
    return Path(os.environ["TOXWATCH_TEST_DIR"])


def record(channel: str, key: str) -> None:
    # One short O_APPEND write per line: lines from the worker's processes never interleave.
    with open(test_dir() / "sends.log", "a") as log:
        log.write(f"{channel} {key}\n")


def hold_if_asked(when: str, key: str) -> None:
    """Hold the send when the file ``hold-<when>`` exists ("before" or "after" the push)."""
    if not (test_dir() / f"hold-{when}").exists():
        return
    (test_dir() / f"entered-{key}").touch()
    deadline = time.monotonic() + HOLD_SECONDS
    while time.monotonic() < deadline and (test_dir() / f"hold-{when}").exists():
        time.sleep(0.05)


class Recording:
    def send(self, notification: Notification, *, key: str) -> None:
        record(notification.channel, key)


class GatedDashboard(DashboardBackend):
    """The real dashboard push, recorded, optionally held before or after it is made."""

    def send(self, notification: Notification, *, key: str) -> None:
        record(notification.channel, key)
        hold_if_asked("before", key)
        super().send(notification, key=key)
        hold_if_asked("after", key)
