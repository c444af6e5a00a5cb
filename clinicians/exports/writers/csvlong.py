"""CSV in long format: one row per value (an answer, a grade, a medication, a score), with a
data dictionary that describes every column and every code (data_dictionary.csv)."""

from __future__ import annotations

import json
from pathlib import Path

from clinicians.exports import source, vocabulary
from clinicians.exports.source import Scope
from clinicians.exports.writers import BufferedCsv, Tick, cached_cell, cell, open_zip, text, zip_csv
from diary import grading, instruments

PATIENT_REPORTED = "patient_reported"
CLINICIAN_CONFIRMED = "clinician_confirmed"

# (column, description): the dictionary's first part, and the header of data.csv.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("subject_id", "Pseudonymous study subject id. The only subject identifier exported."),
    (
        "source",
        f"{PATIENT_REPORTED}: answered by the patient or a carer on the app (grades are "
        f"provisional, CTCAE-style); {CLINICIAN_CONFIRMED}: entered by the care team "
        "(labs, imaging, LVEF). The two are never merged.",
    ),
    ("reporter", "patient, carer (answering for the patient) or clinician."),
    (
        "instrument",
        f"{vocabulary.SYMPTOM_DIARY} (CTCAE v5.0 symptom diary), "
        f"{vocabulary.CLINICIAN_OBSERVATIONS}, or a questionnaire code (see the instrument rows).",
    ),
    ("instrument_version", "Questionnaire version; empty for the diary and observations."),
    ("record_id", "Id of the diary entry, observation or questionnaire response."),
    (
        "corrects_record_id",
        "For a diary entry that corrects an earlier one: the earlier entry's id. The "
        "correction replaces it; both are exported.",
    ),
    (
        "recorded_at",
        "When it was recorded, ISO 8601 with the UTC offset: the phone's local time for the "
        "diary and questionnaires, the clinic's for observations.",
    ),
    ("received_at", "When the server stored it, ISO 8601 UTC."),
    (
        "kind",
        "answer (an item as answered), grade (a CTCAE v5.0 grade computed by ToxWatch), "
        "medication (diary medication fields), score (a questionnaire score computed by "
        "ToxWatch, e.g. a PRO-CTCAE composite grade 0-3, which is not a CTCAE grade).",
    ),
    (
        "term",
        "CTCAE term key for diary and observation rows; the PRO-CTCAE symptom of a "
        "questionnaire item; empty otherwise.",
    ),
    ("item", "Field name, item code, scale code, or ctcae_grade for grade rows."),
    ("value", "The value: numbers, true/false, a choice code, or empty when not graded."),
    ("unit", "Unit of a numeric value, when it has one."),
    ("grade_status", "For grade rows: graded, insufficient (answers missing) or not_graded."),
    ("ctcae_version", "For grade rows: the CTCAE version graded against."),
    ("grading_version", "For grade rows: the version of ToxWatch's grading engine."),
    ("meddra_code", "For grade rows: the MedDRA LLT code of the CTCAE term, when known."),
)
HEADER = [name for name, _ in COLUMNS]
DICTIONARY_HEADER = [
    "kind",
    "instrument",
    "name",
    "label",
    "type",
    "unit",
    "allowed_values",
    "code_system",
    "code",
]


def write(scope: Scope, path: Path, tick: Tick) -> None:
    with open_zip(path) as archive:
        with zip_csv(archive, "data.csv") as out:
            out.writerow(HEADER)
            _diary(scope, out, tick)
            _observations(scope, out, tick)
            _responses(scope, out, tick)
        with zip_csv(archive, "data_dictionary.csv") as out:
            out.writerow(DICTIONARY_HEADER)
            out.writerows(dictionary_rows(scope))


def _units() -> dict[tuple[str, str], str]:
    return {
        (term, field): spec.unit
        for term, term_spec in grading.TERMS.items()
        for field, spec in term_spec.fields.items()
        if spec.unit
    }


