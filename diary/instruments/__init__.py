"""Questionnaires as versioned data (pure Python, no Django; import-linter enforces it).

EORTC QLQ-C30 and QLQ-LC13, the PRO-CTCAE item sets per drug, an overall quality-of-life rating
and an ECOG self-report: item codes, response ranges, branching and scoring, plus the schedule
arithmetic (occasions, windows, states). See docs/architecture.md, "Questionnaires".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from diary.instruments import proctcae
from diary.instruments.base import EnableWhen, Instrument, Item, ResponseScale, Scale, Scores
from diary.instruments.eortc import QLQ_C30, QLQ_LC13
from diary.instruments.schedule import (
    Cadence,
    Occasion,
    ScheduleSpec,
    default_schedules,
    local_day,
    occasion_on,
    occasions,
    window_bounds,
)
from diary.instruments.single import ECOG_SELF, QOL_RATING

ALL: tuple[Instrument, ...] = (QLQ_C30, QLQ_LC13, QOL_RATING, ECOG_SELF, *proctcae.INSTRUMENTS)

# Every version ever shipped stays here, so stored responses keep their definition; a new
# version of an instrument is added beside the old one, never edited in place.
INSTRUMENTS: Mapping[tuple[str, str], Instrument] = MappingProxyType(
    {instrument.key: instrument for instrument in ALL}
)
CURRENT: Mapping[str, Instrument] = MappingProxyType({i.code: i for i in ALL})


def get(code: str, version: str | None = None) -> Instrument:
    """An instrument by code, at a version or the current one (KeyError when unknown)."""
    if version is None:
        return CURRENT[code]
    return INSTRUMENTS[(code, version)]


def proctcae_for(drug_key: str | None) -> str:
    return proctcae.BY_DRUG.get(drug_key or "other", proctcae.BY_DRUG["other"])


def schedules_for(drug_key: str | None, *, brain_metastases: bool) -> tuple[ScheduleSpec, ...]:
    return default_schedules(
        drug_key, brain_metastases=brain_metastases, proctcae_instrument=proctcae_for(drug_key)
    )


__all__ = [
    "ALL",
    "CURRENT",
    "INSTRUMENTS",
    "Cadence",
    "EnableWhen",
    "Instrument",
    "Item",
    "Occasion",
    "ResponseScale",
    "Scale",
    "ScheduleSpec",
    "Scores",
    "get",
    "local_day",
    "occasion_on",
    "occasions",
    "proctcae_for",
    "schedules_for",
    "window_bounds",
]
