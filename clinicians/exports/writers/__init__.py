"""The export formats. Each writer streams records from ``clinicians.exports.source`` into one
file (a zip of CSVs, or a FHIR JSON Bundle) without holding the data in memory, and calls
``tick()`` once per source record so the task can report progress."""

from __future__ import annotations

import csv
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

Tick = Callable[[], None]


def text(value: Any) -> str:
    """One CSV cell: booleans as true/false, nothing as an empty cell."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


class BufferedCsv:
    """A csv writer whose text is collected, encoded and handed to ``sink`` about every
    ``flush_at`` characters: memory stays bounded, and the sink sees few large writes."""

    def __init__(self, sink: Callable[[bytes], Any], flush_at: int = 1 << 20) -> None:
        self.sink = sink
        self.flush_at = flush_at
        self.parts: list[str] = []
        self.size = 0
        self.writer = csv.writer(self)  # it calls self.write with each rendered line

    def writerow(self, row: Iterable[Any]) -> None:
        self.writer.writerow(row)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        self.writer.writerows(rows)

    def write(self, text: str) -> None:
        """Rendered CSV lines (from the csv writer, or a hot loop using ``cell``)."""
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.flush_at:
            self.flush()

    def flush(self) -> None:
        self.sink("".join(self.parts).encode("utf-8"))
        self.parts = []
        self.size = 0


_SPECIAL = re.compile(r'[,"\r\n]')


def cell(value: Any) -> str:
    """One CSV field as csv.writer renders it (minimal quoting), with ``text``'s conventions.

    For hot loops that render whole lines with f-strings instead of calling the csv module.
    """
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        if _SPECIAL.search(value):
            return '"' + value.replace('"', '""') + '"'
        return value
    return str(value)


@lru_cache(maxsize=4096)
def cached_cell(value: str) -> str:
    """``cell`` of a string from a small vocabulary (terms, field names, versions)."""
    return cell(value)


@contextmanager
def zip_csv(archive: zipfile.ZipFile, name: str) -> Iterator[BufferedCsv]:
    """A CSV writer that streams into one member of ``archive`` (compressed as it goes, by a
    second thread: see ``write_behind``)."""
    with archive.open(name, "w", force_zip64=True) as raw, write_behind(raw.write) as sink:
        out = BufferedCsv(sink)
        yield out
        out.flush()


@contextmanager
def write_behind(
    write: Callable[[bytes], Any], depth: int = 2
) -> Iterator[Callable[[bytes], None]]:
    """A sink that hands its blocks to ``write`` in a thread, at most ``depth`` blocks behind.

    Deflate, the zip's CRC and the file write run in C without the GIL, so compressing a large
    export overlaps with rendering it (on another core) instead of following it. The thread's
    error, if any, is raised in the caller's thread at its next block or at the end.
    """
    blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
    failed: list[BaseException] = []

    def run() -> None:
        while (block := blocks.get()) is not None:
            if not failed:  # after an error, drain until the end so that puts never block
                try:
                    write(block)
                except BaseException as exc:
                    failed.append(exc)

    def put(block: bytes) -> None:
        if failed:
            raise failed[0]
        blocks.put(block)

    thread = threading.Thread(target=run, name="export-write-behind", daemon=True)
    thread.start()
    try:
        yield put
    finally:
        blocks.put(None)
        thread.join()
    if failed:
        raise failed[0]


def open_zip(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
