"""grade(term, inputs): the CTCAE grade of one term from its answers.

The rules are data (diary/grading/ctcae.py); this module only evaluates them. Each term is
compiled once into a `_Grader`. A result depends only on which criteria were met, so results are
immutable and shared: the common path allocates nothing but a bitmask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from diary.grading.ctcae import RULES, TERMS
from diary.grading.rules import Need, Rules, Values
from diary.grading.terms import FieldSpec, TermSpec

CTCAE_VERSION = "5.0"
# Stored beside every grade. Bump whenever a rule, range or follow-up condition changes.
GRADING_VERSION = "2026.12.1"

Status = Literal["graded", "insufficient", "not_graded"]


@dataclass(frozen=True, slots=True)
class GradeResult:
    term: str
    grade: int | None
    status: Status
    criteria: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    ctcae_version: str = CTCAE_VERSION

    def as_dict(self) -> dict[str, object]:
        """The shape of api.md ("grades" of a diary entry)."""
        shape: dict[str, object] = {
            "grade": self.grade,
            "status": self.status,
            "criteria": list(self.criteria),
        }
        if self.status == "insufficient":
            shape["missing"] = list(self.missing)
        shape["ctcae_version"] = self.ctcae_version
        return shape


def _candidates(spec: FieldSpec) -> tuple[object, ...]:
    """Answers that span a follow-up's effect: every choice, or both ends of a range. Criteria
    only compare a number with thresholds, so the extremes reach every grade it can set."""
    if spec.kind == "bool":
        return (False, True)
    if spec.kind == "choice":
        return spec.choices
    return (spec.minimum, spec.maximum)


class _Grader:
    __slots__ = (
        "checks",
        "denied",
        "denied_by",
        "grades",
        "insufficient",
        "needs",
        "not_graded",
        "prepare",
        "requires",
        "results",
        "term",
        "texts",
        "tops",
    )

    def __init__(self, spec: TermSpec, rules: Rules) -> None:
        self.term = spec.name
        self.not_graded = GradeResult(spec.name, None, "not_graded") if spec.alert_only else None
        self.requires = tuple(
            (1 << i, r.condition.met, r.ask) for i, r in enumerate(rules.requires)
        )
        self.checks = tuple((1 << i, c.condition.met) for i, c in enumerate(rules.criteria))
        self.grades = tuple(c.grade for c in rules.criteria)
        self.texts = tuple(c.text for c in rules.criteria)
        self.needs: tuple[tuple[Need, tuple[object, ...]], ...] = tuple(
            (n, _candidates(spec.fields[n.field])) for n in rules.needs
        )
        self.prepare = rules.prepare
        self.denied_by = rules.denied_by
        self.denied = (
            GradeResult(spec.name, 0, "graded"),
            GradeResult(
                spec.name,
                0,
                "graded",
                (
                    f"{spec.label} denied ({rules.denied_by}: no): the other answers are not "
                    "graded; ask again",
                ),
            ),
        )
        self.results: dict[int, GradeResult] = {}
        self.tops: dict[int, int] = {}
        self.insufficient: dict[tuple[str, ...], GradeResult] = {}

    def grade(self, inputs: Mapping[str, object]) -> GradeResult:
        if self.not_graded is not None:
            return self.not_graded
        unmet = 0
        for bit, met, _ in self.requires:
            if not met(inputs):
                unmet |= bit
        if unmet:
            return self._insufficient(
                tuple(f for bit, _, ask in self.requires if unmet & bit for f in ask)
            )
        if self.denied_by is not None and inputs.get(self.denied_by) is False:
            # §1.2 denied-symptom rule [D]: no grade above 0 rests on a denied symptom. When
            # other answers would grade it, the contradiction is named so someone asks again.
            return self.denied[self._grade_of(self._mask(inputs)) > 0]
        values: Values = inputs
        if self.prepare is not None:
            prepared = self.prepare(inputs)
            if prepared is None:  # answers present but unusable (e.g. a baseline weight of 0)
                return self._insufficient(tuple(f for _, _, ask in self.requires for f in ask))
            values = prepared
        mask = self._mask(values)
        if self.needs:
            missing, mask = self._follow_ups(values, mask)
            if missing:
                return self._insufficient(missing)
        result = self.results.get(mask)
        if result is None:
            result = self.results[mask] = self._result(mask)
        return result

    def _mask(self, values: Values) -> int:
        mask = 0
        for bit, met in self.checks:
            if met(values):
                mask |= bit
        return mask

    def _grade_of(self, mask: int) -> int:
        top = self.tops.get(mask)
        if top is None:
            top = self.tops[mask] = max(
                (g for i, g in enumerate(self.grades) if mask >> i & 1), default=0
            )
        return top

    def _follow_ups(self, values: Values, mask: int) -> tuple[tuple[str, ...], int]:
        """Follow-ups not answered whose answer could still change the grade, and the criteria
        met whatever the answers to the others are (their answers agree on one grade)."""
        missing: list[str] = []
        for need, candidates in self.needs:
            if values.get(need.field) is not None or not need.when.met(values):
                continue
            trial = dict(values)
            masks = []
            for candidate in candidates:
                trial[need.field] = candidate
                masks.append(self._mask(trial))
            top = self._grade_of(masks[0])
            if any(self._grade_of(m) != top for m in masks):
                missing.append(need.field)
                continue
            common = masks[0]
            for m in masks:
                common &= m
            # Show the criteria met whatever the answer; if none of them reaches the agreed
            # grade, those met with the first possible answer.
            mask = common if self._grade_of(common) == top else masks[0]
        return tuple(missing), mask

    def _insufficient(self, missing: tuple[str, ...]) -> GradeResult:
        result = self.insufficient.get(missing)
        if result is None:
            result = self.insufficient[missing] = GradeResult(
                self.term, None, "insufficient", missing=missing
            )
        return result

    def _result(self, mask: int) -> GradeResult:
        top = self._grade_of(mask)
        met = (t for i, t in enumerate(self.texts) if mask >> i & 1 and self.grades[i] == top)
        return GradeResult(self.term, top, "graded", tuple(dict.fromkeys(met)))


_GRADERS = {name: _Grader(spec, RULES[name]) for name, spec in TERMS.items()}


def grade(term: str, inputs: Mapping[str, object]) -> GradeResult:
    """The CTCAE v5.0 grade of `term` from its answers (validate them first, validate_inputs).

    `criteria` holds the CTCAE wording of every criterion met at the returned grade. Unknown
    term: ValueError. Alert-only terms (reference §5.7) are `not_graded`.
    """
    grader = _GRADERS.get(term)
    if grader is None:
        raise ValueError(f"Unknown CTCAE term: {term!r}")
    return grader.grade(inputs)
