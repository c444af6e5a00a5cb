"""What the patient is told follows the alert evaluation (reference §5.8).

Properties over generated reports: the advice's level always equals the report's alert level; a
RED answer carries only RED items, the 24-hour line and the emergency number; an AMBER answer
carries nothing RED; a GREEN answer promises no review. First over the pure ``advise``, then
through the diary service and the pipeline with generated entries (the property the issue names).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import rules
from alerts.rules import advice
from diary import services
from diary.grading import TERMS, FieldSpec
from diary.vocabulary import KINDS, LEVEL_RANK
from tests.helpers import enroll, make_clinic

REPORTABLE = sorted(n for n, s in TERMS.items() if s.self_reportable)
ALERT_KINDS = [kind for kind in KINDS if kind != "other"]
PHONE = "+44 20 7000 0000"
AMBER_WORDS = ("within 24 hours",)
GREEN_WORDS = ("Keep recording how you feel", "we will ask again", "Nothing you reported")


def check(answer: rules.Advice, level: str) -> None:
    shape = answer.as_dict()
    assert answer.level == level == shape["summary"]["level"]
    item_levels = [item["level"] for item in shape["items"]]
    assert all(LEVEL_RANK[each] <= LEVEL_RANK[level] for each in item_levels)
    everything = " ".join([shape["summary"]["text"], *(i["text"] for i in shape["items"])])
    if level == "red":
        assert set(item_levels) <= {"red"}
        assert f"24-hour line ({PHONE}) now" in shape["summary"]["text"]
        assert "emergency number" in shape["summary"]["text"]
        assert not [w for w in (*AMBER_WORDS, *GREEN_WORDS) if w.lower() in everything.lower()]
    elif level == "amber":
        assert "within 24 hours" in shape["summary"]["text"]
        assert "red" not in item_levels
    else:
        assert set(item_levels) <= {"green"}
        assert "within 24 hours" not in everything


@settings(max_examples=400, deadline=None)
@given(
    told=st.dictionaries(st.sampled_from(ALERT_KINDS), st.sampled_from(["green", "amber", "red"])),
    codes=st.lists(st.sampled_from([r.code for r in rules.RULES]), max_size=4),
    reported=st.lists(st.sampled_from(REPORTABLE), max_size=6, unique=True),
    grades=st.dictionaries(st.sampled_from(REPORTABLE), st.none() | st.integers(0, 4)),
    drug_class=st.sampled_from(["adc", "tki", "other"]),
)
def test_the_advice_level_is_the_highest_level_told_and_never_calmer(
    told: dict[str, str],
    codes: list[str],
    reported: list[str],
    grades: dict[str, int | None],
    drug_class: str,
) -> None:
    answer = rules.advise(
        told=told,
        codes=codes,
        reported=reported,
        grades=grades,
        drug_class=drug_class,
        phone=PHONE,
    )
    expected = max(told.values(), key=LEVEL_RANK.__getitem__, default="green")
    check(answer, expected)
    for kind, level in told.items():
        if level == expected != "green":
            spoken = [i for i in answer.items if i.level == level]
            assert spoken, f"{kind} at {level} has no item"


def test_every_alert_kind_has_red_and_amber_wording_of_its_own() -> None:
    for kind in ALERT_KINDS:
        if kind == "diary":
            continue  # the missed-diary alert is not a report: nobody reads an answer
        assert kind in advice.RED_TEXT, kind
        assert kind in advice.AMBER_TEXT, kind


def test_a_seizure_gets_first_aid_and_other_cns_reds_the_same_day_call() -> None:
    seizure = rules.advise(
        told={"cns": "red"},
        codes=["cns.red.seizure"],
        reported=["seizure"],
        grades={},
        drug_class="tki",
    )
    assert "on their side" in seizure.items[0].text
    confusion = rules.advise(
        told={"cns": "red"},
        codes=["cns.red.new_confusion"],
        reported=["confusion"],
        grades={},
        drug_class="tki",
    )
    assert "same day" in confusion.items[0].text


# --- through the pipeline -------------------------------------------------------------------


def valid_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    low, high = spec.minimum, spec.maximum
    assert low is not None and high is not None
    if spec.kind == "int":
        return st.integers(int(low), int(high))
    return st.integers(int(low), int(high)) | st.floats(low, high).map(lambda x: round(x, 1))


def answers(term: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = TERMS[term].fields
    return st.fixed_dictionaries({}, optional={n: valid_value(s) for n, s in fields.items()})


SYMPTOMS = st.dictionaries(st.sampled_from(REPORTABLE), st.none(), max_size=4).flatmap(
    lambda chosen: st.fixed_dictionaries({term: answers(term) for term in chosen})
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drug=st.sampled_from(["trastuzumab_deruxtecan", "zongertinib", "sevabertinib", "other"]),
    brain_metastases=st.booleans(),
    reports=st.lists(SYMPTOMS, min_size=1, max_size=3),
    loperamide=st.none() | st.integers(0, 24),
)
def test_generated_entries_tell_the_patient_exactly_their_alert_level(
    drug: str, brain_metastases: bool, reports: list[dict[str, Any]], loperamide: int | None
) -> None:
    clinic = make_clinic(f"P{uuid.uuid4().hex[:6]}", phone_24h=PHONE)
    patient, _ = enroll(clinic, drug, brain_metastases=brain_metastases)
    for symptoms in reports:
        data = {
            "id": uuid.uuid4(),
            "recorded_at": timezone.now(),
            "symptoms": symptoms,
            "medications": {} if loperamide is None else {"loperamide_mg": loperamide},
        }
        entry = services.submit_entry(patient=patient, data=data).entry
        entry.refresh_from_db()
        stored = rules.Advice(
            level=entry.advice["summary"]["level"],
            summary=entry.advice["summary"]["text"],
            items=tuple(rules.AdviceItem(**item) for item in entry.advice["items"]),
        )
        check(stored, entry.alert_level)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "says"),
    [("es", "número de emergencias"), ("zh-hans", "急救电话"), ("en", "emergency number")],
)
def test_the_advice_is_told_in_the_patients_language(language: str, says: str) -> None:
    clinic = make_clinic("LANG", phone_24h=PHONE)
    patient, _ = enroll(clinic, "trastuzumab_deruxtecan")
    patient.language = language
    patient.save(update_fields=["language"])
    data = {
        "id": uuid.uuid4(),
        "recorded_at": timezone.now(),
        "symptoms": {"fever": {"temp_c": 38.4}},
        "medications": {},
    }
    entry = services.submit_entry(patient=patient, data=data).entry
    assert entry.alert_level == "red"
    assert says in entry.advice["summary"]["text"]
    assert PHONE in entry.advice["summary"]["text"]
    assert entry.advice["items"][0]["level"] == "red"
