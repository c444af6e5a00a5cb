"""The one seam between the diary and the alert pipeline, typed.

``diary`` never imports ``alerts`` (import-linter enforces it). Instead, the alerts app registers
one ``EntriesEvaluator`` when Django starts (``AlertsConfig.ready`` calls ``register_evaluator``)
and ``diary.services`` calls ``evaluate_entries`` inside the transaction that stores new entries,
after their grades are saved. The evaluator applies the alert rules and writes its alerts in that
same transaction, so an accepted entry always has its alerts, and returns a ``ReportOutcome`` per
entry: what the care team was told because of it. ``ReportOutcome.level`` becomes the entry's
``alert_level``; an entry without an outcome is green. With no evaluator registered every entry
is green. This replaced the ``entries_recorded`` signal, whose untyped return value a receiver
had to shape as a dict (docs/decisions.md D43).

A PRO-CTCAE questionnaire response is a report like an entry (reference §5.4): the alerts app
also registers one ``ResponseEvaluator`` (``register_response_evaluator``), which
``diary.questionnaires.submit_response`` calls through ``evaluate_response`` in the transaction
that stores the response; its ``ReportOutcome.level`` becomes the response's ``alert_level``
(D53).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from diary.vocabulary import Level

if TYPE_CHECKING:
    from diary.grading import GradeResult
    from diary.models import DiaryEntry, Patient, QuestionnaireResponse


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """What the care team was told because of one diary entry or questionnaire response.

    ``level``: the highest level newly told (the entry's ``alert_level``; green: nothing).
    ``kinds``: per alert kind, the level the care team was told for it.
    ``codes``: the rule codes that fired for the entry in its evaluation (also those folded as
    expected, which told nobody).
    ``advice``: what the patient is told (reference §5.8), chosen from the same evaluation, in
    the shape stored on the entry: ``{"summary": {"level", "text"}, "items": [{"term",
    "level", "text"}]}``; its level is ``level``.
    """

    level: Level
    kinds: Mapping[str, Level] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
    advice: Mapping[str, Any] = field(default_factory=dict)


class EntriesEvaluator(Protocol):
    """Evaluates newly stored entries of one patient, in the transaction that stores them.

    ``entries`` are (entry, its grades by term); the answer maps entry ids to outcomes, one for
    every entry (an entry left out is green, with no advice)."""

    def __call__(
        self,
        *,
        patient: Patient,
        entries: Sequence[tuple[DiaryEntry, Mapping[str, GradeResult]]],
    ) -> Mapping[UUID, ReportOutcome]: ...


_evaluator: EntriesEvaluator | None = None


def register_evaluator(evaluator: EntriesEvaluator) -> None:
    """Register the one evaluator. Registering the same one again is a no-op (an app's ready()
    may run twice); registering a different one raises, since two pipelines would each write
    alerts for the same entries."""
    global _evaluator
    if _evaluator is not None and _evaluator is not evaluator:
        raise RuntimeError(f"an entries evaluator is already registered: {_evaluator!r}")
    _evaluator = evaluator


def evaluate_entries(
    *,
    patient: Patient,
    entries: Sequence[tuple[DiaryEntry, Mapping[str, GradeResult]]],
) -> Mapping[UUID, ReportOutcome]:
    """The registered evaluator's outcomes for these entries; none (all green) without one."""
    if _evaluator is None:
        return {}
    return _evaluator(patient=patient, entries=entries)


class ResponseEvaluator(Protocol):
    """Evaluates one newly stored PRO-CTCAE questionnaire response of a patient (§5.4), in the
    transaction that stores it; answers what the care team was told because of it."""

    def __call__(self, *, patient: Patient, response: QuestionnaireResponse) -> ReportOutcome: ...


_response_evaluator: ResponseEvaluator | None = None

GREEN_OUTCOME = ReportOutcome(level="green")


def register_response_evaluator(evaluator: ResponseEvaluator) -> None:
    """Register the one response evaluator (same rules as ``register_evaluator``)."""
    global _response_evaluator
    if _response_evaluator is not None and _response_evaluator is not evaluator:
        raise RuntimeError(f"a response evaluator is already registered: {_response_evaluator!r}")
    _response_evaluator = evaluator


def evaluate_response(*, patient: Patient, response: QuestionnaireResponse) -> ReportOutcome:
    """The registered evaluator's outcome for this response; green without one."""
    if _response_evaluator is None:
        return GREEN_OUTCOME
    return _response_evaluator(patient=patient, response=response)
