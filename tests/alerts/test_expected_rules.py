"""The pure side of §5.2 "Expected AMBER" [D]: each fired AMBER trigger carries a measure (higher
is worse, alerts/rules/measures.py), and ``folds_as_expected`` folds a report's triggers of one
kind only when every one is marked and no worse than when marked. No Django, no database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerts import rules
from alerts.rules import RULES, Fired, evaluate, folds_as_expected
from alerts.rules.measures import reader_for
from diary.vocabulary import Level
from tests.alerts.test_rules import hit, report, run, snapshot


@pytest.fixture(autouse=True)
def _fast_and_isolated() -> Iterator[None]:
    yield


def test_every_amber_rule_has_a_measure_so_a_marked_trigger_can_be_seen_to_worsen() -> None:
    missing = [r.code for r in RULES if r.level == "amber" and reader_for(r.code) is None]
    assert missing == []


def test_the_longest_marking_is_7_days() -> None:
    assert rules.MAX_EXPECTED_DAYS == 7


@pytest.mark.parametrize(
    "symptoms,code,measure",
    [
        ({"diarrhea": {"stools_over_baseline": 5}}, "gi.amber.diarrhea_g2", 2),
        (
            {"diarrhea": {"stools_over_baseline": 2, "adl": "instrumental"}},
            "gi.amber.diarrhea_g2",
            2,
        ),
        ({"nausea": {"oral_intake": "decreased"}}, "gi.amber.nausea_intake_decreased", 2),
        ({"hypoxia": {"spo2_exertion": 87}}, "ild.amber.spo2_exertion_below_88", 13),
        ({"hypoxia": {"spo2_exertion": 85.5}}, "ild.amber.spo2_exertion_below_88", 15),
        ({"dehydration": {"dehydration_signs": True}}, "gi.amber.dehydration", 1),
    ],
)
def test_a_fired_amber_carries_the_grade_or_answer_its_rule_read(symptoms, code, measure) -> None:
    assert hit(run(symptoms), code).measure == measure


def test_a_composite_trigger_measures_its_composite() -> None:
    evaluation = run(composites={"fatigue": 3})
    assert hit(evaluation, "proctcae.amber.fatigue_3").measure == 3
    assert hit(evaluation, "proctcae.amber.fatigue_2_new_or_worse").measure == 3


def test_a_red_trigger_has_no_measure() -> None:
    assert hit(run({"diarrhea": {"stools_over_baseline": 9}}), "gi.red.diarrhea_g3").measure is None


def test_the_measure_of_loperamide_is_the_dose_rounded_up() -> None:
    evaluation = evaluate(snapshot(report({}, loperamide_mg=16.5)))
    assert hit(evaluation, "loperamide.amber.over_16_mg_24h").measure == 17


def amber(code: str, measure: int | None, level: Level = "amber") -> Fired:
    return Fired(
        code=code, kind="gi", level=level, symptom="diarrhea", reason="", source="", measure=measure
    )


def test_a_marked_trigger_no_worse_than_when_marked_folds() -> None:
    marked = {"gi.amber.diarrhea_g2": 2}
    assert folds_as_expected([amber("gi.amber.diarrhea_g2", 2)], marked)


def test_a_marked_trigger_that_worsened_does_not_fold() -> None:
    marked = {"gi.amber.nausea_intake_decreased": 2}
    assert not folds_as_expected([amber("gi.amber.nausea_intake_decreased", 3)], marked)


def test_a_different_amber_trigger_beside_a_marked_one_does_not_fold() -> None:
    marked = {"gi.amber.diarrhea_g2": 2}
    fired = [amber("gi.amber.diarrhea_g2", 2), amber("gi.amber.dehydration", 1)]
    assert not folds_as_expected(fired, marked)


def test_red_never_folds_even_when_its_code_is_marked() -> None:
    marked = {"gi.red.diarrhea_g3": 3}
    assert not folds_as_expected([amber("gi.red.diarrhea_g3", 3, level="red")], marked)


def test_a_trigger_without_a_measure_never_folds() -> None:
    assert not folds_as_expected([amber("gi.amber.diarrhea_g2", None)], {"gi.amber.diarrhea_g2": 2})
    assert not folds_as_expected([amber("gi.amber.diarrhea_g2", 2)], {"gi.amber.diarrhea_g2": None})
    assert not folds_as_expected([], {"gi.amber.diarrhea_g2": 2})
