"""The evaluation plan (alerts/rules/plan.py, issue 17) changes nothing but the work done:
``evaluate`` asks only the rules that can fire on a report, and must return exactly what
asking every rule returns (``alerts.rules._evaluate_every_rule``, the loop it replaced): the same
fired rules in the same order, reasons, measures, levels, combination and follow-ups.

Pure and fast (no Django): `.venv/bin/python -m pytest tests/alerts/test_rule_plan.py -q
-p no:django -p no:cacheprovider`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator
from datetime import UTC, date, timedelta, timezone, tzinfo
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import rules
from alerts.rules import RULES, Baseline, Observation, Report, Snapshot, evaluate
from alerts.rules.base import _exact
from alerts.rules.plan import COMPOSITE, LOPERAMIDE, MISSED_DOSES, NEEDS
from diary.grading import TERMS, FieldSpec
from tests.alerts.test_rules import DRUG_CLASS, OTHER, RISK_FACTORS, SEVA, T0, TDXD, ZONG, value_of
from tests.alerts.test_rules import report as graded_report


@pytest.fixture(autouse=True)
def _fast_and_isolated() -> Iterator[None]:
    """No Django needed: replaces tests/conftest.py's fixture, as tests/alerts/test_rules.py."""
    yield


SELF_REPORTED = {name: spec for name, spec in TERMS.items() if spec.self_reportable}
# The terms the rules read (read off alerts/rules/*.py, not off NEEDS, which is under test),
# drawn more often so that reports and their history meet on them.
READ = (
    *("dyspnea", "cough", "hypoxia", "fever", "chills", "diarrhea", "abdominal_pain", "nausea"),
    *("vomiting", "dehydration", "liver_symptoms", "heart_symptoms", "seizure", "confusion"),
    *("muscle_weakness_left_sided", "muscle_weakness_right_sided", "dysphasia", "headache"),
    *("dizziness", "vision_change"),
)
# Composite keys: the §5.4 table's, and "wheezing", which the ILD rules also compare with the
# baseline (alerts.rules.ild.RESPIRATORY).
COMPOSITE_KEYS = [*sorted(rules.PROCTCAE), "wheezing"]
NEURO = ("confusion", "dysphasia", "dizziness", "headache")
NEURO_FLAGS = ("muscle_weakness_left_sided", "muscle_weakness_right_sided", "vision_change")


# Numbers at and around the rules' thresholds (stools, episodes, hours, °C, °F, SpO2), beside
# any valid answer.
NEAR: tuple[float, ...] = (
    0,
    1,
    1.5,
    2,
    3,
    4,
    6,
    7,
    23.5,
    24,
    37.4,
    37.5,
    37.9,
    38,
    38.3,
    38.4,
    39.2,
    100.3,
    100.4,
)
NEAR += (101, 86, 87, 88, 90, 92, 93, 94, 95, 96, 97, 100)


def answer(spec: FieldSpec) -> st.SearchStrategy[object]:
    if spec.kind not in ("int", "number"):
        return value_of(spec)
    assert spec.minimum is not None and spec.maximum is not None
    near = [
        v
        for v in NEAR
        if spec.minimum <= v <= spec.maximum and (spec.kind == "number" or isinstance(v, int))
    ]
    return st.one_of(st.sampled_from(near), value_of(spec)) if near else value_of(spec)


# Strategies are made once: hypothesis spends more on a new strategy than on drawing from it.
ANSWERS = {
    term: (tuple(spec.fields), st.tuples(*(answer(f) | st.none() for f in spec.fields.values())))
    for term, spec in SELF_REPORTED.items()
}
GRADE = st.none() | st.integers(0, 4)
COMPOSITE_VALUE = st.integers(0, 3)
LOPERAMIDE_MG = st.none() | st.sampled_from([0.0, 2.0, 8, 16.0, 16.5, 24.0])
MISSED = st.none() | st.integers(0, 3)
VOMITED = st.none() | st.booleans()
REASON = st.sampled_from(["", "forgot", " felt sick "])


@functools.cache
def some(items: tuple[str, ...], most: int | None = None) -> st.SearchStrategy[list[str]]:
    if not items:
        return st.just([])
    return st.lists(st.sampled_from(items), unique=True, max_size=most or len(items))


