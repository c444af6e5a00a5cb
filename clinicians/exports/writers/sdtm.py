"""CDISC SDTM (SDTMIG 3.4) datasets, as CSV and SAS transport v5 (.xpt), with define.xml.

The archive holds, for each of DM, EX, QS, FA, AE, RELREC, SUPPQS and SUPPAE, ``<NAME>.csv`` and
``<name>.xpt`` (the same records; transport files by pyreadstat, ``clinicians.exports.xpt``),
and ``define.xml`` (Define-XML 2.1, built with odmlib: ``clinicians.exports.define``). What goes
where (docs/exports.md; interoperability.md §4.2):

- DM: every patient of the clinic, by the pseudonymous subject id only; RFSTDTC/RFXSTDTC the
  first dose (a T-DXd infusion or a TKI dose the patient reported), ARM the drug;
- EX: T-DXd infusions, and the TKI doses the diary reports (one record per day);
- QS: questionnaire items and the scores ToxWatch derives (QSDRVFL = Y); SUPPQS: the PRO-CTCAE
  item set, the instrument version and the due date of the response;
- FA: the diary's answers and provisional CTCAE grades (FACAT PATIENT-REPORTED), the care
  team's values and grades (CLINICIAN-CONFIRMED), and each patient-reported episode (the
  algorithm's, ``clinicians.exports.episodes``) as an EPTOXGR record with its start and end;
- AE: clinician-confirmed episodes only, coded to the MedDRA preferred term; SUPPAE: the CTCAE
  version. AESER, AEACN and AEREL stay empty: ToxWatch records none of them (never guessed);
- RELREC: each AE with the FA records of the observations it comes from, and each
  patient-reported episode with the FA records of the diary entries it comes from.

--TESTCD/--TEST come from the mapping table ``clinicians/exports/data/sdtm_tests.tsv``;
--DY and EPOCH from each subject's first dose; results are rounded to 2 decimals.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from clinicians.exports import define, episodes, source, vocabulary, xpt
from clinicians.exports.sdtmig import (
    AE,
    DM,
    EX,
    FA,
    QS,
    RELREC,
    SEX_UNKNOWN,
    SUPP_QUALIFIERS,
    SUPPAE,
    SUPPQS,
    TREATMENTS,
    Dataset,
    country,
    dose_of,
    epoch,
    preferred_terms,
    round_result,
    study_day,
    test_for,
)
from clinicians.exports.source import Scope, SubjectRecord
from clinicians.exports.writers import Tick, open_zip, text, write_behind
from diary import grading, instruments
from diary.models import Clinic

PATIENT_REPORTED = "PATIENT-REPORTED"
CLINICIAN_CONFIRMED = "CLINICIAN-CONFIRMED"
EVALUATOR = {"patient": "STUDY SUBJECT", "carer": "CAREGIVER", "clinician": "INVESTIGATOR"}
NOT_DONE = "NOT DONE"
INSUFFICIENT = "INSUFFICIENT ANSWERS"


class DatasetFile:
    """One dataset's CSV, written to a work file (``xpt.CsvWorkFile``) from which its transport
    file is then written; the longest value of each variable (the transport file and define.xml
    declare those lengths) is measured from the work file afterwards."""

    def __init__(self, dataset: Dataset, folder: Path) -> None:
        self.dataset = dataset
        self.path = folder / f"{dataset.name}.csv"
        self.work = xpt.CsvWorkFile(self.path, dataset.names)
        self.seq: Counter[str] = Counter()

    @property
    def count(self) -> int:
        return self.work.count

    def next_seq(self, subject: str) -> int:
        self.seq[subject] += 1
        return self.seq[subject]

    def add(self, row: list[Any]) -> None:
        self.work.writerow([v if v.__class__ is str else text(v) for v in row])

    def close(self) -> None:
        self.work.close()


def write(scope: Scope, path: Path, tick: Tick) -> None:
    study = settings.TOXWATCH_STUDY_ID
    # The work files live beside the export (mode 0700, removed at the end, also on an error).
    with tempfile.TemporaryDirectory(prefix=".sdtm-", dir=path.parent) as work:
        folder = Path(work)
        with ExitStack() as open_files:
            files = {}
            for d in (DM, EX, QS, FA, AE, RELREC, SUPPQS, SUPPAE):
                files[d.name] = DatasetFile(d, folder)
                open_files.callback(files[d.name].close)
            subjects = source.subject_records(scope)
            _dm(scope, subjects, files["DM"], study)
            _ex(scope, subjects, files["EX"], study)
            _qs(scope, subjects, files["QS"], files["SUPPQS"], study, tick)
            _fa(scope, subjects, files["FA"], files["RELREC"], study, tick)
            _ae(scope, subjects, files["AE"], files["SUPPAE"], files["RELREC"], study)
        lengths = {}
        with open_zip(path) as archive:
            for file in files.values():
                archive.write(file.path, f"{file.dataset.name}.csv")
                measured = xpt.measure(file.dataset, file.work)
                with (
                    archive.open(f"{file.dataset.name.lower()}.xpt", "w", force_zip64=True) as raw,
                    write_behind(raw.write) as sink,
                ):
                    xpt.write_file(file.dataset, file.work, measured, sink, workdir=folder)
                file.path.unlink()
                lengths[file.dataset.name] = dict(zip(file.dataset.names, measured, strict=True))
            counts = {name: f.count for name, f in files.items()}
            archive.writestr(
                "define.xml", define.build(study=study, lengths=lengths, counts=counts)
            )


def dtc(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _day(subject: SubjectRecord | None, on: date) -> tuple[int | None, str]:
    first = subject.first_dose if subject is not None else None
    return study_day(on, first), epoch(on, first)


def _number(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return round_result(value)
    return None


# --- DM and EX ---------------------------------------------------------------------------------


def _dm(scope: Scope, subjects: dict[str, SubjectRecord], out: DatasetFile, study: str) -> None:
    clinic = Clinic.objects.values_list("code", "timezone").get(pk=scope.clinic_id)
    site, nation = clinic[0].upper(), country(clinic[1])
    for s in subjects.values():
        treatment = TREATMENTS.get(s.drug)
        first = s.first_dose.isoformat() if s.first_dose else None
        last = s.last_dose.isoformat() if s.last_dose else None
        arm = (treatment.armcd, treatment.arm) if treatment else ("", "")
        out.add(
            [
                study,
                "DM",
                s.subject_id,
                s.subject_id,
                first,
                last,
                first,
                last,
                site,
                None,  # AGE: not exported (no birth date leaves ToxWatch)
                None,
                SEX_UNKNOWN,
                arm[0],
                arm[1],
                arm[0] if first else "",
                arm[1] if first else "",
                "NOT ASSIGNED" if not treatment else "" if first else "ASSIGNED, NOT TREATED",
                nation,
            ]
        )


def _ex(scope: Scope, subjects: dict[str, SubjectRecord], out: DatasetFile, study: str) -> None:
    for dose in source.dose_records(scope, subjects):
        treatment = TREATMENTS.get(dose.drug)
        if treatment is None:
            continue
        amount, frequency = dose_of(dose.dose_level)
        if dose.doses_taken != 1 and frequency != "Q3W":
            frequency = {2: "BID"}.get(dose.doses_taken, "")
        elif frequency != "Q3W":
            frequency = "QD"
        day, when = _day(subjects.get(dose.subject_id), dose.on)
        on = dose.on.isoformat()
        out.add(
            [
                study,
                "EX",
                dose.subject_id,
                out.next_seq(dose.subject_id),
                dose.ref,
                treatment.extrt,
                amount,
                treatment.dose_unit,
                treatment.dose_form,
                frequency,
                treatment.route,
                when,
                on,
                on,
                day,
                day,
            ]
        )


# --- QS ------------------------------------------------------------------------------------------


def _qs(
    scope: Scope,
    subjects: dict[str, SubjectRecord],
    out: DatasetFile,
    supp: DatasetFile,
    study: str,
    tick: Tick,
) -> None:
    for q in source.response_records(scope):
        try:
            instrument = instruments.get(q.instrument, q.instrument_version)
        except KeyError:
            instrument = instruments.CURRENT[q.instrument]
        when = dtc(q.completed_at)
        day, period = _day(subjects.get(q.subject_id), q.completed_at.date())
        items = {i.code: i for i in instrument.items}
        category = ""
        for code, value in q.answers.items():
            test = test_for("QS", code)
            category = test.source.upper()
            item = items.get(code)
            word = item.scale.label(value) if item is not None and item.scale.labels else None
            group = (item.group or "") if item is not None else ""
            out.add(
                [
                    study,
                    "QS",
                    q.subject_id,
                    out.next_seq(q.subject_id),
                    str(q.id),
                    test.testcd,
                    test.test,
                    category,
                    group.replace("_", " ").upper(),
                    word or text(value),
                    text(value),
                    _number(value),
                    "",
                    "",
                    "",
                    period,
                    when,
                    day,
                ]
            )
        scales = {scale.code: scale for scale in instrument.scales}
        for code, score in q.scores.items():
            test = test_for("QS", f"score:{code}")
            category = test.source.upper()
            value = _number(score)
            out.add(
                [
                    study,
                    "QS",
                    q.subject_id,
                    out.next_seq(q.subject_id),
                    str(q.id),
                    test.testcd,
                    test.test,
                    category,
                    code.replace("_", " ").upper()
                    if scales.get(code) and scales[code].kind == "composite"
                    else "",
                    text(value),
                    text(value),
                    value,
                    NOT_DONE if score is None else "",
                    INSUFFICIENT if score is None else "",
                    "Y",
                    period,
                    when,
                    day,
                ]
            )
        qualifiers = {
            "QSITMSET": instrument.title if q.instrument.startswith("proctcae_") else "",
            "QSINSTV": instrument.version,
            "QSDUEDTC": q.due_on.isoformat() if q.due_on else "",
        }
        for qnam, qlabel, origin in SUPP_QUALIFIERS["QS"]:
            if qualifiers[qnam]:
                supp.add(
                    [study, "QS", q.subject_id, "QSSPID", str(q.id), qnam, qlabel]
                    + [qualifiers[qnam], origin, ""]
                )
        tick()


# --- FA ------------------------------------------------------------------------------------------


def _fa(
    scope: Scope,
    subjects: dict[str, SubjectRecord],
    out: DatasetFile,
    relrec: DatasetFile,
    study: str,
    tick: Tick,
) -> None:
    grade_test = test_for("FA", "ctcae_grade")

    def findings(
        subject: str,
        group: str,
        spid: str,
        category: str,
        evaluator: str,
        at: datetime,
        term: str,
        answers: dict[str, Any],
        grade: source.GradeRow | None,
    ) -> None:
        when = dtc(at)
        day, period = _day(subjects.get(subject), at.date())
        label = vocabulary.term_label(term)
        for field, value in answers.items():
            test = test_for("FA", field)
            number = _number(value)
            unit = test.unit if number is not None else ""
            result = ("Y" if value else "N") if isinstance(value, bool) else text(value)
            out.add(
                [
                    study,
                    "FA",
                    subject,
                    out.next_seq(subject),
                    group,
                    spid,
                    test.testcd,
                    test.test,
                    label,
                    category,
                    result,
                    unit,
                    text(number) if number is not None else result,
                    number,
                    unit,
                    "",
                    "",
                    evaluator,
                    period,
                    when,
                    day,
                    "",
                    "",
                ]
            )
        if grade is not None and grade.status != "not_graded":
            missing = grade.grade is None
            out.add(
                [
                    study,
                    "FA",
                    subject,
                    out.next_seq(subject),
                    group,
                    spid,
                    grade_test.testcd,
                    grade_test.test,
                    label,
                    category,
                    text(grade.grade),
                    "",
                    text(grade.grade),
                    grade.grade,
                    "",
                    NOT_DONE if missing else "",
                    INSUFFICIENT if missing else "",
                    evaluator,
                    period,
                    when,
                    day,
                    "",
                    "",
                ]
            )

    for r in source.diary_records(scope):
        grades = {g.term: g for g in r.grades}
        evaluator = EVALUATOR.get(r.reporter, "STUDY SUBJECT")
        for term in dict.fromkeys([*r.symptoms, *grades]):
            findings(
                r.subject_id,
                f"{r.id}:{term}",
                r.id,
                PATIENT_REPORTED,
                evaluator,
                r.recorded_at,
                term,
                r.symptoms.get(term, {}),
                grades.get(term),
            )
        tick()
    for o in source.observation_records(scope):
        findings(
            o.subject_id,
            f"OBS-{o.id}",
            f"OBS-{o.id}",
            CLINICIAN_CONFIRMED,
            EVALUATOR["clinician"],
            o.observed_at,
            o.term,
            o.inputs,
            o.grade,
        )
        tick()
    # Patient-reported episodes (the algorithm's): findings about the symptom, never AE.
    episode_test = test_for("FA", "episode_worst_grade")
    for number, episode in enumerate(episodes.episodes(source.diary_reports(scope)), start=1):
        subject = episode.subject
        seq = out.next_seq(subject)
        day, period = _day(subjects.get(subject), episode.start.date())
        out.add(
            [
                study,
                "FA",
                subject,
                seq,
                "",
                f"PRO-{number}",
                episode_test.testcd,
                episode_test.test,
                vocabulary.term_label(episode.term),
                PATIENT_REPORTED,
                episode.worst_grade,
                "",
                episode.worst_grade,
                episode.worst_grade,
                "",
                "",
                "",
                "",
                period,
                dtc(episode.start),
                day,
                dtc(episode.start),
                dtc(episode.end) if episode.end else "",
            ]
        )
        relid = f"PRO-{number}"
        relrec.add([study, "FA", subject, "FASEQ", seq, "", relid])
        for ref in dict.fromkeys(episode.refs):
            relrec.add([study, "FA", subject, "FAGRPID", f"{ref}:{episode.term}", "", relid])


# --- AE ------------------------------------------------------------------------------------------


def _ae(
    scope: Scope,
    subjects: dict[str, SubjectRecord],
    out: DatasetFile,
    supp: DatasetFile,
    relrec: DatasetFile,
    study: str,
) -> None:
    """Clinician-confirmed episodes only (interoperability.md §4.2: safety tables count AE
    rows, so the algorithm's patient-reported episodes are in FA)."""
    coded = preferred_terms()
    for number, episode in enumerate(episodes.episodes(source.clinician_reports(scope)), start=1):
        subject = episode.subject
        seq = out.next_seq(subject)
        label = vocabulary.term_label(episode.term)
        llt = vocabulary.meddra_code(episode.term)
        pt = coded.get(episode.term)
        start_day, period = _day(subjects.get(subject), episode.start.date())
        end_day = _day(subjects.get(subject), episode.end.date())[0] if episode.end else None
        out.add(
            [
                study,
                "AE",
                subject,
                seq,
                f"CLIN-{number}",
                label,
                label if llt else "",
                int(llt) if llt else None,
                pt.pt if pt else "",
                None,  # AEPTCD: not in the reference; coded with the sponsor's MedDRA
                pt.soc if pt else "",
                None,
                pt.soc if pt else "",
                None,
                "",  # AESER, AEACN, AEREL: not recorded in ToxWatch, so not guessed
                "",
                "",
                "RECOVERED/RESOLVED" if episode.end else "NOT RECOVERED/NOT RESOLVED",
                str(episode.worst_grade),
                period,
                dtc(episode.start),
                dtc(episode.end) if episode.end else "",
                start_day,
                end_day,
            ]
        )
        for qnam, qlabel, origin in SUPP_QUALIFIERS["AE"]:
            supp.add(
                [study, "AE", subject, "AESEQ", seq, qnam, qlabel, grading.CTCAE_VERSION]
                + [origin, ""]
            )
        relid = f"AE-{number}"
        relrec.add([study, "AE", subject, "AESEQ", seq, "", relid])
        for ref in dict.fromkeys(episode.refs):
            relrec.add([study, "FA", subject, "FAGRPID", f"OBS-{ref}", "", relid])
