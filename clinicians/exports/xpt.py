"""SAS transport (XPORT) version 5 files, written by pyreadstat (ReadStat), in bounded memory.

pyreadstat writes a whole DataFrame at once, and a large export's FA dataset has millions of
records. So a dataset is written in chunks of ``CHUNK_ROWS`` records, each by pyreadstat into
a file of its own, and the chunks' observation records are joined after the first file's
headers. This is sound for version 5 because (SAS TS-140): the headers do not hold the number
of observations; observations are fixed-length records laid end to end after the
``OBS HEADER RECORD``; and only the file's end is padded to 80 bytes, with blanks. Every chunk
has the same record layout because each character variable's length is set by the caller (the
longest value in the whole dataset, measured while its CSV was written) and a chunk's first
value is blank-padded to it (SAS stores character values blank-padded; readers strip the
blanks). ``CHUNK_ROWS`` is a multiple of 80, so a full chunk's records fill whole 80-byte lines
and need no padding: the joined file is byte for byte what one pyreadstat call would write.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyreadstat

from clinicians.exports.sdtmig import Dataset

CHUNK_ROWS = 80 * 50  # a multiple of 80 (see above); 4,000 records: memory stays flat
OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
NAMESTR_HEADER = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"


class LayoutChanged(ValueError):
    """A chunk's variables came out longer than the lengths given (a value longer in UTF-8
    bytes than in characters): joining it would corrupt the file, so the export stops."""


def write(
    dataset: Dataset,
    rows: Iterable[Sequence[str]],
    lengths: Sequence[int],
    out: IO[bytes],
    *,
    workdir: Path,
) -> None:
    """Write ``rows`` (CSV text cells, in ``dataset``'s variable order) as ``dataset``'s
    transport file to ``out``. ``lengths``: the longest value of each variable (characters)."""
    variables = dataset.variables
    widths = [max(1, n) for n in lengths]
    labels: dict[str, str | None] = {v.name: v.label for v in variables}
    layout: bytes | None = None
    for chunk in _chunks(rows, CHUNK_ROWS):
        data = _frame(dataset, chunk, widths)
        body = _pyreadstat_bytes(data, dataset, labels, workdir)
        start = body.index(OBS_HEADER)
        described = body[body.index(NAMESTR_HEADER) : start]
        if layout is None:
            layout = described
            out.write(body)
        elif described != layout:
            raise LayoutChanged(dataset.name)
        else:
            out.write(body[start + len(OBS_HEADER) :])
    if layout is None:
        out.write(_pyreadstat_bytes(_frame(dataset, [], widths), dataset, labels, workdir))


def _chunks(rows: Iterable[Sequence[str]], size: int) -> Iterator[list[Sequence[str]]]:
    chunk: list[Sequence[str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _frame(dataset: Dataset, chunk: list[Sequence[str]], widths: Sequence[int]) -> pd.DataFrame:
    """A chunk as pyreadstat takes it: numbers as float64 (NaN when empty), text as str. In an
    empty dataset pyreadstat gives each character variable length 1, as define.xml does."""
    columns: dict[str, Any] = {}
    for index, variable in enumerate(dataset.variables):
        values = [row[index] for row in chunk]
        if variable.numeric:
            numbers = [float(v) if v != "" else math.nan for v in values]
            columns[variable.name] = pd.Series(numbers, dtype="float64")
        else:
            if values:
                values[0] = values[0].ljust(widths[index])  # the variable's length (see above)
            columns[variable.name] = pd.Series(values, dtype="object")
    return pd.DataFrame(columns, columns=dataset.names)


def _pyreadstat_bytes(
    data: pd.DataFrame, dataset: Dataset, labels: dict[str, str | None], workdir: Path
) -> bytes:
    handle, name = tempfile.mkstemp(suffix=".xpt", dir=workdir)
    os.close(handle)
    try:
        pyreadstat.write_xport(
            data,
            name,
            file_label=dataset.label[:40],
            column_labels=labels,
            table_name=dataset.name,
            file_format_version=5,
        )
        return Path(name).read_bytes()
    finally:
        os.unlink(name)


def read(path: Path) -> tuple[list[dict[str, Any]], Any]:
    """A transport file's records (for tests and checks) and pyreadstat's metadata."""
    frame, meta = pyreadstat.read_xport(str(path))
    return frame.to_dict("records"), meta


def csv_rows(path: Path) -> Iterator[list[str]]:
    """A dataset's CSV body (header skipped) as lists of cells."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        yield from reader
