"""Where the grading tests find the reference's example files.

tests/data/ holds copies of the shared TSVs so that a checkout without ../shared still runs;
../shared/clinical/ (beside the repository) is the fallback and holds the reference documents.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "clinical"


def data_file(name: str) -> Path:
    for folder in (TEST_DATA, SHARED):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} is neither in {TEST_DATA} nor in {SHARED}")


def rows(name: str) -> list[dict[str, str]]:
    with data_file(name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def reference_text(name: str) -> str:
    """A reference document of ../shared/clinical (skips the test without the shared folder)."""
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} is not available (no ../shared beside the repository)")
    return path.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of the markdown section whose heading starts with `heading`."""
    match = re.search(rf"^#+ {re.escape(heading)}.*?$(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    if match is None:
        raise LookupError(heading)
    return match.group(1)


def table_rows(markdown: str) -> list[list[str]]:
    """Cells of the markdown table rows (header and separator rows dropped)."""
    found = []
    for line in markdown.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            cells = line.replace("\\|", "/").strip().strip("|").split("|")
            found.append([cell.strip() for cell in cells])
    return found[1:]