@st.composite
def reports(
    draw: st.DrawFn,
    *,
    at: object,
    terms: tuple[str, ...],
    keys: tuple[str, ...],
    entry_id: str,
    every: bool,
) -> Report:
    """A report answering the snapshot's terms and composites (``every``) or some of them
    (valid answers, not always every field, graded by the grading engine), sometimes with a
    grade but no answers, and medications."""
    if not every:
        terms, keys = tuple(draw(some(terms))), tuple(draw(some(keys)))
    graded_only = draw(some(terms, 1))
    symptoms: dict[str, dict[str, object]] = {}
    for term in terms:
        if term not in graded_only:
            names, values = ANSWERS[term]
            drawn = draw(values)
            symptoms[term] = {n: v for n, v in zip(names, drawn, strict=True) if v is not None}
    return graded_report(
        symptoms,
        at=at,  # type: ignore[arg-type]
        grades={term: draw(GRADE) for term in graded_only},
        composites={key: draw(COMPOSITE_VALUE) for key in keys},
        entry_id=entry_id,
        loperamide_mg=draw(LOPERAMIDE_MG),
        tki_doses_missed=draw(MISSED),
        tki_dose_vomited=draw(VOMITED),
        missed_dose_reason=draw(REASON),
    )


# Minutes before the current report: the same day, the day before, days before, and after it
# (a late entry's history holds later reports, which evaluate drops).
GAPS = st.one_of(
    st.integers(0, 6 * 60),
    st.integers(18 * 60, 30 * 60),
    st.integers(30 * 60, 15 * 24 * 60),
    st.integers(-24 * 60, -1),
)


OFFSET = st.sampled_from([-300, 0, 60, 330]).map(lambda m: timezone(timedelta(minutes=m)))
POOL = st.tuples(
    st.lists(st.sampled_from(READ), min_size=3, max_size=8, unique=True),
    st.lists(st.sampled_from(sorted(SELF_REPORTED)), max_size=2, unique=True),
).map(lambda both: tuple(dict.fromkeys(both[0] + both[1])))
KEYS = st.lists(st.sampled_from(COMPOSITE_KEYS), max_size=6, unique=True).map(tuple)
# With every term answered: more of the earlier reports within the last 3 days.
CLOSE_GAPS = st.one_of(st.integers(0, 6 * 60), st.integers(0, 72 * 60), GAPS)


def history(
    gaps: st.SearchStrategy[int],
) -> st.SearchStrategy[list[tuple[int, tzinfo | None, str]]]:
    return st.lists(
        st.tuples(
            gaps,
            st.sampled_from([UTC, None, timezone(timedelta(hours=9))]),  # None: as current
            st.sampled_from(["", "", "current"]),  # a replay of the current entry, sometimes
        ),
        max_size=6,
    )


HISTORY, CLOSE_HISTORY = history(GAPS), history(CLOSE_GAPS)
DRUG = st.sampled_from([TDXD, ZONG, SEVA, OTHER])
NEURO_BASELINE = st.tuples(
    st.dictionaries(st.sampled_from(NEURO), st.sampled_from(rules.SEVERITY), max_size=2),
    st.lists(st.sampled_from(NEURO_FLAGS), max_size=1),
).map(lambda both: {**both[0], **dict.fromkeys(both[1], True)})
BASELINE = st.builds(
    Baseline,
    stools_per_day=st.none() | st.integers(0, 6),
    spo2_rest=st.none() | st.integers(86, 100),
    spo2_exertion=st.none() | st.integers(80, 100),
    sob_exertion=st.none() | st.sampled_from(rules.SOB_EXERTION),
    cough_severity=st.none() | st.sampled_from(rules.SEVERITY),
    neuro=NEURO_BASELINE,
)
OBSERVATIONS = st.lists(
    st.tuples(
        st.sampled_from(["neutrophil_count_decreased", "febrile_neutropenia"]),
        st.integers(0, 4),
        st.integers(-1, 20),  # days before the current report
    ),
    max_size=2,
)
INFUSIONS = st.lists(st.dates(date(2026, 10, 20), date(2026, 11, 24)), max_size=2).map(tuple)
FACTORS = st.lists(st.sampled_from(RISK_FACTORS), unique=True, max_size=2).map(tuple)
STARTED = st.none() | st.dates(date(2025, 6, 1), date(2026, 11, 23))


