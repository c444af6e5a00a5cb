"""GET /api/v1/catalogue/ (issue 16): the grading vocabulary as an app needs it, in three
languages, with what to ask this patient today and the answers that mean "call now"."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from diary import call_now, catalogue, catalogue_text, drugs, vocabulary_messages
from diary.grading import TERMS
from diary.models import FollowUp
from tests.helpers import enrolled_client, make_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic(phone_24h="+44 20 7946 0000")


def get(client: APIClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/catalogue/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_catalogue_has_every_self_reported_term_and_field_of_the_vocabulary_and_no_other(
    clinic,
):
    _, client = enrolled_client(clinic, "zongertinib")
    data = get(client)
    terms = {t["term"]: t for t in data["terms"]}
    expected = {name for name, spec in TERMS.items() if spec.self_reportable}
    assert set(terms) == expected
    assert not {name for name, spec in TERMS.items() if not spec.self_reportable} & set(terms)
    for name, term in terms.items():
        spec = TERMS[name]
        assert term["alert_only"] == spec.alert_only
        assert term["primary_fields"] == list(spec.primary_fields)
        assert term["meddra_code"] == spec.meddra_code
        assert {f["name"] for f in term["fields"]} == set(spec.fields), name
        assert len(term["fields"]) == len(spec.fields)
        for field in term["fields"]:
            fs = spec.fields[field["name"]]
            assert field["kind"] == fs.kind
            assert [c["value"] for c in field["choices"]] == list(fs.choices)
            assert field["minimum"] == fs.minimum and field["maximum"] == fs.maximum
            assert field["unit"] == fs.unit
            assert field["lower_is_worse"] == fs.lower_is_worse
            assert field["primary"] == (field["name"] in spec.primary_fields)
            assert field["label"] == fs.label  # English: the vocabulary's own question


def test_primary_fields_come_first_on_each_term(clinic):
    _, client = enrolled_client(clinic)
    for term in get(client)["terms"]:
        names = [f["name"] for f in term["fields"]]
        assert names[: len(term["primary_fields"])] == term["primary_fields"]


@pytest.mark.parametrize(
    ("drug", "brain_metastases"),
    [
        ("trastuzumab_deruxtecan", False),
        ("zongertinib", True),
        ("sevabertinib", False),
        ("other", True),
    ],
)
def test_the_terms_to_ask_today_are_report_terms_in_order_and_match_me(
    clinic, drug, brain_metastases
):
    patient, client = enrolled_client(clinic, drug, brain_metastases=brain_metastases)
    data = get(client)
    wanted = drugs.report_terms(drug, brain_metastases=brain_metastases, liver_check=False)
    if drug in drugs.LIVER_CHECK_DRUGS:  # started today, never answered: the weekly check is due
        wanted = drugs.report_terms(drug, brain_metastases=brain_metastases, liver_check=True)
    assert data["ask_today"] == wanted
    assert data["ask_today"] == client.get("/api/v1/me/").json()["report_terms"]
    assert set(data["ask_today"]) <= {t["term"] for t in data["terms"]}


def test_a_due_follow_up_adds_its_terms_after_the_drug_terms(clinic):
    from django.utils import timezone

    patient, client = enrolled_client(clinic, "trastuzumab_deruxtecan")
    FollowUp.objects.create(
        patient=patient, code="diarrhea_recheck_24h", terms=["pruritus"], due_at=timezone.now()
    )
    data = get(client)
    assert data["ask_today"][-1] == "pruritus"
    assert data["ask_today"] == client.get("/api/v1/me/").json()["report_terms"]


def test_call_now_answers_are_those_that_apply_to_the_patient(clinic):
    _, client = enrolled_client(clinic, "zongertinib", brain_metastases=False)
    rows = get(client)["call_now"]
    expected = [
        r.as_dict()
        for r in call_now.CALL_NOW
        if r.applies_to(drug="zongertinib", brain_metastases=False)
    ]
    assert rows == expected
    assert {r["term"] for r in rows} >= {"fever", "dyspnea", "liver_symptoms"}
    assert "seizure" not in {r["term"] for r in rows}
    assert all(r["source"].startswith("§5.") for r in rows)


def test_a_patient_with_brain_metastases_gets_the_seizure_row_and_the_clinic_line(clinic):
    _, client = enrolled_client(clinic, "trastuzumab_deruxtecan", brain_metastases=True)
    data = get(client)
    assert any(r["term"] == "seizure" for r in data["call_now"])
    assert data["contacts"]["clinic_phone_24h"] == "+44 20 7946 0000"
    assert data["contacts"]["emergency_number"]
    assert set(data["messages"]["red_by_kind"]) == {r.kind for r in call_now.CALL_NOW}


def test_the_same_catalogue_answers_304_to_its_etag_and_another_language_changes_it(clinic):
    _, client = enrolled_client(clinic)
    first = client.get("/api/v1/catalogue/")
    tag = first["ETag"]
    assert tag and first["Cache-Control"] == "private, no-cache"
    again = client.get("/api/v1/catalogue/", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    assert again.content == b""
    spanish = client.get("/api/v1/catalogue/", {"lang": "es"}, HTTP_IF_NONE_MATCH=tag)
    assert spanish.status_code == 200
    assert spanish["ETag"] != tag


@pytest.mark.parametrize("language", ["es", "zh-hans"])
def test_every_label_the_patient_reads_is_translated_and_marked_for_clinical_review(
    clinic, language
):
    _, client = enrolled_client(clinic)
    english = get(client, lang="en")
    other = get(client, lang=language)
    assert other["language"] == language
    assert other["translation_status"] == "awaiting_clinical_review"
    assert english["translation_status"] == "source"
    untranslated = []
    for en_term, term in zip(english["terms"], other["terms"], strict=True):
        if term["label"] == en_term["label"]:
            untranslated.append(term["term"])
        for en_field, field in zip(en_term["fields"], term["fields"], strict=True):
            if field["label"] == en_field["label"]:
                untranslated.append(f"{term['term']}.{field['name']}")
            if en_field["help"] and field["help"] == en_field["help"]:
                untranslated.append(f"{term['term']}.{field['name']} help")
            for en_choice, choice in zip(en_field["choices"], field["choices"], strict=True):
                if choice["label"] == en_choice["label"]:
                    untranslated.append(f"{term['term']}.{field['name']}={choice['value']}")
    for key, text in english["messages"]["red_by_kind"].items():
        if other["messages"]["red_by_kind"][key] == text:
            untranslated.append(f"red_by_kind.{key}")
    assert untranslated == []
    # The vocabulary's codes never change with the language.
    assert [t["term"] for t in other["terms"]] == [t["term"] for t in english["terms"]]


def test_the_language_is_the_query_s_else_the_patient_s_stored_language(clinic):
    patient, client = enrolled_client(clinic)
    assert get(client)["language"] == "en"
    response = client.get("/api/v1/catalogue/", {"lang": "zh-CN"})
    assert response.json()["language"] == "zh-hans"
    assert response["Content-Language"] == "zh-hans"
    patient.language = "es"
    patient.save()
    assert get(client)["language"] == "es"
    assert get(client, lang="zh-Hans")["language"] == "zh-hans"
    assert get(client, lang="zh-TW")["language"] == "es"  # traditional Chinese: not offered
    assert get(client, lang="fr")["language"] == "es"


def test_the_catalogue_needs_a_signed_in_patient():
    response = APIClient().get("/api/v1/catalogue/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_every_term_has_a_title_and_every_choice_a_label():
    for spec in catalogue.self_reported_terms():
        assert spec.name in catalogue_text.TERM_TITLES, spec.name
        for name, field in spec.fields.items():
            for value in field.choices:
                assert (name, value) in catalogue_text.FIELD_CHOICE_LABELS or (
                    value in catalogue_text.CHOICE_LABELS
                ), (spec.name, name, value)


def test_the_generated_vocabulary_messages_are_up_to_date():
    with open(
        vocabulary_messages.__file__.replace("vocabulary_messages", "catalogue_vocabulary"),
        encoding="utf-8",
    ) as f:
        assert f.read() == vocabulary_messages.source(), (
            "run: PYTHONPATH=. python -m diary.vocabulary_messages > diary/catalogue_vocabulary.py"
        )


def test_the_patient_can_change_their_language_and_nothing_else(clinic):
    patient, client = enrolled_client(clinic)
    answer = client.patch("/api/v1/me/", {"language": "zh-hans"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["language"] == "zh-hans"
    patient.refresh_from_db()
    assert patient.language == "zh-hans"
    wrong = client.patch("/api/v1/me/", {"language": "klingon"}, format="json")
    assert wrong.status_code == 400 and "language" in wrong.json()["fields"]
    other = client.patch("/api/v1/me/", {"timezone": "UTC"}, format="json")
    assert other.status_code == 400 and "timezone" in other.json()["fields"]


def test_the_catalogue_languages_are_the_patient_language_choices():
    from diary.models import Language

    assert tuple(Language.values) == catalogue.LANGUAGES


def test_the_medications_are_those_the_entry_accepts_and_tki_doses_are_asked_on_a_tki(clinic):
    from diary.serializers import MedicationsSerializer

    _, tki = enrolled_client(clinic, "sevabertinib")
    data = get(tki)["medications"]
    assert [f["name"] for f in data["fields"]] == list(MedicationsSerializer().fields)
    kinds = {f["name"]: f["kind"] for f in data["fields"]}
    assert kinds == {
        "loperamide_mg": "number",
        "tki_doses_taken": "int",
        "tki_doses_missed": "int",
        "tki_dose_vomited": "bool",
        "missed_dose_reason": "text",
    }
    loperamide = data["fields"][0]
    assert (loperamide["minimum"], loperamide["maximum"], loperamide["step"]) == (0, 100, 0.1)
    assert data["ask"] == ["loperamide_mg", *catalogue.TKI_MEDICATIONS]
    _, adc = enrolled_client(clinic, "trastuzumab_deruxtecan")
    assert get(adc)["medications"]["ask"] == ["loperamide_mg"]


@pytest.mark.parametrize("language", ["es", "zh-hans"])
def test_the_medication_questions_are_translated(clinic, language):
    _, client = enrolled_client(clinic, "zongertinib")
    english = get(client, lang="en")["medications"]
    other = get(client, lang=language)["medications"]
    assert other["label"] != english["label"]
    for en_field, field in zip(english["fields"], other["fields"], strict=True):
        assert field["label"] != en_field["label"], field["name"]