def _diary(scope: Scope, out: BufferedCsv, tick: Tick) -> None:
    # The hot loop of large exports. Each line is the entry's prefix (subject to received_at)
    # and a tail (kind to meddra_code). Tails depend only on values from small vocabularies
    # (an entry's answers, a grade and its versions, a dose), so each distinct one is rendered
    # once and looked up after that; an entry costs a few dict lookups, two isoformat calls and
    # string joins. ``cell`` quotes like csv.writer (tests/clinicians/test_exports_formats.py
    # reads every line back with csv).
    units = _units()
    meddra = {term: spec.meddra_code or "" for term, spec in grading.TERMS.items()}
    lead = f",{PATIENT_REPORTED},"
    diary = f",{vocabulary.SYMPTOM_DIARY},,"
    answer_tails: dict[str, tuple[str, ...]] = {}  # by the entry's answers' JSON text
    grade_tails: dict[source.GradeRow, str] = {}
    medication_tails: dict[tuple[str, object], str] = {}
    subject, subject_cell = None, ""
    for r, grades in source.diary_rows(scope):
        if r.subject_id != subject:
            subject, subject_cell = r.subject_id, cell(r.subject_id)
        prefix = (
            f"{subject_cell}{lead}{cached_cell(r.reporter)}{diary}{r.id},"
            f"{r.corrects_id or ''},{source.local(r.recorded_at, r.offset_minutes).isoformat()},"
            f"{r.received_at.isoformat()},"
        )
        tails = answer_tails.get(r.symptoms_json)
        if tails is None:
            if len(answer_tails) >= ANSWER_TAILS_KEPT:
                answer_tails.clear()
            tails = answer_tails[r.symptoms_json] = _answer_tails(
                json.loads(r.symptoms_json), units
            )
        lines = [prefix + tail for tail in tails]
        for g in grades:
            tail = grade_tails.get(g)
            if tail is None:
                tail = grade_tails[g] = (
                    f"grade,{cell(g.term)},ctcae_grade,{cell(g.grade)},,{cell(g.status)},"
                    f"{cell(g.ctcae_version)},{cell(g.grading_version)},"
                    f"{meddra.get(g.term, '')}\r\n"
                )
            lines.append(prefix + tail)
        for name, value in source.medications(r).items():
            tail = medication_tails.get((name, value))
            if tail is None:
                tail = medication_tails[(name, value)] = (
                    f"medication,,{name},{cell(value)},"
                    f"{'mg' if name == 'loperamide_mg' else ''},,,,\r\n"
                )
            lines.append(prefix + tail)
        out.write("".join(lines))
        tick()


# Distinct answer sets whose rendered lines are kept; the cache restarts when full, so memory
# stays bounded whatever the cohort.
ANSWER_TAILS_KEPT = 20_000


def _answer_tails(
    symptoms: dict[str, dict[str, object]], units: dict[tuple[str, str], str]
) -> tuple[str, ...]:
    """The tails (kind to meddra_code) of an entry's answer lines, in the entry's order."""
    return tuple(
        f"answer,{cell(term)},{cell(field)},{cell(value)},{cell(units.get((term, field), ''))}"
        ",,,,\r\n"
        for term, answers in symptoms.items()
        for field, value in answers.items()
    )


def _observations(scope: Scope, out: object, tick: Tick) -> None:
    units = _units()
    writerows = out.writerows  # type: ignore[attr-defined]
    for o in source.observation_records(scope):
        head = [
            o.subject_id,
            CLINICIAN_CONFIRMED,
            "clinician",
            vocabulary.CLINICIAN_OBSERVATIONS,
            "",
            str(o.id),
            "",
            o.observed_at.isoformat(),
            o.created_at.isoformat(),
        ]
        rows = [
            [*head, "answer", o.term, field, text(value), units.get((o.term, field), "")] + [""] * 4
            for field, value in o.inputs.items()
        ]
        g = o.grade
        rows.append(
            [
                *head,
                "grade",
                o.term,
                "ctcae_grade",
                text(g.grade),
                "",
                g.status,
                g.ctcae_version,
                g.grading_version,
                vocabulary.meddra_code(o.term) or "",
            ]
        )
        writerows(rows)
        tick()


