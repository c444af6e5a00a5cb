"""SAS transport (XPORT) version 5 files, written by pyreadstat (ReadStat), in bounded memory.

pyreadstat writes a whole data frame at once, and a large export's FA dataset has millions of
records. So a dataset is written in chunks of ``CHUNK_ROWS`` records, each by pyreadstat into
a file of its own, and the chunks' observation records are joined after the first file's
headers. This is sound for version 5 because (SAS TS-140): the headers do not hold the number
of observations; observations are fixed-length records laid end to end after the
``OBS HEADER RECORD``; and only the file's end is padded to 80 bytes, with blanks. Every chunk
has the same record layout because each character variable's length is set by the caller (the
longest value in the whole dataset) and a chunk's first value is blank-padded to it (SAS stores
character values blank-padded; readers strip the blanks). ``CHUNK_ROWS`` is a multiple of 80,
so a full chunk's records fill whole 80-byte lines and need no padding: the joined file is byte
for byte what one pyreadstat call would write.

The records come from the dataset's CSV work file (``CsvWorkFile``), which notes where each
chunk starts; each chunk is parsed by pandas' C reader straight into the data frame pyreadstat
takes (D72), and ``measure`` gives the longest value of each variable from the same chunks, for
the transport file's layout and define.xml.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
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


class CsvWorkFile:
    """A dataset's CSV (header, then one line per record) written to ``path``, noting the
    byte offset where every ``CHUNK_ROWS`` records start: the transport file's chunks."""

    def __init__(self, path: Path, names: Sequence[str], flush_at: int = 1 << 20) -> None:
        self.path = path
        self.handle = path.open("wb")
        self.parts: list[str] = []
        self.size = 0
        self.flush_at = flush_at
        self.writer = csv.writer(self)  # it calls self.write with each rendered line
        self.writer.writerow(names)
        self.flush()
        self.offsets = [self.handle.tell()]  # where each chunk starts, then the end
        self.count = 0
        self.chunk_rows = CHUNK_ROWS

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.flush_at:
            self.flush()

    def flush(self) -> None:
        self.handle.write("".join(self.parts).encode("utf-8"))
        self.parts = []
        self.size = 0

    def writerow(self, cells: Sequence[Any]) -> None:
        self.writer.writerow(cells)
        self.count += 1
        if self.count % self.chunk_rows == 0:
            self.flush()
            self.offsets.append(self.handle.tell())

    def close(self) -> None:
        if self.handle.closed:
            return
        self.flush()
        end = self.handle.tell()
        if end != self.offsets[-1]:
            self.offsets.append(end)
        self.handle.close()


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
    handle, name = tempfile.mkstemp(suffix=".csv", dir=workdir)
    os.close(handle)
    work = CsvWorkFile(Path(name), dataset.names)
    try:
        for row in rows:
            work.writerow(row)
        work.close()
        write_file(dataset, work, lengths, out.write, workdir=workdir)
    finally:
        work.close()
        os.unlink(name)


def chunks(
    dataset: Dataset, work: CsvWorkFile, *, text_only: bool = False
) -> Iterator[pd.DataFrame]:
    """The work file's records, ``CHUNK_ROWS`` at a time, as data frames parsed by pandas' C
    reader: text variables as str ("" when empty), numeric ones as float64 (NaN when empty;
    pandas 3 parses them correctly rounded, as ``float`` does), or every variable as text."""
    numeric = [] if text_only else [v.name for v in dataset.variables if v.numeric]
    dtypes = {v.name: "float64" if v.name in numeric else object for v in dataset.variables}
    with work.path.open("rb") as handle:
        for start, end in itertools.pairwise(work.offsets):
            handle.seek(start)
            yield pd.read_csv(
                io.BytesIO(handle.read(end - start)),
                header=None,
                names=dataset.names,
                dtype=dtypes,
                keep_default_na=False,
                na_values={name: [""] for name in numeric},
                engine="c",
            )


def measure(dataset: Dataset, work: CsvWorkFile) -> list[int]:
    """The longest value of each variable, in characters (as written in the CSV)."""
    lengths = [0] * len(dataset.variables)
    for frame in chunks(dataset, work, text_only=True):
        longest = [max(map(len, frame[name].to_numpy()), default=0) for name in dataset.names]
        lengths = list(map(max, lengths, longest))
    return lengths


def write_file(
    dataset: Dataset,
    work: CsvWorkFile,
    lengths: Sequence[int],
    out: Callable[[bytes], object],
    *,
    workdir: Path,
) -> None:
    """Write the work file's records as ``dataset``'s transport file, block by block, to
    ``out`` (a file's ``write``, or a write-behind sink)."""
    widths = [max(1, n) for n in lengths]
    labels: dict[str, str | None] = {v.name: v.label for v in dataset.variables}
    layout: bytes | None = None
    for chunk in chunks(dataset, work):
        for index, variable in enumerate(dataset.variables):
            if not variable.numeric:  # the variable's length (see above)
                chunk.iat[0, index] = chunk.iat[0, index].ljust(widths[index])
        body = _pyreadstat_bytes(chunk, dataset, labels, workdir)
        start = body.index(OBS_HEADER)
        described = body[body.index(NAMESTR_HEADER) : start]
        if layout is None:
            layout = described
            out(body)
        elif described != layout:
            raise LayoutChanged(dataset.name)
        else:
            out(body[start + len(OBS_HEADER) :])
    if layout is None:
        out(_pyreadstat_bytes(_empty(dataset), dataset, labels, workdir))


def _empty(dataset: Dataset) -> pd.DataFrame:
    """No records: pyreadstat gives each character variable length 1, as define.xml does."""
    columns = {
        v.name: pd.Series([], dtype="float64" if v.numeric else "object") for v in dataset.variables
    }
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
