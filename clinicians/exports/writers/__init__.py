"""The export formats. Each writer streams records from ``clinicians.exports.source`` into one
file (a zip of CSVs, or a FHIR JSON Bundle) without holding the data in memory, and calls
``tick()`` once per source record so the task can report progress."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def zip_csv(archive: zipfile.ZipFile, name: str) -> Iterator[Any]:
    """A csv.writer that streams into one member of ``archive`` (compressed as it goes)."""
    with (
        archive.open(name, "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False) as handle,
    ):
        yield csv.writer(handle)


def open_zip(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
