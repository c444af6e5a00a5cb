"""EORTC QLQ-C30 (v3.0) and QLQ-LC13 scoring, against worked examples computed by hand from the
public scoring manual (3rd edition, 2001):

    raw score RS = mean of the answered items of a scale
    functional scales        S = (1 - (RS - 1) / range) * 100
    symptom scales / items   S = ((RS - 1) / range) * 100
    global health status     S = ((RS - 1) / range) * 100, range 6 (items 29-30 on 1-7)
    range = 3 for items 1-28 (answered 1-4)
    missing items: a scale is scored from its answered items when at least half are answered;
    a single item that is missing is missing.
"""

from __future__ import annotations

import pytest

from diary import instruments
from diary.instruments.eortc import QLQ_C30, QLQ_LC13

approx = pytest.approx

# A complete questionnaire, by item number.
WORKED = {
    1: 1, 2: 2, 3: 2, 4: 3, 5: 1,  # PF2
    6: 2, 7: 3,  # RF2
    8: 3,  # DY
    9: 2, 19: 3,  # PA
    10: 2, 12: 3, 18: 4,  # FA
    11: 1,  # SL
    13: 4,  # AP
    14: 1, 15: 2,  # NV
    16: 2,  # CO
    17: 1,  # DI
    20: 1, 25: 2,  # CF
    21: 2, 22: 2, 23: 3, 24: 1,  # EF
    26: 1, 27: 1,  # SF
    28: 2,  # FI
    29: 5, 30: 4,  # QL2
}  # fmt: skip


def c30(answers: dict[int, int]) -> dict[str, float | int | None]:
    coded = {f"Q{n}": value for n, value in answers.items()}
    assert QLQ_C30.check(coded) == {}
    return QLQ_C30.score(coded)


def lc13(answers: dict[int, int]) -> dict[str, float | int | None]:
    coded = {f"Q{n}": value for n, value in answers.items()}
    assert QLQ_LC13.check(coded) == {}
    return QLQ_LC13.score(coded)


def test_the_worked_example_scores_every_scale_as_computed_by_hand():
    scores = c30(WORKED)
    expected = {
        # PF2: RS = (1+2+2+3+1)/5 = 1.8; S = (1 - 0.8/3) * 100 = 73.333
        "PF2": 73.3333,
        # RF2: RS = (2+3)/2 = 2.5; S = (1 - 1.5/3) * 100 = 50
        "RF2": 50.0,
        # EF: RS = (2+2+3+1)/4 = 2; S = (1 - 1/3) * 100 = 66.667
        "EF": 66.6667,
        # CF: RS = (1+2)/2 = 1.5; S = (1 - 0.5/3) * 100 = 83.333
        "CF": 83.3333,
        # SF: RS = 1; S = 100
        "SF": 100.0,
        # FA: RS = (2+3+4)/3 = 3; S = 2/3 * 100 = 66.667
        "FA": 66.6667,
        # NV: RS = (1+2)/2 = 1.5; S = 0.5/3 * 100 = 16.667
        "NV": 16.6667,
        # PA: RS = (2+3)/2 = 2.5; S = 1.5/3 * 100 = 50
        "PA": 50.0,
        # single items: DY 3 -> 66.667, SL 1 -> 0, AP 4 -> 100, CO 2 -> 33.333, DI 1 -> 0,
        # FI 2 -> 33.333
        "DY": 66.6667,
        "SL": 0.0,
        "AP": 100.0,
        "CO": 33.3333,
        "DI": 0.0,
        "FI": 33.3333,
        # QL2: RS = (5+4)/2 = 4.5; S = 3.5/6 * 100 = 58.333
        "QL2": 58.3333,
        # Summary: functional 73.333 + 50 + 66.667 + 83.333 + 100 = 373.333; symptoms
        # inverted (100 - S): 33.333 + 83.333 + 50 + 33.333 + 100 + 0 + 66.667 + 100 = 466.667;
        # (373.333 + 466.667) / 13 = 840 / 13 = 64.615
        "SUMSC": 64.6154,
    }
    assert set(scores) == set(expected)
    for scale, value in expected.items():
        assert scores[scale] == approx(value, abs=1e-4), scale


def test_the_best_possible_answers_give_full_function_no_symptoms_and_a_summary_of_100():
    best = dict.fromkeys(range(1, 29), 1) | {29: 7, 30: 7}
    scores = c30(best)
    for scale in ("PF2", "RF2", "EF", "CF", "SF", "QL2", "SUMSC"):
        assert scores[scale] == approx(100)
    for scale in ("FA", "NV", "PA", "DY", "SL", "AP", "CO", "DI", "FI"):
        assert scores[scale] == approx(0)


def test_the_worst_possible_answers_give_no_function_all_symptoms_and_a_summary_of_0():
    worst = dict.fromkeys(range(1, 29), 4) | {29: 1, 30: 1}
    scores = c30(worst)
    for scale in ("PF2", "RF2", "EF", "CF", "SF", "QL2", "SUMSC"):
        assert scores[scale] == approx(0)
    for scale in ("FA", "NV", "PA", "DY", "SL", "AP", "CO", "DI", "FI"):
        assert scores[scale] == approx(100)


def test_physical_functioning_with_three_of_five_items_uses_the_answered_ones():
    # Half rule: 3 of 5 answered >= half. RS = (2+3+1)/3 = 2; S = (1 - 1/3) * 100 = 66.667
    assert c30({1: 2, 2: 3, 5: 1})["PF2"] == approx(66.6667, abs=1e-4)


