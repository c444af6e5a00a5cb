"""The alert rule set of reference §5: plain data and pure functions (standard library and
diary.vocabulary only; import-linter and tests/alerts/test_rules.py hold it to that).

One module per reference section, each with its predicates directly above their rule rows:

- ``ild``: §5.2 ILD suspicion
- ``gi``: §5.3 diarrhea, vomiting, nausea, dehydration; ``fever``: §5.3 fever
- ``organs``: §5.3 hepatotoxicity and LV dysfunction
- ``proctcae``: §5.4 PRO-CTCAE composites
- ``cns``: §5.5 CNS watch (brain metastases)
- ``medication``: §5.6 adherence, loperamide and the time-based missed diary
- ``measures``: how severe each fired AMBER trigger is (§5.2 expected AMBER)
- ``combination``: §5.1 two AMBERs make RED, the AMBER-persists-24-h escalation, the channels
  per level
- ``followups``: the follow-up questions and their tables
- ``advice``: §5.8 what the patient is told after each report, from what the team was told
- ``base``: the interface (``Snapshot`` in, ``Evaluation`` out), ``Rule`` and the answer readers

The caller (``alerts.pipeline``) builds a frozen ``Snapshot`` from the stored entry, its CTCAE
grades as plain ints, the patient's baseline, drug, risk factors and recent history.
``evaluate`` returns the rules that fired, the level per alert kind after the §5.1 combination
rule, and the follow-up questions to schedule. ``evaluate_missed_diary`` is the time-based §5.6
rule run by the periodic task.

Every threshold cites its tag in ../shared/clinical/reference.md: [V] verified, [S] secondary, [D]
design choice needing clinical sign-off. docs/alert-rules.md lists every rule code and every [D]
reading made here. Rule codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

import dataclasses
import operator

from alerts.rules.advice import Advice, AdviceItem, Overrides, advise
from alerts.rules.base import (
    FEVER_C,
    HISTORY_WINDOW,
    ORAL_INTAKE,
    SEVERITY,
    SOB_EXERTION,
    SOB_TEXT,
    Baseline,
    Evaluation,
    Finding,
    Fired,
    Followup,
    Observation,
    Report,
    Rule,
    Snapshot,
    _max_level,
)
from alerts.rules.book import RuleBook
from alerts.rules.cns import CNS_RULES
from alerts.rules.combination import (
    AMBER_PERSISTS_AFTER,
    CHANNELS_BY_LEVEL,
    COMBINED_CODE,
    COMBINED_SOURCE,
    ESCALATION_CHANNELS,
    MAX_EXPECTED_DAYS,
    NOT_SYMPTOM_KINDS,
    PATIENT_ADVICE_CHANNELS,
    PERSISTED_AMBER,
    amber_persisted,
    combine,
    folds_as_expected,
)
from alerts.rules.fever import FEVER_RULES
from alerts.rules.followups import (
    FOLLOWUPS,
    MAX_ASKS,
    ONE_SHOT_AFTER,
    ONE_SHOT_TERMS,
    RECHECK_TERMS,
)
from alerts.rules.gi import GI_RULES
from alerts.rules.ild import (
    HYPOXIA_SPO2_BELOW,
    ILD_RULES,
    RISK_FACTOR_TEXT,
    TDXD_SPO2_REST_DROP_RED,
    TDXD_SPO2_REST_RED_AT_OR_BELOW,
)
from alerts.rules.measures import MEASURES, measure
from alerts.rules.medication import (
    MEDICATION_RULES,
    MISSED_DIARY_AFTER_INFUSION_CODE,
    MISSED_DIARY_CODE,
    MISSED_DIARY_KIND,
    MISSED_DIARY_SOURCE,
    evaluate_missed_diary,
)
from alerts.rules.organs import ORGAN_RULES
from alerts.rules.plan import NEEDS, Plan
from alerts.rules.proctcae import COMPOSITE_RULES, PROCTCAE
from diary.vocabulary import LEVEL_RANK, Level

__all__ = [
    "AMBER_PERSISTS_AFTER",
    "CHANNELS_BY_LEVEL",
    "CNS_RULES",
    "COMBINED_CODE",
    "COMBINED_SOURCE",
    "COMPOSITE_RULES",
    "ESCALATION_CHANNELS",
    "FEVER_C",
    "FEVER_RULES",
    "FOLLOWUPS",
    "GI_RULES",
    "HISTORY_WINDOW",
    "HYPOXIA_SPO2_BELOW",
    "ILD_RULES",
    "LEVEL_RANK",
    "MAX_ASKS",
    "MEASURES",
    "MAX_EXPECTED_DAYS",
    "MEDICATION_RULES",
    "MISSED_DIARY_AFTER_INFUSION_CODE",
    "MISSED_DIARY_CODE",
    "MISSED_DIARY_KIND",
    "MISSED_DIARY_SOURCE",
    "NOT_SYMPTOM_KINDS",
    "ONE_SHOT_AFTER",
    "ONE_SHOT_TERMS",
    "ORAL_INTAKE",
    "ORGAN_RULES",
    "PATIENT_ADVICE_CHANNELS",
    "PERSISTED_AMBER",
    "PROCTCAE",
    "RECHECK_TERMS",
    "RISK_FACTOR_TEXT",
    "RULES",
    "SEVERITY",
    "SOB_EXERTION",
    "SOB_TEXT",
    "TDXD_SPO2_REST_DROP_RED",
    "TDXD_SPO2_REST_RED_AT_OR_BELOW",
    "Advice",
    "AdviceItem",
    "Baseline",
    "Evaluation",
    "Finding",
    "Fired",
    "Followup",
    "Level",
    "Observation",
    "Overrides",
    "Report",
    "Rule",
    "RuleBook",
    "Snapshot",
    "advise",
    "amber_persisted",
    "evaluate",
    "evaluate_missed_diary",
    "folds_as_expected",
    "measure",
]

# Every rule, in evaluation order (the order of the fired rules and of an alert's reasons).
RULES: tuple[Rule, ...] = (
    *ILD_RULES,
    *GI_RULES,
    *FEVER_RULES,
    *ORGAN_RULES,
    *COMPOSITE_RULES,
    *CNS_RULES,
    *MEDICATION_RULES,
)


_RECORDED_AT = operator.attrgetter("recorded_at")
_ENTRY_ID = operator.attrgetter("entry_id")


def _normalised(snapshot: Snapshot) -> Snapshot:
    """History in recorded-time order, without the current entry or anything recorded after it
    (a late entry from an offline phone is judged by what came before it)."""
    current = snapshot.current
    times = list(map(_RECORDED_AT, snapshot.history))
    if (
        times == sorted(times)
        and (not times or times[-1] <= current.recorded_at)
        and current.entry_id not in map(_ENTRY_ID, snapshot.history)
    ):
        # Already so, as alerts.pipeline passes it: sorting it again per entry of a batch cost
        # more than some rules (docs/performance.md, "Ingest").
        return snapshot
    history = sorted(
        (
            report
            for report in snapshot.history
            if report.entry_id != current.entry_id and report.recorded_at <= current.recorded_at
        ),
        key=lambda report: report.recorded_at,
    )
    return dataclasses.replace(snapshot, history=tuple(history))


_PLAN = Plan(RULES, NEEDS)


def evaluate(snapshot: Snapshot) -> Evaluation:
    """The rules that fire for `snapshot.current`, combined per §5.1.

    Only the rules that can fire on this report are asked (alerts.rules.plan, issue 17); the
    result is that of asking every rule (`_evaluate_every_rule`)."""
    snapshot = _normalised(snapshot)
    readers = _PLAN.readers
    fired = []
    for rule in _PLAN.rules_for(snapshot):
        found = rule.finding(snapshot)
        if found is not None:
            reader = readers[rule.code]
            fired.append(rule.fired(snapshot, found, reader(snapshot) if reader else None))
    return _evaluation(snapshot, fired)


def _evaluate_every_rule(snapshot: Snapshot) -> Evaluation:
    """`evaluate` asking every rule, as it did before the plan: the reference the tests hold
    `evaluate` to (tests/alerts/test_rule_plan.py)."""
    snapshot = _normalised(snapshot)
    fired = [
        dataclasses.replace(hit, measure=measure(hit.code, snapshot))
        for rule in RULES
        if (hit := rule.fire(snapshot)) is not None
    ]
    return _evaluation(snapshot, fired)


def _evaluation(snapshot: Snapshot, fired: list[Fired]) -> Evaluation:
    levels, raised = combine(fired)
    return Evaluation(
        fired=tuple(fired),
        level=_max_level(levels.values()),
        levels_by_kind=levels,
        escalated_by_combination=raised,
        followups=tuple(f.code for f in FOLLOWUPS if f.due(snapshot)),
    )
