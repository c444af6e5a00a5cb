"""The export's plumbing for large files: reading ahead, compressing behind, counting progress."""

from __future__ import annotations

import threading

import pytest

from clinicians.exports import services
from clinicians.exports.source import read_ahead
from clinicians.exports.writers import write_behind


def threads_named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_read_ahead_yields_every_chunk_in_order_and_ends_at_the_first_empty_one():
    chunks = iter([[1, 2], [3], [], [4]])
    assert list(read_ahead(lambda: next(chunks))) == [[1, 2], [3]]
    assert next(chunks) == [4]  # nothing fetched after the empty chunk
    assert threads_named("export-read-ahead") == []


def test_read_ahead_raises_the_fetch_error_in_the_callers_thread():
    chunks = iter([[1]])

    def fetch():
        return next(chunks, None) or (_ for _ in ()).throw(ConnectionError("gone"))

    seen = []
    with pytest.raises(ConnectionError, match="gone"):
        for chunk in read_ahead(fetch):
            seen.append(chunk)
    assert seen == [[1]]
    assert threads_named("export-read-ahead") == []


def test_read_ahead_stopped_early_leaves_no_thread_behind():
    calls = []

    def fetch():
        calls.append(1)
        return [len(calls)]  # never ends by itself

    reader = read_ahead(fetch)
    assert next(reader) == [1]
    reader.close()
    assert threads_named("export-read-ahead") == []
    assert len(calls) <= 3  # one chunk ahead at most, plus the one being put


def test_write_behind_writes_every_block_in_order():
    written: list[bytes] = []
    with write_behind(written.append) as put:
        for n in range(50):
            put(b"%d," % n)
    assert b"".join(written) == b"".join(b"%d," % n for n in range(50))
    assert threads_named("export-write-behind") == []


def test_write_behind_raises_the_write_error_and_never_hangs():
    def write(block: bytes) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), write_behind(write, depth=1) as put:
        for _ in range(100):  # the error surfaces at a later put or at the end
            put(b"x")
    assert threads_named("export-write-behind") == []


def test_progress_is_saved_every_so_many_records_and_when_time_has_passed(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(services, "PROGRESS_EVERY_ROWS", 250)
    saved: list[int] = []
    progress = services.Progress("id", lambda _, done: saved.append(done))  # type: ignore[arg-type]
    for _ in range(600):
        progress.tick()
    assert saved == [300, 600]  # the count is looked at every 100 records
    clock[0] += services.PROGRESS_EVERY_SECONDS + 1
    for _ in range(99):
        progress.tick()
    assert saved == [300, 600]
    progress.tick()
    assert saved == [300, 600, 700]
