"""CDISC SDTM-style datasets (interoperability.md §4.2 [D]) as CSV in a zip:

- QS.csv: questionnaire item responses and their derived scores (QSDRVFL = Y);
- FA.csv: findings about the symptoms, i.e. the diary's answers and provisional grades, and the
  clinician-entered values and grades (FACAT tells which);
- AE.csv: adverse-event episodes (``clinicians.exports.episodes``) with the CTCAE term, its
  MedDRA LLT code (§4.4 [V]), the worst grade, start and end. Patient-reported and
  clinician-confirmed episodes are separate records, told apart by AECAT, never merged;
- define.csv: every variable of the three datasets, and the CTCAE term -> MedDRA codes used.

"SDTM-style": the variables and their meaning follow SDTM, but this is not a submission package
(no define.xml, no controlled-terminology check; --TESTCD values are ToxWatch's item codes, which
may exceed SDTM's 8 characters: the exact PRO-CTCAE QSTESTCD values are [NV] in §4.2).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from clinicians.exports import episodes, source, vocabulary
from clinicians.exports.source import Scope
from clinicians.exports.writers import Tick, open_zip, text, zip_csv
from diary import grading, instruments

PATIENT_REPORTED = "PATIENT-REPORTED"
CLINICIAN_CONFIRMED = "CLINICIAN-CONFIRMED"
EVALUATOR = {"patient": "STUDY SUBJECT", "carer": "CAREGIVER", "clinician": "INVESTIGATOR"}

QS = (
    ("STUDYID", "Study identifier (TOXWATCH_STUDY_ID)"),
    ("DOMAIN", "QS"),
    ("USUBJID", "Pseudonymous subject id (the only subject identifier exported)"),
    ("QSSEQ", "Sequence number within the subject"),
    ("QSSPID", "ToxWatch questionnaire response id"),
    ("QSTESTCD", "Item or score code (ToxWatch's, e.g. PROCTCAE_16A; see define.csv)"),
    ("QSTEST", "Item or score label (never the licensed item wording)"),
    ("QSCAT", "Instrument title and version"),
    ("QSSCAT", "PRO-CTCAE symptom of the item, when it has one"),
    ("QSORRES", "Answer as collected: the public answer word when there is one, else the code"),
    ("QSSTRESC", "Answer or score as text"),
    ("QSSTRESN", "Answer or score as a number"),
    ("QSSTAT", "NOT DONE when a score could not be computed"),
    ("QSDRVFL", "Y for scores ToxWatch derived (e.g. PRO-CTCAE composite grades 0-3)"),
    ("QSEVAL", "STUDY SUBJECT"),
    ("QSDTC", "Completion time, ISO 8601 with the phone's UTC offset"),
    ("VISIT", "The scheduled occasion the response fulfils (DUE yyyy-mm-dd) or UNSCHEDULED"),
)
FA = (
    ("STUDYID", "Study identifier"),
    ("DOMAIN", "FA"),
    ("USUBJID", "Pseudonymous subject id"),
    ("FASEQ", "Sequence number within the subject"),
    ("FASPID", "ToxWatch diary entry or observation id"),
    ("FATESTCD", "Field name of the answer, or CTCAEGR for the grade"),
    ("FATEST", "Field label, or CTCAE grade"),
    ("FAOBJ", "CTCAE v5.0 term the finding is about"),
    ("FACAT", f"{PATIENT_REPORTED} (diary; grades provisional) or {CLINICIAN_CONFIRMED}"),
    ("FAORRES", "Result as collected (numbers, true/false, choice codes)"),
    ("FAORRESU", "Unit of the result"),
    ("FASTRESC", "Result as text"),
    ("FASTRESN", "Result as a number, when numeric"),
    ("FASTAT", "NOT DONE when the grade could not be computed (answers missing)"),
    ("FAEVAL", "STUDY SUBJECT, CAREGIVER (answering for the patient) or INVESTIGATOR"),
    ("FADTC", "When recorded, ISO 8601 with the UTC offset"),
)
AE = (
    ("STUDYID", "Study identifier"),
    ("DOMAIN", "AE"),
    ("USUBJID", "Pseudonymous subject id"),
    ("AESEQ", "Sequence number within the subject"),
    ("AESPID", "PRO-n for patient-reported, CLIN-n for clinician-confirmed episodes"),
    ("AECAT", f"{PATIENT_REPORTED} (from diary grades) or {CLINICIAN_CONFIRMED} (observations)"),
    ("AETERM", "CTCAE v5.0 term"),
    ("AEDECOD", "CTCAE v5.0 term (a MedDRA LLT; PT coding is left to the sponsor)"),
    ("AELLT", "MedDRA lowest level term: the CTCAE term"),
    ("AELLTCD", "MedDRA LLT code of the CTCAE term (interoperability.md §4.4)"),
    ("AEPTCD", "MedDRA PT code: empty (not in the reference; code with your MedDRA version)"),
    ("AETOXGR", "Worst CTCAE v5.0 grade in the episode"),
    ("AESTDTC", "First report of grade >= 1, ISO 8601 with the UTC offset"),
    ("AEENDTC", "First later report of grade 0; empty when not resolved by the last report"),
    ("AEOUT", "RECOVERED/RESOLVED when it ended, else NOT RECOVERED/NOT RESOLVED"),
)


def write(scope: Scope, path: Path, tick: Tick) -> None:
    study = settings.TOXWATCH_STUDY_ID
    with open_zip(path) as archive:
        with zip_csv(archive, "QS.csv") as out:
            out.writerow([name for name, _ in QS])
            _qs(scope, out, study, tick)
        with zip_csv(archive, "FA.csv") as out:
            out.writerow([name for name, _ in FA])
            _fa(scope, out, study, tick)
        with zip_csv(archive, "AE.csv") as out:
            out.writerow([name for name, _ in AE])
            _ae(scope, out, study)
        with zip_csv(archive, "define.csv") as out:
            out.writerow(["dataset", "variable", "label", "code_system", "code"])
            for dataset, variables in (("QS", QS), ("FA", FA), ("AE", AE)):
                out.writerows([dataset, name, label, "", ""] for name, label in variables)
            out.writerows(
                ["AE", "AELLTCD", spec.label, vocabulary.MEDDRA_SYSTEM, spec.meddra_code]
                for spec in grading.TERMS.values()
                if spec.meddra_code
            )


def dtc(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value) if isinstance(value, int | float) else ""


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()[:40]


def _qs(scope: Scope, out: Any, study: str, tick: Tick) -> None:
    seq: Counter[str] = Counter()
    for q in source.response_records(scope):
        try:
            instrument = instruments.get(q.instrument, q.instrument_version)
        except KeyError:
            instrument = instruments.CURRENT[q.instrument]
        category = f"{instrument.title} v{instrument.version}"
        visit = f"DUE {q.due_on.isoformat()}" if q.due_on else "UNSCHEDULED"
        when = dtc(q.completed_at)
        items = {i.code: i for i in instrument.items}
        for code, value in q.answers.items():
            item = items.get(code)
            word = item.scale.label(value) if item is not None and item.scale.labels else None
            group = vocabulary.PROCTCAE_ITEMS.get(code, ("", ""))[0]
            seq[q.subject_id] += 1
            out.writerow(
                [
                    study,
                    "QS",
                    q.subject_id,
                    seq[q.subject_id],
                    q.id,
                    code,
                    (item.label if item is not None else code)[:40],
                    category,
                    group,
                    word or text(value),
                    text(value),
                    _number(value),
                    "",
                    "",
                    "STUDY SUBJECT",
                    when,
                    visit,
                ]
            )
        labels = {scale.code: scale.label for scale in instrument.scales}
        for code, score in q.scores.items():
            seq[q.subject_id] += 1
            out.writerow(
                [
                    study,
                    "QS",
                    q.subject_id,
                    seq[q.subject_id],
                    q.id,
                    code,
                    labels.get(code, code)[:40],
                    category,
                    code if code in vocabulary.PROCTCAE_SYMPTOM_NAMES else "",
                    text(score),
                    text(score),
                    _number(score),
                    "NOT DONE" if score is None else "",
                    "Y",
                    "STUDY SUBJECT",
                    when,
                    visit,
                ]
            )
        tick()


def _fa(scope: Scope, out: Any, study: str, tick: Tick) -> None:
    seq: Counter[str] = Counter()
    units = {
        (term, field): spec.unit
        for term, term_spec in grading.TERMS.items()
        for field, spec in term_spec.fields.items()
    }

    def rows(
        subject: str,
        record_id: object,
        category: str,
        evaluator: str,
        when: str,
        answers: dict[str, dict[str, Any]],
        grades: tuple[source.GradeRow, ...],
    ) -> list[list[Any]]:
        found = []
        for term, fields in answers.items():
            for field, value in fields.items():
                found.append([term, field, _label(field), value, units.get((term, field), ""), ""])
        for g in grades:
            status = "NOT DONE" if g.grade is None else ""
            found.append(
                [g.term, "CTCAEGR", f"CTCAE v{g.ctcae_version} grade", g.grade, "", status]
            )
        lines = []
        for term, testcd, test, value, unit, status in found:
            seq[subject] += 1
            lines.append(
                [
                    study,
                    "FA",
                    subject,
                    seq[subject],
                    record_id,
                    testcd.upper(),
                    test,
                    vocabulary.term_label(term),
                    category,
                    text(value),
                    unit,
                    text(value),
                    _number(value),
                    status,
                    evaluator,
                    when,
                ]
            )
        return lines

    for r in source.diary_records(scope):
        out.writerows(
            rows(
                r.subject_id,
                r.id,
                PATIENT_REPORTED,
                EVALUATOR.get(r.reporter, "STUDY SUBJECT"),
                dtc(r.recorded_at),
                r.symptoms,
                tuple(g for g in r.grades if g.status != "not_graded"),
            )
        )
        tick()
    for o in source.observation_records(scope):
        out.writerows(
            rows(
                o.subject_id,
                o.id,
                CLINICIAN_CONFIRMED,
                EVALUATOR["clinician"],
                dtc(o.observed_at),
                {o.term: o.inputs},
                (o.grade,) if o.grade.status != "not_graded" else (),
            )
        )
        tick()


def _ae(scope: Scope, out: Any, study: str) -> None:
    seq: Counter[str] = Counter()
    passes = (
        (PATIENT_REPORTED, "PRO", source.diary_reports(scope) if scope.diary else iter(())),
        (
            CLINICIAN_CONFIRMED,
            "CLIN",
            source.clinician_reports(scope) if scope.clinician else iter(()),
        ),
    )
    for category, prefix, reports in passes:
        for number, episode in enumerate(episodes.episodes(reports), start=1):
            seq[episode.subject] += 1
            label = vocabulary.term_label(episode.term)
            out.writerow(
                [
                    study,
                    "AE",
                    episode.subject,
                    seq[episode.subject],
                    f"{prefix}-{number}",
                    category,
                    label,
                    label,
                    label,
                    vocabulary.meddra_code(episode.term) or "",
                    "",
                    episode.worst_grade,
                    dtc(episode.start),
                    dtc(episode.end) if episode.end else "",
                    "RECOVERED/RESOLVED" if episode.end else "NOT RECOVERED/NOT RESOLVED",
                ]
            )