def test_physical_functioning_with_two_of_five_items_is_missing():
    # 2 of 5 answered < half: the scale is not scored.
    assert c30({1: 2, 2: 3})["PF2"] is None


def test_emotional_functioning_with_two_of_four_items_is_scored():
    # Exactly half: RS = (3+4)/2 = 3.5; S = (1 - 2.5/3) * 100 = 16.667
    assert c30({21: 3, 24: 4})["EF"] == approx(16.6667, abs=1e-4)


def test_a_two_item_scale_with_one_item_answered_is_scored_from_that_item():
    # RF2 with only item 6 = 4: RS = 4; S = (1 - 3/3) * 100 = 0
    assert c30({6: 4})["RF2"] == approx(0)
    # QL2 with only item 29 = 7: RS = 7; S = 6/6 * 100 = 100
    assert c30({29: 7})["QL2"] == approx(100)


def test_fatigue_needs_two_of_its_three_items():
    assert c30({10: 2})["FA"] is None  # 1 of 3 < half
    # RS = (2+4)/2 = 3; S = 2/3 * 100 = 66.667
    assert c30({10: 2, 12: 4})["FA"] == approx(66.6667, abs=1e-4)


def test_a_missing_single_item_is_missing():
    scores = c30({n: v for n, v in WORKED.items() if n != 8})
    assert scores["DY"] is None


def test_the_summary_score_needs_all_thirteen_scales():
    without_dyspnoea = {n: v for n, v in WORKED.items() if n != 8}
    assert c30(without_dyspnoea)["SUMSC"] is None
    # Financial difficulties (item 28) is not one of the 13: its absence changes nothing.
    without_finance = {n: v for n, v in WORKED.items() if n != 28}
    assert c30(without_finance)["SUMSC"] == approx(64.6154, abs=1e-4)


def test_the_summary_score_uses_half_rule_scales():
    # Item 3 missing: PF2 from 4 items, RS = (1+2+3+1)/4 = 1.75; S = (1 - 0.75/3) * 100 = 75.
    # Summary = (840 - 73.333 + 75) / 13 = 841.667 / 13 = 64.744
    scores = c30({n: v for n, v in WORKED.items() if n != 3})
    assert scores["PF2"] == approx(75)
    assert scores["SUMSC"] == approx(64.7436, abs=1e-4)


def test_global_health_items_take_1_to_7_and_the_others_1_to_4():
    assert QLQ_C30.check({"Q29": 7, "Q30": 1}) == {}
    assert "Q1" in QLQ_C30.check({"Q1": 5})
    assert "Q29" in QLQ_C30.check({"Q29": 8})
    assert "Q1" in QLQ_C30.check({"Q1": 0})


def test_answers_must_be_whole_numbers_not_strings_floats_or_booleans():
    for bad in ("2", 2.0, True):
        assert "Q1" in QLQ_C30.check({"Q1": bad})


def test_an_empty_questionnaire_is_refused_but_skipped_items_are_allowed():
    assert QLQ_C30.check({}) == {"": ["Answer at least one question."]}
    assert QLQ_C30.check({"Q1": 1, "Q2": None}) == {}
    assert QLQ_C30.clean({"Q2": None, "Q1": 1}) == {"Q1": 1}


def test_lc13_scores_its_single_items_and_the_dyspnoea_scale():
    scores = lc13({31: 3, 32: 1, 33: 2, 34: 3, 35: 4, 36: 1, 37: 2, 38: 1, 39: 4, 40: 2, 41: 1,
                   42: 1, 43: 2})  # fmt: skip
    # LCDY: RS = (2+3+4)/3 = 3; S = 2/3 * 100 = 66.667. LCCO: item 31 = 3 -> 66.667.
    assert scores["LCDY"] == approx(66.6667, abs=1e-4)
    assert scores["LCCO"] == approx(66.6667, abs=1e-4)
    assert scores["LCHA"] == approx(0)
    assert scores["LCDS"] == approx(33.3333, abs=1e-4)  # item 37 = 2
    assert scores["LCHR"] == approx(100)  # item 39 = 4
    # Item 43 (medicine for pain) is recorded, not scored; no fallback scores when complete.
    assert not {"LCPM", "LCDY33", "LCDY34"} & set(scores)


def test_lc13_dyspnoea_without_the_stairs_item_scores_items_33_and_34_alone():
    scores = lc13({33: 2, 34: 3})
    assert scores["LCDY"] is None  # the scale needs all three items
    assert scores["LCDY33"] == approx(33.3333, abs=1e-4)  # (2 - 1) / 3 * 100
    assert scores["LCDY34"] == approx(66.6667, abs=1e-4)  # (3 - 1) / 3 * 100


def test_lc13_dyspnoea_with_another_item_missing_is_missing_without_fallback():
    scores = lc13({34: 3, 35: 4})
    assert scores["LCDY"] is None
    assert "LCDY33" not in scores


def test_lc13_pain_medication_is_yes_or_no():
    assert QLQ_LC13.check({"Q43": 2}) == {}
    assert "Q43" in QLQ_LC13.check({"Q43": 3})


def test_the_repository_ships_no_eortc_wording():
    for instrument in (instruments.get("qlq_c30"), instruments.get("qlq_lc13")):
        assert instrument.licensed
        for item in instrument.items:
            assert item.text is None
            assert item.scale.labels is None