@st.composite
def snapshots(draw: st.DrawFn, *, every_term: bool = False) -> Snapshot:
    """A patient (drug, brain metastases, baseline with composites and neuro, risk factors,
    infusions, neutropenia observations) and a report with up to six earlier ones, all
    answering terms from one small pool, so that the rules comparing reports meet. With
    ``every_term``, the report answers every self-reported term and composite key, and the
    earlier ones the terms the rules read."""
    offset = draw(OFFSET)
    now = T0.astimezone(offset)
    terms, keys = (READ, tuple(COMPOSITE_KEYS)) if every_term else (draw(POOL), draw(KEYS))
    asked = tuple(SELF_REPORTED) if every_term else terms
    current = draw(reports(at=now, terms=asked, keys=keys, entry_id="current", every=True))
    history = [
        draw(
            reports(
                at=(now - timedelta(minutes=gap)).astimezone(zone or offset),
                terms=terms,
                keys=keys,
                entry_id=replay or f"h{n}",
                every=False,
            )
        )
        for n, (gap, zone, replay) in enumerate(draw(CLOSE_HISTORY if every_term else HISTORY))
    ]
    drug = draw(DRUG)
    baseline = dataclasses.replace(
        draw(BASELINE), composites={key: draw(COMPOSITE_VALUE) for key in draw(some(keys))}
    )
    observations = tuple(
        Observation(term=term, grade=grade, observed_at=now - timedelta(days=days))
        for term, grade, days in draw(OBSERVATIONS)
    )
    infusions = draw(INFUSIONS)
    return Snapshot(
        drug=drug,
        drug_class=DRUG_CLASS[drug],
        baseline=baseline,
        risk_factors=draw(FACTORS),
        brain_metastases=draw(st.booleans()),
        treatment_started_on=draw(STARTED),
        last_infusion_on=max(infusions, default=None),
        infusion_dates=infusions,
        under_ild_management=draw(st.booleans()),
        observations=observations,
        current=current,
        history=tuple(history),
    )


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_evaluate_returns_exactly_what_asking_every_rule_returns() -> None:
    fired: set[str] = set()

    @settings(PROPERTY, max_examples=300)
    @given(snapshots())
    def same(s: Snapshot) -> None:
        planned = evaluate(s)
        every = rules._evaluate_every_rule(s)
        assert planned == every
        assert list(planned.levels_by_kind.items()) == list(every.levels_by_kind.items())
        fired.update(f.code for f in every.fired)

    same()
    # The comparison means little unless the generated snapshots make the rules fire.
    assert len(fired) >= 0.7 * len(RULES), sorted({r.code for r in RULES} - fired)


def without(report: Report, needs: frozenset[str]) -> Report:
    """The report with every input in ``needs`` taken off."""
    return dataclasses.replace(
        report,
        symptoms={t: v for t, v in report.symptoms.items() if t not in needs},
        grades={t: g for t, g in report.grades.items() if t not in needs},
        composites={k: v for k, v in report.composites.items() if COMPOSITE + k not in needs},
        loperamide_mg=None if LOPERAMIDE in needs else report.loperamide_mg,
        tki_doses_missed=None if MISSED_DOSES in needs else report.tki_doses_missed,
    )


@PROPERTY
@given(snapshots(every_term=True))
def test_no_rule_fires_once_the_inputs_it_needs_are_taken_off_the_report(s: Snapshot) -> None:
    # What the plan relies on, rule by rule: whatever the history, baseline and the report's
    # other answers hold. The report answers every term and composite, and the patient is
    # one the rule applies to, so that a rule that could fire on an input its NEEDS row
    # leaves out gets the chance to.
    for rule in RULES:
        needs = NEEDS.get(rule.code)
        if needs is None:
            continue
        drug = s.drug if rule.drugs is None or s.drug in rule.drugs else min(rule.drugs)
        stripped = dataclasses.replace(
            s,
            drug=drug,
            drug_class=DRUG_CLASS[drug],
            brain_metastases=True,
            current=without(s.current, needs),
        )
        assert rule.fire(rules._normalised(stripped)) is None, rule.code


def test_needs_names_only_rule_codes_and_inputs_that_exist() -> None:
    codes = {rule.code for rule in RULES}
    assert set(NEEDS) <= codes, set(NEEDS) - codes
    names = {n for needs in NEEDS.values() for n in needs}
    composites = {n.removeprefix(COMPOSITE) for n in names if n.startswith(COMPOSITE)}
    assert composites <= set(COMPOSITE_KEYS)
    assert names - {COMPOSITE + k for k in composites} <= set(TERMS) | {LOPERAMIDE, MISSED_DOSES}


def test_a_report_without_answers_asks_only_the_rules_without_needs() -> None:
    empty = Report(entry_id="e", recorded_at=T0, symptoms={}, grades={})
    s = Snapshot(
        drug=TDXD,
        drug_class="adc",
        baseline=Baseline(),
        risk_factors=(),
        brain_metastases=True,
        treatment_started_on=None,
        last_infusion_on=None,
        current=empty,
    )
    assert rules._PLAN.rules_for(s) == tuple(r for r in RULES if r.code not in NEEDS)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**30), 10**30),
        st.booleans(),
        st.none(),
        st.text(max_size=3),
    )
)
def test_exact_numbers_are_those_of_the_decimal_text(value: object) -> None:
    # _exact keeps each number's fraction (issue 17): the same value as before, every time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = None
    elif isinstance(value, float):
        expected = Fraction(str(value)) if math.isfinite(value) else None
    else:
        expected = Fraction(value)
    for _ in range(2):
        assert _exact(value) == expected
        assert type(_exact(value)) is type(expected)