def _responses(scope: Scope, out: object, tick: Tick) -> None:
    writerows = out.writerows  # type: ignore[attr-defined]
    groups = {code: group for code, (group, _) in vocabulary.PROCTCAE_ITEMS.items()}
    for q in source.response_records(scope):
        head = [
            q.subject_id,
            PATIENT_REPORTED,
            "patient",
            q.instrument,
            q.instrument_version,
            str(q.id),
            "",
            q.completed_at.isoformat(),
            q.received_at.isoformat(),
        ]
        rows = [
            [*head, "answer", groups.get(code, ""), code, text(value), "", "", "", "", ""]
            for code, value in q.answers.items()
        ]
        rows.extend(
            [*head, "score", "", code, text(value), "", "", "", "", ""]
            for code, value in q.scores.items()
        )
        writerows(rows)
        tick()


def dictionary_rows(scope: Scope) -> list[list[str]]:
    """Every column, and every code the chosen sources can write: CTCAE terms with their MedDRA
    codes and fields; questionnaire items with their ranges and NCIt codes; scales."""
    rows: list[list[str]] = [
        ["column", "", name, description, "", "", "", "", ""] for name, description in COLUMNS
    ]
    if scope.diary or scope.clinician:
        for term, spec in grading.TERMS.items():
            code = spec.meddra_code or ""
            rows.append(
                [
                    "ctcae_term",
                    "",
                    term,
                    spec.label,
                    "",
                    "",
                    "|".join(map(str, vocabulary.allowed_grades(term)))
                    if not spec.alert_only
                    else "not graded",
                    vocabulary.MEDDRA_SYSTEM if code else "",
                    code,
                ]
            )
            for field, field_spec in spec.fields.items():
                allowed = (
                    "|".join(field_spec.choices)
                    if field_spec.choices
                    else (
                        f"{field_spec.minimum}-{field_spec.maximum}"
                        if field_spec.minimum is not None
                        else ("true|false" if field_spec.kind == "bool" else "")
                    )
                )
                rows.append(
                    [
                        "field",
                        "",
                        f"{term}.{field}",
                        field_spec.label,
                        field_spec.kind,
                        field_spec.unit,
                        allowed,
                        "",
                        "",
                    ]
                )
    if scope.diary:
        rows.extend(
            [
                [
                    "medication",
                    vocabulary.SYMPTOM_DIARY,
                    "loperamide_mg",
                    "Loperamide taken, mg in the last 24 h",
                ]
                + ["number", "mg", "", "", ""],
                ["medication", vocabulary.SYMPTOM_DIARY, "tki_doses_taken", "TKI doses taken"]
                + ["int", "", "", "", ""],
                ["medication", vocabulary.SYMPTOM_DIARY, "tki_doses_missed", "TKI doses missed"]
                + ["int", "", "", "", ""],
                ["medication", vocabulary.SYMPTOM_DIARY, "tki_dose_vomited", "TKI dose vomited"]
                + ["bool", "", "true|false", "", ""],
            ]
        )
    for code in sorted(scope.questionnaires):
        instrument = instruments.CURRENT[code]
        rows.append(
            [
                "instrument",
                code,
                code,
                f"{instrument.title} (version {instrument.version}; recall {instrument.recall})",
                "",
                "",
                "",
                "",
                "",
            ]
        )
        for item in instrument.items:
            scale = item.scale
            allowed = "|".join(
                f"{value}={scale.label(value)}" if scale.labels else str(value)
                for value in scale.values
            )
            ncit = item.ncit_code or ""
            rows.append(
                [
                    "item",
                    code,
                    item.code,
                    item.label,
                    "int",
                    "",
                    allowed,
                    vocabulary.NCIT_SYSTEM if ncit else "",
                    ncit,
                ]
            )
        for score in instrument.scales:
            rows.append(
                [
                    "score",
                    code,
                    score.code,
                    score.label,
                    "number",
                    "",
                    f"{score.minimum}-{score.maximum}",
                    "",
                    "",
                ]
            )
    return rows
