"""Instruments as versioned data: items, response scales, branching and scoring (pure Python).

An instrument is identified by its code and version. Its items carry codes, response ranges and
branching rules, never licensed wording: clinics load item text (``InstrumentText``); items that
are ours or in the public domain carry a default text. Answers are coded integers keyed by item
code; ``Instrument.check`` gives field errors, ``Instrument.score`` the scores by scale code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

ScaleKind = Literal["functional", "symptom", "global", "summary", "composite", "rating"]
Scores = dict[str, float | int | None]


@dataclass(frozen=True, slots=True)
class ResponseScale:
    """The answers an item takes: whole numbers from ``minimum`` to ``maximum``.

    ``labels`` (one per value) are shipped only when they are public (PRO-CTCAE answer words,
    ECOG grades, our own items); licensed labels are loaded as text under ``{code}.{value}``.
    """

    code: str
    minimum: int
    maximum: int
    labels: tuple[str, ...] | None = None
    ncit_codes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        size = self.maximum - self.minimum + 1
        for values in (self.labels, self.ncit_codes):
            if values is not None and len(values) != size:
                raise ValueError(f"Scale {self.code}: {len(values)} labels for {size} values")

    @property
    def values(self) -> range:
        return range(self.minimum, self.maximum + 1)

    def label(self, value: int) -> str | None:
        return self.labels[value - self.minimum] if self.labels else None

    def ncit_code(self, value: int) -> str | None:
        return self.ncit_codes[value - self.minimum] if self.ncit_codes else None


@dataclass(frozen=True, slots=True)
class EnableWhen:
    """Ask the item only when the answer to ``item`` is greater than ``greater_than``
    (FHIR Questionnaire ``enableWhen`` with operator ``>``)."""

    item: str
    greater_than: int


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    scale: ResponseScale
    label: str  # a short public label (a symptom and attribute, a scale name), never wording
    required: bool = True
    enable_when: EnableWhen | None = None
    text: str | None = None  # default wording, only for items whose wording is not licensed
    group: str | None = None  # e.g. the PRO-CTCAE symptom the item belongs to
    ncit_code: str | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """A score the instrument reports, from 0 to 100 unless ``maximum`` says otherwise."""

    code: str
    label: str
    kind: ScaleKind
    items: tuple[str, ...]
    higher_is_better: bool
    minimum: int = 0
    maximum: int = 100


Scorer = Callable[[Mapping[str, int]], Scores]


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    source: str
    recall: str
    licensed: bool  # True: the wording may not be shipped; clinics load it
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    scorer: Scorer = field(repr=False)

    def __post_init__(self) -> None:
        codes = [item.code for item in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: duplicate item codes")
        for item in self.items:
            if item.enable_when is not None and item.enable_when.item not in codes:
                raise ValueError(f"{self.code}: {item.code} depends on an unknown item")
        for scale in self.scales:
            unknown = set(scale.items) - set(codes)
            if unknown:
                raise ValueError(f"{self.code}: scale {scale.code} uses unknown items {unknown}")

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.version)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def check(self, answers: Mapping[str, object]) -> dict[str, list[str]]:
        """Field errors of a set of answers keyed by item code ({} when they are acceptable).

        An answer is a whole number in the item's range; ``None`` means "not answered" and is
        allowed for optional items only. Branching is enforced both ways: a follow-up must be
        answered when its condition holds and must be left out when it does not.
        """
        errors: dict[str, list[str]] = {}
        known = {item.code: item for item in self.items}
        for code in answers:
            if code not in known:
                errors[str(code)] = ["Unknown item for this questionnaire."]
        given: dict[str, int] = {}
        for code, value in answers.items():
            item = known.get(code)
            if item is None or value is None:
                continue
            if type(value) is not int or value not in item.scale.values:
                errors[code] = [
                    f"Answer with a whole number from {item.scale.minimum} to {item.scale.maximum}."
                ]
                continue
            given[code] = value
        for item in self.items:
            if item.code in errors:
                continue
            condition = item.enable_when
            if condition is not None:
                trigger = given.get(condition.item)
                enabled = trigger is not None and trigger > condition.greater_than
                if not enabled:
                    if answers.get(item.code) is not None:
                        errors[item.code] = [
                            f"Leave this out: it is asked only when {condition.item} is above "
                            f"{condition.greater_than}."
                        ]
                    continue
            if item.required and item.code not in given:
                errors[item.code] = ["Answer this question."]
        if not errors and not given:
            errors[""] = ["Answer at least one question."]
        return errors

    def clean(self, answers: Mapping[str, object]) -> dict[str, int]:
        """The answered items only (``None`` dropped), in item order; call after ``check``."""
        order = {item.code: position for position, item in enumerate(self.items)}
        kept = {
            code: value for code, value in answers.items() if type(value) is int and code in order
        }
        return dict(sorted(kept.items(), key=lambda pair: order[pair[0]]))

    def score(self, answers: Mapping[str, int]) -> Scores:
        return self.scorer(answers)
