"""The instrument package: PRO-CTCAE item sets and branching, the single-item instruments, the
schedule arithmetic (occasions, windows, states, time zones) and the default schedules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary import instruments
from diary.grading import PROCTCAE_SYMPTOMS
from diary.instruments import Cadence, proctcae
from diary.instruments.schedule import due_dates, occasion, occasion_on, occasions, window_bounds


def zeros(instrument: instruments.Instrument) -> dict[str, int]:
    """Every first item answered 0 (Never / None / No): the follow-ups are skipped."""
    return {item.code: 0 for item in instrument.items if item.enable_when is None}


# --- PRO-CTCAE ------------------------------------------------------------------------------


def test_each_drug_has_its_own_pro_ctcae_set_and_unknown_drugs_get_the_general_one():
    assert instruments.proctcae_for("trastuzumab_deruxtecan") == "proctcae_tdxd"
    assert instruments.proctcae_for("zongertinib") == "proctcae_zongertinib"
    assert instruments.proctcae_for("sevabertinib") == "proctcae_sevabertinib"
    assert instruments.proctcae_for(None) == "proctcae_other"


def test_item_sets_use_the_library_codes_with_their_ncit_concepts():
    tdxd = instruments.get("proctcae_tdxd")
    nausea = [item for item in tdxd.items if item.group == "nausea"]
    assert [item.code for item in nausea] == ["PROCTCAE_9A", "PROCTCAE_9B"]
    assert nausea[0].ncit_code == f"{PROCTCAE_SYMPTOMS['nausea'].ncit_code}/C25515"  # frequency
    assert nausea[0].scale.labels == (
        "Never",
        "Rarely",
        "Occasionally",
        "Frequently",
        "Almost constantly",
    )
    assert nausea[0].scale.ncit_code(0) == "C70543"  # Never (interoperability §4.3)


def test_the_watch_lists_reach_the_drug_sets():
    def groups(code: str) -> set[str | None]:
        return {item.group for item in instruments.get(code).items}

    assert {"shortness_of_breath", "cough"} <= groups("proctcae_tdxd")  # ILD watch §5.2
    assert {"shortness_of_breath", "cough"} <= groups("proctcae_zongertinib")
    assert "blurred_vision" in groups("proctcae_sevabertinib")  # ocular warning §3.3
    assert {"headache", "dizziness"} <= groups("proctcae_cns")  # §5.5


def test_follow_ups_are_asked_only_when_the_first_item_is_above_zero():
    tdxd = instruments.get("proctcae_tdxd")
    answers = zeros(tdxd)
    assert tdxd.check(answers) == {}
    assert "PROCTCAE_9B" not in tdxd.clean(answers)


def test_a_follow_up_answered_after_never_is_refused():
    tdxd = instruments.get("proctcae_tdxd")
    errors = tdxd.check({**zeros(tdxd), "PROCTCAE_9B": 2})
    assert list(errors) == ["PROCTCAE_9B"]
    assert "Leave this out" in errors["PROCTCAE_9B"][0]


def test_a_missing_follow_up_after_a_positive_first_answer_is_refused():
    tdxd = instruments.get("proctcae_tdxd")
    errors = tdxd.check({**zeros(tdxd), "PROCTCAE_9A": 2})
    assert errors == {"PROCTCAE_9B": ["Answer this question."]}


def test_a_missing_first_item_is_refused():
    tdxd = instruments.get("proctcae_tdxd")
    answers = zeros(tdxd)
    del answers["PROCTCAE_16A"]
    assert tdxd.check(answers) == {"PROCTCAE_16A": ["Answer this question."]}


def test_an_invalid_first_answer_does_not_also_flag_its_follow_up():
    tdxd = instruments.get("proctcae_tdxd")
    errors = tdxd.check({**zeros(tdxd), "PROCTCAE_9A": 7, "PROCTCAE_9B": 1})
    assert "PROCTCAE_9A" in errors
    assert "PROCTCAE_9B" in errors  # 9A is not a valid positive answer: 9B cannot be asked


def test_pro_ctcae_scores_are_the_composite_grades_of_each_symptom():
    tdxd = instruments.get("proctcae_tdxd")
    answers = {**zeros(tdxd), "PROCTCAE_9A": 3, "PROCTCAE_9B": 3, "PROCTCAE_27A": 3}
    assert tdxd.check(answers) == {}
    scores = tdxd.score(tdxd.clean(answers))
    assert scores["nausea"] == 3  # Frequently x Severe (§2.2 table)
    assert scores["hair_loss"] == 2  # amount "Quite a bit": interference/amount-only table
    assert scores["diarrhea"] == 0
    assert set(scores) == {s.code for s in tdxd.scales}


def test_the_three_item_and_two_item_asymmetry_of_the_table_is_kept():
    zong = instruments.get("proctcae_zongertinib")
    answers = {
        **zeros(zong),
        "PROCTCAE_17A": 1,  # pain in abdomen: Rarely, None, Not at all -> 0
        "PROCTCAE_17B": 0,
        "PROCTCAE_17C": 0,
        "PROCTCAE_9A": 1,  # nausea: Rarely, None -> 1
        "PROCTCAE_9B": 0,
    }
    assert zong.check(answers) == {}
    scores = zong.score(zong.clean(answers))
    assert scores["pain_in_abdomen"] == 0
    assert scores["nausea"] == 1


def test_yes_no_items_are_recorded_but_not_graded():
    zong = instruments.get("proctcae_zongertinib")
    answers = {**zeros(zong), "PROCTCAE_24A": 1}
    assert zong.check(answers) == {}
    assert "rash" not in zong.score(zong.clean(answers))
    assert "PROCTCAE_24A" in zong.clean(answers)


# --- single items ---------------------------------------------------------------------------


def test_the_quality_of_life_rating_takes_0_to_10():
    qol = instruments.get("qol_rating")
    assert qol.check({"QOL": 0}) == {} and qol.check({"QOL": 10}) == {}
    assert "QOL" in qol.check({"QOL": 11})
    assert qol.check({}) == {"QOL": ["Answer this question."]}
    assert qol.score({"QOL": 7}) == {"QOL": 7}


def test_the_ecog_self_report_takes_0_to_4_with_public_wording():
    ecog = instruments.get("ecog_self")
    assert "ECOG" in ecog.check({"ECOG": 5})  # 5 (dead) is not an answer
    assert ecog.score({"ECOG": 1}) == {"ECOG": 1}
    assert not ecog.licensed and ecog.items[0].text
    assert len(ecog.items[0].scale.labels or ()) == 5


def test_every_shipped_version_stays_reachable_by_code_and_version():
    for instrument in instruments.ALL:
        assert instruments.get(instrument.code, instrument.version) is instrument
    with pytest.raises(KeyError):
        instruments.get("qlq_c30", "2.0")


@st.composite
def valid_answers(draw, instrument: instruments.Instrument):  # type: ignore[no-untyped-def]
    answers: dict[str, int] = {}
    for item in instrument.items:
        condition = item.enable_when
        if condition is not None and not answers.get(condition.item, 0) > condition.greater_than:
            continue
        if not item.required and draw(st.booleans()):
            continue
        answers[item.code] = draw(st.integers(item.scale.minimum, item.scale.maximum))
    if not answers:
        first = instrument.items[0]
        answers[first.code] = first.scale.minimum
    return answers


@pytest.mark.parametrize("code", sorted(instruments.CURRENT))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_accepted_answers_score_within_each_scales_range(code, data):
    instrument = instruments.get(code)
    answers = data.draw(valid_answers(instrument))
    assert instrument.check(answers) == {}
    scores = instrument.score(instrument.clean(answers))
    ranges = {scale.code: (scale.minimum, scale.maximum) for scale in instrument.scales}
    for scale, value in scores.items():
        assert scale in ranges
        if value is not None:
            low, high = ranges[scale]
            assert low - 1e-9 <= value <= high + 1e-9


# --- schedules ------------------------------------------------------------------------------

WEEKLY = Cadence(cadence_days=7, starts_on=date(2026, 3, 2), window_before_days=0,
                 window_after_days=3)  # fmt: skip


def test_a_weekly_occasion_is_due_on_its_day_overdue_after_and_gone_when_the_window_closes():
    assert occasion_on(WEEKLY, date(2026, 3, 8)) is None  # the previous one closed on 5 March
    current = occasion_on(WEEKLY, date(2026, 3, 9))
    assert current is not None and current.due_on == date(2026, 3, 9)
    assert current.state(date(2026, 3, 9)) == "due"
    assert current.state(date(2026, 3, 11)) == "overdue"
    assert occasion_on(WEEKLY, date(2026, 3, 12)) == current  # the last day of the window
    assert occasion_on(WEEKLY, date(2026, 3, 13)) is None
    assert current.state(date(2026, 3, 13)) == "missed"
    assert current.state(date(2026, 3, 8)) == "upcoming"


def test_nothing_is_due_before_the_start_date():
    assert occasion_on(WEEKLY, date(2026, 3, 1)) is None
    assert due_dates(WEEKLY, date(2026, 3, 1)) == []


def test_a_window_that_opens_early_makes_the_occasion_due_before_its_day():
    early = Cadence(cadence_days=21, starts_on=date(2026, 1, 5), window_before_days=3,
                    window_after_days=3)  # fmt: skip
    current = occasion_on(early, date(2026, 1, 23))
    assert current is not None and current.due_on == date(2026, 1, 26)
    assert current.state(date(2026, 1, 23)) == "due"


def test_infusion_anchored_occasions_follow_the_recorded_infusions():
    cycle = Cadence(
        cadence_days=21,
        starts_on=date(2026, 1, 5),
        anchor="infusion",
        window_before_days=3,
        window_after_days=3,
        infusions=(date(2026, 1, 5), date(2026, 1, 26), date(2026, 2, 23)),  # cycle 3 late
    )
    assert due_dates(cycle, date(2026, 4, 10)) == [
        date(2026, 1, 5),
        date(2026, 1, 26),
        date(2026, 2, 23),  # the delayed infusion, not the projected 16 February
        date(2026, 3, 16),  # projected from the last infusion
        date(2026, 4, 6),
    ]
    upcoming = occasion_on(cycle, date(2026, 3, 13))
    assert upcoming is not None and upcoming.due_on == date(2026, 3, 16)


def test_before_any_infusion_the_start_date_projects_the_cycle():
    cycle = Cadence(cadence_days=21, starts_on=date(2026, 1, 5), anchor="infusion")
    assert due_dates(cycle, date(2026, 2, 1)) == [date(2026, 1, 5), date(2026, 1, 26)]


def test_a_recorded_infusion_replaces_the_projected_occasion_of_its_cycle():
    cycle = Cadence(
        cadence_days=21, starts_on=date(2026, 1, 5), anchor="infusion",
        infusions=(date(2026, 1, 8),),
    )  # fmt: skip
    assert due_dates(cycle, date(2026, 1, 30)) == [date(2026, 1, 8), date(2026, 1, 29)]


def test_completion_tracking_lists_every_occasion_in_a_period():
    listed = occasions(WEEKLY, date(2026, 3, 1), date(2026, 3, 31))
    assert [o.due_on.day for o in listed] == [2, 9, 16, 23, 30]


def test_a_window_keeps_its_local_midnights_across_the_spring_clock_change():
    # Paris moves to summer time at 02:00 on 29 March 2026.
    item = occasion(WEEKLY, date(2026, 3, 30))
    opens_at, closes_at = window_bounds(item, "Europe/Paris")
    assert opens_at.isoformat() == "2026-03-30T00:00:00+02:00"
    across = occasion(
        Cadence(cadence_days=7, starts_on=date(2026, 3, 29), window_after_days=3),
        date(2026, 3, 29),
    )
    opens_at, closes_at = window_bounds(across, "Europe/Paris")
    assert opens_at.isoformat() == "2026-03-29T00:00:00+01:00"
    assert closes_at.isoformat() == "2026-04-02T00:00:00+02:00"
    # Four local days, one hour short (same-zone subtraction would ignore the change).
    assert closes_at.astimezone(UTC) - opens_at.astimezone(UTC) == timedelta(days=4, hours=-1)


def test_the_same_instant_is_a_different_day_in_different_time_zones():
    instant = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    in_paris = instruments.local_day(instant, "Europe/Paris")  # 00:30 on 9 March
    in_new_york = instruments.local_day(instant, "America/New_York")  # 19:30 on 8 March
    assert occasion_on(WEEKLY, in_paris) is not None
    assert occasion_on(WEEKLY, in_new_york) is None


# --- default schedules ----------------------------------------------------------------------


def test_t_dxd_patients_answer_qlq_c30_and_lc13_with_each_infusion():
    specs = {s.instrument: s for s in instruments.schedules_for("trastuzumab_deruxtecan",
                                                               brain_metastases=False)}  # fmt: skip
    assert set(specs) == {"qlq_c30", "qlq_lc13", "proctcae_tdxd", "qol_rating", "ecog_self"}
    assert (specs["qlq_c30"].cadence_days, specs["qlq_c30"].anchor) == (21, "infusion")
    assert (specs["proctcae_tdxd"].cadence_days, specs["proctcae_tdxd"].anchor) == (7, "start")


def test_tki_patients_answer_qlq_c30_every_four_weeks_and_brain_metastases_add_the_cns_set():
    specs = {s.instrument: s for s in instruments.schedules_for("zongertinib",
                                                               brain_metastases=True)}  # fmt: skip
    assert (specs["qlq_c30"].cadence_days, specs["qlq_c30"].anchor) == (28, "start")
    assert "proctcae_cns" in specs and "proctcae_zongertinib" in specs


def test_every_scheduled_instrument_exists():
    for drug in ("trastuzumab_deruxtecan", "zongertinib", "sevabertinib", "other", None):
        for spec in instruments.schedules_for(drug, brain_metastases=True):
            assert spec.instrument in instruments.CURRENT
    assert set(proctcae.BY_DRUG.values()) <= set(instruments.CURRENT)
