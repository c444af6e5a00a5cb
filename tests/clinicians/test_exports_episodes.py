"""The episode rule (clinicians.exports.episodes, [D]) and the MedDRA codes of the exports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from clinicians.exports import vocabulary
from clinicians.exports.episodes import Episode, Report, episodes
from diary import grading
from tests.grading.sources import reference_text

T0 = datetime(2025, 1, 1, 8, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def reports(*grades: int | None, subject: str = "S-1", term: str = "diarrhea") -> list[Report]:
    return [
        Report(subject, term, day(n), grade) for n, grade in enumerate(grades) if grade is not None
    ]


@pytest.mark.parametrize(
    "grades,expected",
    [
        ((), []),
        ((0, 0, 0), []),
        ((1,), [(0, None, 1)]),
        ((1, 2, 0), [(0, 2, 2)]),
        ((0, 1, 3, 2, 0, 0), [(1, 4, 3)]),
        ((1, 0, 1), [(0, 1, 1), (2, None, 1)]),
        ((2, None, None, 2, 0), [(0, 4, 2)]),  # unanswered days neither extend nor end it
        ((3, 1, 1, 1), [(0, None, 3)]),
    ],
)
def test_an_episode_runs_from_the_first_grade_1_to_the_first_later_grade_0(grades, expected):
    found = [
        (
            (e.start - T0).days,
            None if e.end is None else (e.end - T0).days,
            e.worst_grade,
        )
        for e in episodes(reports(*grades))
    ]
    assert found == expected


def test_episodes_of_different_terms_and_subjects_never_merge():
    stream = sorted(
        reports(1, 1) + reports(0, 2, term="fatigue") + reports(1, subject="S-2"),
        key=lambda r: (r.subject, r.term, r.at),
    )
    assert list(episodes(stream)) == [
        Episode("S-1", "diarrhea", day(0), None, 1, 1, 2, ("", "")),
        Episode("S-1", "fatigue", day(1), None, 2, 2, 1, ("",)),
        Episode("S-2", "diarrhea", day(0), None, 1, 1, 1, ("",)),
    ]


def test_an_episode_carries_the_refs_of_its_reports_and_of_the_report_ending_it():
    stream = [
        Report("S-1", "diarrhea", day(n), grade, f"E{n}")
        for n, grade in enumerate((0, 1, 2, 0, 0, 1))
    ]
    assert [e.refs for e in episodes(stream)] == [("E1", "E2", "E3"), ("E5",)]


def test_episodes_stream_one_at_a_time():
    def endless():
        n = 0
        while True:
            yield Report("S-1", "diarrhea", day(n), 1 if n % 2 == 0 else 0)
            n += 1

    stream = episodes(endless())
    first, second = next(stream), next(stream)
    assert (first.start, first.end, second.start) == (day(0), day(1), day(2))


# --- MedDRA codes (interoperability.md §4.4 [V]) ----------------------------------------------

# The CTCAE term -> MedDRA table of interoperability.md §4.4, as published there.
SECTION_4_4 = {
    "Pneumonitis": "10035742",
    "Dyspnea": "10013963",
    "Cough": "10011224",
    "Hypoxia": "10021143",
    "Pulmonary fibrosis": "10037383",
    "Lung infection": "10061229",
    "Fever": "10016558",
    "Febrile neutropenia": "10016288",
    "Neutrophil count decreased": "10029366",
    "Diarrhea": "10012727",
    "Nausea": "10028813",
    "Vomiting": "10047700",
    "Dehydration": "10012174",
    "Anorexia": "10002646",
    "Abdominal pain": "10000081",
    "Constipation": "10010774",
    "Mucositis oral": "10028130",
    "Dysgeusia": "10013911",
    "Fatigue": "10016256",
    "Weight loss": "10047900",
    "Alopecia": "10001760",
    "Rash acneiform": "10037847",
    "Rash maculo-papular": "10037868",
    "Paronychia": "10034016",
    "Dry skin": "10013786",
    "Pruritus": "10037087",
    "Palmar-plantar erythrodysesthesia": "10054524",
    "Nail discoloration": "10028691",
    "Nail ridging": "10062283",
    "Nail loss": "10049281",
    "ALT increased": "10001551",
    "AST increased": "10003481",
    "Blood bilirubin increased": "10005364",
    "Ejection fraction decreased": "10050528",
    "Heart failure": "10019279",
    "Headache": "10019211",
    "Seizure": "10039906",
    "Confusion": "10010300",
    "Dizziness": "10013573",
    "Cognitive disturbance": "10009845",
    "Somnolence": "10041349",
    "Blurred vision": "10005886",
    "Generalized muscle weakness": "10062572",
    "Anemia": "10002272",
    "Platelet count decreased": "10035528",
}
# Our term keys whose label differs from §4.4's wording.
KEY_TO_SECTION_4_4 = {
    "alt_increased": "ALT increased",
    "ast_increased": "AST increased",
    "palmar_plantar_erythrodysesthesia": "Palmar-plantar erythrodysesthesia",
}


def section_4_4_name(term: str) -> str:
    return KEY_TO_SECTION_4_4.get(term, grading.TERMS[term].label)


@pytest.mark.parametrize("term", sorted(grading.TERMS))
def test_every_exported_meddra_code_is_the_one_of_section_4_4(term):
    code = vocabulary.meddra_code(term)
    name = section_4_4_name(term)
    if name in SECTION_4_4:
        assert code == SECTION_4_4[name]
    else:
        assert code is None  # no code of our own making


def test_the_table_above_matches_interoperability_md_when_it_is_beside_the_repository():
    text = reference_text("interoperability.md")
    table = text[text.index("### 4.4") : text.index("### 4.5")]
    published: dict[str, str] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for name, codes in zip(cells[0::2], cells[1::2], strict=False):
            if not re.fullmatch(r"[\d /]+", codes):
                continue
            names = [n.strip() for n in name.split("/")]
            numbers = [c.strip() for c in codes.split("/")]
            if len(names) == 1 and len(numbers) == 1:
                published[names[0]] = numbers[0]
            elif names[0].startswith("Nail"):  # "Nail discoloration / ridging / loss"
                for word, number in zip(("discoloration", "ridging", "loss"), numbers, strict=True):
                    published[f"Nail {word}"] = number
            else:
                published.update(zip(names, numbers, strict=True))
    assert published == SECTION_4_4
