"""Properties over generated answers: severity never lowers a grade, nothing crashes, and the
plain float comparisons of the rules agree with exact decimal arithmetic."""

from __future__ import annotations

import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diary.grading import PROCTCAE_SYMPTOMS, TERMS, FieldSpec, composite, grade
from diary.grading.ctcae import RULES
from diary.grading.rules import Above, AtLeast, AtMost, Below, Condition, _Threshold

GRADED_TERMS = sorted(name for name, spec in TERMS.items() if not spec.alert_only)
COMPOSITE_SYMPTOMS = sorted(n for n, s in PROCTCAE_SYMPTOMS.items() if not s.presence)
Answers = dict[str, object]


def valid_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    low, high = spec.minimum, spec.maximum
    assert low is not None and high is not None
    whole = st.integers(int(low), int(high))
    if spec.kind == "int":
        return whole
    return st.one_of(whole, st.floats(low, high), st.floats(low, high).map(lambda x: round(x, 1)))


def valid_answers(term: str) -> st.SearchStrategy[Answers]:
    fields = TERMS[term].fields
    return st.fixed_dictionaries({}, optional={n: valid_value(s) for n, s in fields.items()})


def worse_value(spec: FieldSpec, current: Any) -> st.SearchStrategy[Any]:
    """A value at least as severe as `current` (see FieldSpec for the direction)."""
    if spec.kind == "bool":
        return st.just(not spec.lower_is_worse)
    if spec.kind == "choice":
        return st.sampled_from(spec.choices[spec.choices.index(current) :])
    bound = spec.minimum if spec.lower_is_worse else spec.maximum
    low, high = sorted((current, bound))
    values = st.floats(low, high)
    if spec.kind == "int":
        values = st.integers(int(low), int(high))
    return values


@pytest.mark.parametrize("term", GRADED_TERMS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_more_severe_answer_never_lowers_the_grade(term: str, data: st.DataObject) -> None:
    inputs = data.draw(valid_answers(term))
    assume(inputs)
    name = data.draw(st.sampled_from(sorted(inputs)))
    spec = TERMS[term].fields[name]
    worse = {**inputs, name: data.draw(worse_value(spec, inputs[name]))}
    before, after = grade(term, inputs), grade(term, worse)
    if before.status == after.status == "graded":
        assert after.grade >= before.grade  # type: ignore[operator]


def any_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """A value of the field's JSON type, in range or not (NaN and infinities included)."""
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "choice":
        return st.one_of(st.sampled_from(spec.choices), st.text(max_size=12))
    if spec.kind == "int":
        return st.integers()
    return st.one_of(st.integers(), st.floats())


@pytest.mark.parametrize("term", sorted(TERMS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_grading_never_raises_on_answers_of_the_right_types(term: str, data: st.DataObject) -> None:
    fields = TERMS[term].fields
    inputs = data.draw(
        st.fixed_dictionaries({}, optional={n: any_value(s) for n, s in fields.items()})
    )
    result = grade(term, inputs)
    reachable = {0} | {c.grade for c in RULES[term].criteria}
    if result.status == "graded":
        assert result.grade in reachable and result.criteria == tuple(
            dict.fromkeys(result.criteria)
        )
    elif result.status == "insufficient":
        assert result.grade is None and result.missing and set(result.missing) <= set(fields)
    else:
        assert TERMS[term].alert_only
    assert set(result.as_dict()) <= {"grade", "status", "criteria", "missing", "ctcae_version"}


THRESHOLDS: list[_Threshold] = []


def collect(condition: Condition) -> None:
    if isinstance(condition, _Threshold):
        THRESHOLDS.append(condition)
    for inner in getattr(condition, "conditions", ()):
        collect(inner)
    for bound in ("low", "high"):
        if isinstance(getattr(condition, bound, None), _Threshold):
            THRESHOLDS.append(getattr(condition, bound))


for _rules in RULES.values():
    for _criterion in _rules.criteria:
        collect(_criterion.condition)
    for _need in _rules.needs:
        collect(_need.when)

OPERATORS: dict[type, Callable[[Any, Any], bool]] = {
    AtLeast: operator.ge,
    Above: operator.gt,
    Below: operator.lt,
    AtMost: operator.le,
}


@settings(max_examples=400, deadline=None)
@given(
    threshold=st.sampled_from(THRESHOLDS),
    offset=st.integers(-300, 300),
    places=st.integers(0, 4),
    as_fraction=st.booleans(),
)
def test_threshold_comparisons_agree_with_exact_decimal_arithmetic(
    threshold: _Threshold, offset: int, places: int, as_fraction: bool
) -> None:
    # A short decimal near the threshold, sent as a float (or as an exact derived value).
    value = Fraction(str(threshold.threshold)) + Fraction(offset, 10**places)
    sent: object = value if as_fraction else float(f"{float(value):.{places + 3}f}")
    expected = OPERATORS[type(threshold)](Fraction(str(sent)), Fraction(str(threshold.threshold)))
    assert threshold.met({threshold.field: sent}) is expected


def test_every_kind_of_threshold_is_checked() -> None:
    assert {type(t) for t in THRESHOLDS} == set(OPERATORS)


def composite_answers(symptom: str, allow_missing: bool) -> st.SearchStrategy[dict[str, Any]]:
    score = st.integers(0, 4)
    value = st.one_of(st.none(), score) if allow_missing else score
    return st.fixed_dictionaries(dict.fromkeys(PROCTCAE_SYMPTOMS[symptom].attributes, value))


@pytest.mark.parametrize("symptom", COMPOSITE_SYMPTOMS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_composite_never_raises_for_scores_0_to_4(symptom: str, data: st.DataObject) -> None:
    answers = data.draw(composite_answers(symptom, allow_missing=True))
    assert composite(symptom, **answers) in (None, 0, 1, 2, 3)


@pytest.mark.parametrize("symptom", COMPOSITE_SYMPTOMS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_composite_is_monotone_in_each_answer(symptom: str, data: st.DataObject) -> None:
    answers = data.draw(composite_answers(symptom, allow_missing=False))
    attribute = data.draw(st.sampled_from(sorted(answers)))
    raised = {**answers, attribute: data.draw(st.integers(answers[attribute], 4))}
    assert composite(symptom, **raised) >= composite(symptom, **answers)  # type: ignore[operator]
