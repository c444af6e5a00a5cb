"""The alert pipeline: from stored diary entries to alerts, evidence, outbox rows and follow-up
questions, and the periodic missed-diary check.

``raise_alerts`` is the diary's entries evaluator (diary.evaluation, registered by
``AlertsConfig.ready``): it runs inside the transaction that stores diary entries, so an accepted
entry that matches a rule always has its alert and outbox rows, whatever Redis or the workers are
doing. The clinical policy it applies (the rules, the follow-up tables, the §5.1 escalations, the
channels per level) is data in the pure ``alerts.rules``; deliveries go through
``alerts.delivery`` after commit.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from alerts import rules
from alerts.context import AlertContext, Writes, history_reports
from alerts.context import RecentComposites as _RecentComposites
from alerts.delivery import enqueue_deliveries, queue_notifications, record_event
from alerts.models import (
    LEVEL_RANK,
    Alert,
    AlertEvent,
    AlertEvidence,
    EventType,
    ExpectedAmber,
    Level,
    NotificationReason,
)
from diary import drugs, fastsql
from diary.evaluation import ReportOutcome
from diary.grading import GradeResult
from diary.models import (
    AdviceOverride,
    ClinicianObservation,
    CourseStatus,
    DiaryEntry,
    FollowUp,
    Infusion,
    Patient,
    QuestionnaireResponse,
    TreatmentCourse,
)
from diary.vocabulary import Level as LevelName

logger = logging.getLogger(__name__)

# The clinician-recorded terms behind §5.3 "known neutropenia".
NEUTROPENIA_TERMS = ("neutrophil_count_decreased", "febrile_neutropenia")
# PRO-CTCAE responses are reports (§5.4): their instruments, and how long a response's
# composites count in the evaluation of diary entries (§5.4: "within 7 days", the PRO-CTCAE
# recall period [V §2.1]) and how recent an entry's answers must be to count in a response's
# evaluation (24 h, D52 [D]).
PROCTCAE_PREFIX = "proctcae_"
PROCTCAE_CNS = "proctcae_cns"
COMPOSITES_COUNT_FOR = timedelta(days=7)
ENTRY_COUNTS_FOR = timedelta(hours=24)


def due_at_for(patient: Patient, level: str, start: datetime) -> datetime:
    clinic = patient.clinic
    if level == Level.RED:
        return start + timedelta(minutes=clinic.red_due_minutes)  # §5.1 RED <=1 h [D]
    return start + timedelta(hours=clinic.amber_due_hours)  # §5.1 AMBER <=24 h [V UKONS]


def _report(entry: DiaryEntry, grades: dict[str, int | None]) -> rules.Report:
    return rules.Report(
        entry_id=str(entry.pk),
        # The phone's local time: "daily", "same day" and "consecutive days" are the patient's.
        recorded_at=entry.local_recorded_at(),
        symptoms=entry.symptoms,
        grades=grades,
        loperamide_mg=float(entry.loperamide_mg) if entry.loperamide_mg is not None else None,
        tki_doses_taken=entry.tki_doses_taken,
        tki_doses_missed=entry.tki_doses_missed,
        tki_dose_vomited=entry.tki_dose_vomited,
        missed_dose_reason=entry.missed_dose_reason,
    )


def _patient_context(patient: Patient, expected: set[str]) -> dict[str, Any]:
    course = patient.current_course()
    return _context_for(
        patient,
        expected,
        course_id=course.pk if course else None,
        drug=course.drug if course else None,
        started_on=course.started_on if course else None,
    )


def _context_for(
    patient: Patient,
    expected: set[str],
    *,
    course_id: int | None,
    drug: str | None,
    started_on: date | None,
) -> dict[str, Any]:
    """The rules' patient fields, from the current course (its id, drug and start date)."""
    catalogue = drugs.DRUGS[drug] if drug else None
    infusions: tuple[Any, ...] = ()
    if catalogue is not None and catalogue.infused and course_id is not None:
        infusions = tuple(sorted(i.given_on for i in _INFUSIONS.fetch(course_id)))
    return {
        "drug": drug or "other",
        "drug_class": catalogue.drug_class if catalogue else "other",
        "baseline": rules.Baseline(
            stools_per_day=patient.baseline_stools_per_day,
            spo2_rest=patient.baseline_spo2_rest,
            spo2_exertion=patient.baseline_spo2_exertion,
            sob_exertion=patient.baseline_sob_exertion or None,
            weight_kg=float(patient.baseline_weight_kg) if patient.baseline_weight_kg else None,
            cough_severity=patient.baseline_cough_severity or None,
            neuro=dict(patient.baseline_neuro or {}),
            composites=dict(patient.baseline_composites or {}),
        ),
        "risk_factors": tuple(patient.ild_risk_factors()),
        "brain_metastases": patient.brain_metastases,
        "treatment_started_on": started_on,
        "last_infusion_on": infusions[-1] if infusions else None,
        "infusion_dates": infusions,
        # A clinician's "expected" on ILD is the §5.2 "under active ILD management" flag.
        "under_ild_management": "ild" in expected,
    }


def raise_alerts(
    *, patient: Patient, entries: Sequence[tuple[DiaryEntry, Mapping[str, GradeResult]]]
) -> dict[uuid.UUID, ReportOutcome]:
    """Evaluate the rules for newly stored entries of one patient and write alerts, evidence
    and outbox rows. Runs inside the transaction that stores the entries; the diary's entries
    evaluator (diary.evaluation.EntriesEvaluator).

    Returns, per new entry id, what the care team was newly told because of it: the highest
    level (the entry's alert_level), the level per alert kind, the rule codes that fired in
    the entry's own evaluation, and the advice for the patient chosen from that (reference §5.8,
    alerts.rules.advice), for every new entry.
    Entries are evaluated in recorded-time order with the 14 days before each as history;
    stored entries recorded after a late-arriving one are evaluated again with it in their
    history (evidence is unique per alert, entry and rule, so nothing doubles), and what that
    tells the care team counts for the late entry (its codes stay those of the later entries).

    The patient's context is read once and the rows are written in bulk at the end
    (alerts.context).
    """
    new_ids = {str(entry.pk) for entry, _ in entries}
    earliest = min(entry.recorded_at for entry, _ in entries)
    latest = max(entry.recorded_at for entry, _ in entries)
    ctx = _load_context(patient, composites_since=earliest - COMPOSITES_COUNT_FOR)
    reports = [
        report
        for report in history_reports(
            patient.pk, earliest - rules.HISTORY_WINDOW, latest + rules.HISTORY_WINDOW
        )
        if report.entry_id not in new_ids
    ]
    reports += [
        _report(entry, {term: result.grade for term, result in results.items()})
        for entry, results in entries
    ]
    if ctx.recent_composites:
        reports = [_with_recent_composites(r, ctx.recent_composites) for r in reports]
    reports.sort(key=lambda r: (r.recorded_at, r.entry_id))
    later_stored = {
        r.entry_id for r in reports if r.entry_id not in new_ids and r.recorded_at > earliest
    }
    writes = Writes()
    # Re-evaluated entries may already carry evidence: never write it twice. Their evidence is
    # read when the first of them fires AMBER or RED (only then is evidence attached), usually
    # never.
    keys_read = not later_stored

    told: dict[str, dict[str, str]] = {}  # new entry id -> alert kind -> level told
    codes: dict[str, tuple[str, ...]] = {}  # new entry id -> rule codes fired for it
    owner: str | None = None  # the latest new entry so far
    start = 0
    for index, report in enumerate(reports):
        if report.entry_id in new_ids:
            owner = report.entry_id
        elif report.entry_id not in later_stored:
            continue  # earlier entries were evaluated when they arrived
        while reports[start].recorded_at < report.recorded_at - rules.HISTORY_WINDOW:
            start += 1
        history = tuple(reports[start:index])
        evaluation = rules.evaluate(rules.Snapshot(current=report, history=history, **ctx.snapshot))
        if not evaluation.levels_by_kind and not evaluation.followups and not ctx.followups:
            continue  # nothing fired and nothing to follow up
        fires = any(
            level in (Level.AMBER, Level.RED) for level in evaluation.levels_by_kind.values()
        )
        if fires and not keys_read and report.entry_id in later_stored:
            writes.evidence_keys.update(
                (alert_id, str(entry_id), code)
                for alert_id, entry_id, code in AlertEvidence.objects.filter(
                    entry_id__in=[uuid.UUID(entry_id) for entry_id in later_stored]
                ).values_list("alert_id", "entry_id", "code")
            )
            keys_read = True
        kinds = _apply(ctx, writes, report, evaluation)
        _follow_up(ctx, writes, report, evaluation, reevaluated=report.entry_id in later_stored)
        if report.entry_id in new_ids and evaluation.fired:
            codes[report.entry_id] = tuple(dict.fromkeys(f.code for f in evaluation.fired))
        if owner is not None and kinds:
            mine = told.setdefault(owner, {})
            for kind, level in kinds.items():
                mine[kind] = _max(mine.get(kind, "green"), level)
    writes.flush(ctx.now, enqueue_deliveries)
    outcomes = {}
    translate = _translator(ctx.patient)
    composites = {
        r.entry_id: [key for key, value in r.composites.items() if value >= 1]
        for r in reports
        if r.entry_id in new_ids
    }
    for entry, results in entries:
        entry_id = str(entry.pk)
        told_kinds = cast(dict[str, LevelName], told.get(entry_id, {}))
        fired = codes.get(entry_id, ())
        advice = rules.advise(
            told=told_kinds,
            codes=fired,
            # The PRO-CTCAE symptoms of the latest response count in the entry's evaluation
            # (§5.4), so an item they drove names them rather than the alert kind.
            reported=[*entry.symptoms, *composites.get(entry_id, [])],
            grades={term: result.grade for term, result in results.items()},
            drug_class=ctx.snapshot["drug_class"],
            phone=ctx.patient.clinic.phone_24h,
            overrides=ctx.overrides,
            translate=translate,
        )
        outcomes[entry.pk] = ReportOutcome(
            level=advice.level, kinds=told_kinds, codes=fired, advice=advice.as_dict()
        )
    return outcomes


# --- PRO-CTCAE questionnaire responses (§5.4) -------------------------------------------------


def raise_response_alerts(*, patient: Patient, response: QuestionnaireResponse) -> ReportOutcome:
    """Evaluate a newly stored PRO-CTCAE response as a report (§5.4) and write its alerts,
    evidence (linked to the response), outbox rows and follow-ups, in the transaction that
    stores it: the diary's response evaluator (diary.evaluation.ResponseEvaluator).

    The report carries the response's composites and, as its structured answers, those of the
    patient's latest diary entry recorded in the 24 h up to the response's completion (D52);
    its history is the 14 days of entries before it (that entry left out) and the earlier
    PRO-CTCAE responses of those days, as reports of their composites. Other instruments
    (QLQ-C30, ...) are not reports: green.
    """
    if not response.instrument.startswith(PROCTCAE_PREFIX):
        return ReportOutcome(level="green")
    ctx = _load_context(patient)
    completed_at = response.completed_at
    entries = history_reports(patient.pk, completed_at - rules.HISTORY_WINDOW, completed_at)
    entries.sort(key=lambda r: (r.recorded_at, r.entry_id))
    recent = entries and entries[-1].recorded_at >= completed_at - ENTRY_COUNTS_FOR
    answers = entries[-1] if recent else None
    history = [r for r in entries if r is not answers]
    earlier = (
        QuestionnaireResponse.objects.filter(
            patient=patient,
            instrument__startswith=PROCTCAE_PREFIX,
            completed_at__gte=completed_at - rules.HISTORY_WINDOW,
            completed_at__lte=completed_at,
        )
        .exclude(pk=response.pk)
        .values_list("pk", "completed_at", "completed_offset_minutes", "scores")
    )
    history += [
        rules.Report(
            entry_id=str(pk),
            recorded_at=at.astimezone(timezone.get_fixed_timezone(offset)),
            symptoms={},
            grades={},
            composites=_composites(scores),
        )
        for pk, at, offset, scores in earlier
    ]
    history.sort(key=lambda r: (r.recorded_at, r.entry_id))
    local = response.local_completed_at()
    if answers is not None:
        report = replace(
            answers,
            entry_id=str(response.pk),
            recorded_at=local,
            composites=_composites(response.scores),
        )
    else:
        report = rules.Report(
            entry_id=str(response.pk),
            recorded_at=local,
            symptoms={},
            grades={},
            composites=_composites(response.scores),
        )
    writes = Writes(response_ids={str(response.pk)})
    evaluation = rules.evaluate(
        rules.Snapshot(current=report, history=tuple(history), **ctx.snapshot)
    )
    kinds: dict[str, str] = {}
    if evaluation.levels_by_kind or evaluation.followups:
        kinds = _apply(ctx, writes, report, evaluation)
        # The borrowed entry answered and scheduled its own follow-ups when it arrived: as for
        # an entry evaluated again, the response answers none and schedules no one-shot
        # question; it schedules the re-checks of the alerts it opens.
        _follow_up(ctx, writes, report, evaluation, reevaluated=True)
    writes.flush(ctx.now, enqueue_deliveries)
    told_kinds = cast(dict[str, LevelName], kinds)
    codes = tuple(dict.fromkeys(f.code for f in evaluation.fired))
    advice = rules.advise(
        told=told_kinds,
        codes=codes,
        reported=[*(k for k, v in report.composites.items() if v >= 1), *report.symptoms],
        grades=report.grades,
        drug_class=ctx.snapshot["drug_class"],
        phone=ctx.patient.clinic.phone_24h,
        overrides=ctx.overrides,
        translate=_translator(ctx.patient),
    )
    return ReportOutcome(level=advice.level, kinds=told_kinds, codes=codes, advice=advice.as_dict())


def _context_sql() -> str:
    """What the pipeline needs to know first, read once the patient's lock is held: whether any
    expected-AMBER marking may run (ExpectedAmber not ended, until > now), whether any
    follow-up is open (FollowUp.objects.open), the current course (Patient.current_course: the
    newest not discontinued, by start date then id), whether the clinic reworded any advice
    (AdviceOverride), whether a clinician ever recorded a low neutrophil count or febrile
    neutropenia (§5.3), and the scores and completion time of the patient's latest PRO-CTCAE
    responses completed since a given time (the drug's item set and the CNS set, §5.4). Plain
    SQL: compiling the same read through the ORM cost about 1.5 ms of CPU per entry, more than
    the database spends on it (docs/performance.md, "Ingest")."""
    patient = Patient._meta.db_table
    course = TreatmentCourse._meta.db_table
    current = (
        f"(SELECT {{col}} FROM {course} c WHERE c.patient_id = p.id AND c.status <> "
        f"'{CourseStatus.DISCONTINUED}' ORDER BY c.started_on DESC, c.id DESC LIMIT 1)"
    )
    response = QuestionnaireResponse._meta.db_table
    latest = (
        f"(SELECT {{col}} FROM {response} r WHERE r.patient_id = p.id"
        f" AND r.instrument {{test}} AND r.completed_at >= %s"
        f" ORDER BY r.completed_at DESC LIMIT 1)"
    )
    drug_set = f"LIKE '{PROCTCAE_PREFIX}%%' AND r.instrument <> '{PROCTCAE_CNS}'"
    cns_set = f"= '{PROCTCAE_CNS}'"
    return (
        f"SELECT EXISTS (SELECT 1 FROM {ExpectedAmber._meta.db_table} e"
        f" WHERE e.patient_id = p.id AND e.until > %s AND e.ended_at IS NULL),"
        f" EXISTS (SELECT 1 FROM {FollowUp._meta.db_table} f"
        f" WHERE f.patient_id = p.id AND f.resolved_at IS NULL),"
        f" {current.format(col='c.id')}, {current.format(col='c.drug')},"
        f" {current.format(col='c.started_on')},"
        f" EXISTS (SELECT 1 FROM {AdviceOverride._meta.db_table} o"
        f" WHERE o.clinic_id = p.clinic_id),"
        f" EXISTS (SELECT 1 FROM {ClinicianObservation._meta.db_table} n"
        f" WHERE n.patient_id = p.id AND n.term IN {NEUTROPENIA_TERMS!r} AND n.grade >= 1),"
        f" {latest.format(col='r.scores', test=drug_set)},"
        f" {latest.format(col='r.completed_at', test=drug_set)},"
        f" {latest.format(col='r.scores', test=cns_set)},"
        f" {latest.format(col='r.completed_at', test=cns_set)}"
        f" FROM {patient} p WHERE p.id = %s"
    )


_CONTEXT_SQL = _context_sql()
# Read on most entries: compiled by the ORM once per process (diary.fastsql, D85).
_INFUSIONS = fastsql.CompiledQuery(lambda course_id: Infusion.objects.filter(course_id=course_id))
_OPEN_FOLLOWUPS = fastsql.CompiledQuery(
    lambda patient_id: FollowUp.objects.filter(patient_id=patient_id).open()
)


def _open_followups(patient: Patient) -> list[FollowUp]:
    """``list(patient.followups.open())``: each with its patient set, as the related manager
    leaves it."""
    followups = _OPEN_FOLLOWUPS.fetch(patient.pk)
    field = FollowUp._meta.get_field("patient")
    for followup in followups:
        field.set_cached_value(followup, patient)
    return followups


_LOCK_SQL = f"SELECT 1 FROM {Patient._meta.db_table} WHERE id = %s FOR UPDATE"


def _load_context(patient: Patient, composites_since: datetime | None = None) -> AlertContext:
    """Lock the patient, then read what the rules need about them. The context query tells
    whether a clinician declared any level expected and whether any follow-up is open (EXISTS
    subqueries), so the usual patient, with neither, costs no query for them, and it reads the
    latest PRO-CTCAE composites completed since ``composites_since`` (none without it)."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    # A time after every response: no composites are read.
    since = adapt(composites_since or now + timedelta(days=1))
    with connection.cursor() as cursor:
        if connection.features.has_select_for_update:
            # Alert evaluation is serialised per patient: two requests never open two alerts.
            # The lock is a statement of its own, before the read: under READ COMMITTED a
            # statement's subqueries see the snapshot taken when it began, before any lock wait,
            # so a lock taken by the context read itself would hide what the lock holder just
            # committed (its follow-ups, its expected markings) and the insert after it would
            # violate one_open_followup_per_patient_code (issue 12, D67). SQLite takes the
            # database's write lock at BEGIN (IMMEDIATE) instead.
            cursor.execute(_LOCK_SQL, [patient.pk])
        cursor.execute(_CONTEXT_SQL, [adapt(now), since, since, since, since, patient.pk])
        (
            has_expected,
            has_followups,
            course_id,
            drug,
            started_on,
            reworded,
            neutropenia,
            *latest,
        ) = cursor.fetchone()
    if isinstance(started_on, str):  # SQLite returns dates as text
        started_on = date.fromisoformat(started_on)
    recent = [
        _RecentComposites(_as_datetime(latest[i + 1]), _composites(latest[i]))
        for i in (0, 2)
        if latest[i] is not None
    ]
    expected = _expected_triggers(patient, now) if has_expected else {}
    # An ILD marking is the §5.2 "under active ILD management" clinician flag (D46).
    snapshot = _context_for(
        patient, set(expected), course_id=course_id, drug=drug, started_on=started_on
    )
    if neutropenia:
        snapshot["observations"] = _neutropenia_observations(patient)
    return AlertContext(
        patient=patient,
        now=now,
        expected=expected,
        snapshot=snapshot,
        followups=_open_followups(patient) if has_followups else [],
        overrides=_advice_overrides(patient.clinic_id) if reworded else {},
        recent_composites=recent,
    )


def _composites(scores: Any) -> dict[str, int]:
    """A PRO-CTCAE response's composite grades (its scores) by symptom key; ungradable ones
    (None) left out."""
    if isinstance(scores, str):  # raw JSON text (SQLite, and PostgreSQL through a cursor)
        scores = json.loads(scores)
    return {key: value for key, value in (scores or {}).items() if type(value) is int}


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _with_recent_composites(
    report: rules.Report, recent: Sequence[_RecentComposites]
) -> rules.Report:
    """The entry's report with the composites of the patient's latest PRO-CTCAE responses
    completed in the 7 days up to it (§5.4, D52); unchanged without any."""
    composites: dict[str, int] = {}
    for latest in recent:
        if latest.completed_at <= report.recorded_at <= latest.completed_at + COMPOSITES_COUNT_FOR:
            composites.update(latest.composites)
    if not composites:
        return report
    return replace(report, composites={**composites, **report.composites})


def _neutropenia_observations(patient: Patient) -> tuple[rules.Observation, ...]:
    """The patient's clinician-recorded low neutrophil counts and febrile neutropenia; the rule
    keeps those of the 14 days up to each report (§5.3 "known neutropenia")."""
    return tuple(
        rules.Observation(term=term, grade=grade, observed_at=observed_at)
        for term, grade, observed_at in ClinicianObservation.objects.filter(
            patient=patient, term__in=NEUTROPENIA_TERMS, grade__gte=1
        ).values_list("term", "grade", "observed_at")
        if grade is not None
    )


def _translator(patient: Patient) -> Callable[[str], str]:
    """The advice texts in the patient's language (alerts/locale; translations other than
    English await clinical review, docs/patient-app.md)."""
    language = patient.language or settings.LANGUAGE_CODE
    # Each text once per call: a batch's entries repeat the same few, and switching the
    # active language for each cost more than the rest of the advice.
    done: dict[str, str] = {}

    def translate(text: str) -> str:
        if text not in done:
            with translation.override(language):
                done[text] = translation.gettext(text)
        return done[text]

    return translate


def _advice_overrides(clinic_id: int) -> dict[tuple[str, str], str]:
    """The clinic's own advice wording, read in the entry's transaction (never from a cache that
    could fail after the commit)."""
    return {
        (term, level): text
        for term, level, text in AdviceOverride.objects.filter(clinic_id=clinic_id).values_list(
            "term", "level", "text"
        )
    }


# --- follow-up questions (what to ask and when: alerts.rules.followups) --------------------


def _follow_up(
    ctx: AlertContext,
    writes: Writes,
    report: rules.Report,
    evaluation: rules.Evaluation,
    *,
    reevaluated: bool = False,
) -> None:
    """Resolve the open follow-ups this entry answers; schedule the ones it calls for.
    ``ctx.followups`` is the patient's open follow-ups, kept current across a batch; new and
    resolved ones are written when the call ends.

    A stored entry evaluated again because a late one arrived before it (D13) already answered
    and scheduled its follow-ups when it arrived: it answers only those opened in this call by
    an entry recorded before it, and schedules no one-shot question again. Otherwise it would
    answer the very questions it asked (resolving them and asking them anew with the ask count
    back to 0) or ask again what a later entry already answered."""
    answered = set(report.symptoms)
    for followup in list(ctx.followups):
        if not answered & set(followup.terms):
            continue
        if reevaluated and followup.pk is not None:
            continue
        kind = followup.code.removeprefix("recheck_")
        still_alerting = evaluation.levels_by_kind.get(kind, "green") != "green"
        if followup.code in rules.ONE_SHOT_TERMS or not still_alerting:
            followup.resolved_at = ctx.now
            if followup.pk is not None:
                writes.resolved_followups.append(followup)
            ctx.followups.remove(followup)
    for code in evaluation.followups:
        terms = rules.ONE_SHOT_TERMS.get(code)
        if terms is None or reevaluated:
            continue
        if any(f.code == code for f in ctx.followups):
            continue
        followup = FollowUp(
            patient=ctx.patient,
            code=code,
            terms=list(terms),
            reason=code.replace("_", " "),
            due_at=report.recorded_at + rules.ONE_SHOT_AFTER,
        )
        writes.new_followups.append(followup)
        ctx.followups.append(followup)
    for kind, level in evaluation.levels_by_kind.items():
        if level == "green" or kind not in rules.RECHECK_TERMS:
            continue
        terms, minutes = rules.RECHECK_TERMS[kind]
        code = f"recheck_{kind}"
        if any(f.code == code for f in ctx.followups):
            continue
        alert = ctx.active.get(kind)
        if alert is None:
            continue  # folded as expected: nothing to chase
        followup = FollowUp(
            patient=ctx.patient,
            code=code,
            terms=list(terms),
            reason=f"Follow-up of alert #{alert.pk}",
            alert_id=alert.pk,
            due_at=ctx.now + timedelta(minutes=minutes),
            interval_minutes=minutes,
        )
        writes.new_followups.append(followup)
        ctx.followups.append(followup)


def ask_due_followups(*, now: datetime | None = None) -> int:
    """Ask due follow-up questions (the app shows them from /me; a push goes to the patient
    channel) and schedule the next ask. Safe to run late or twice: each ask claims its row."""
    now = now or timezone.now()
    asked = 0
    for followup in FollowUp.objects.due(now).filter(asked_count__lt=rules.MAX_ASKS):
        won = FollowUp.objects.filter(
            pk=followup.pk, resolved_at=None, due_at=followup.due_at
        ).update(
            asked_count=F("asked_count") + 1,
            last_asked_at=now,
            due_at=now + timedelta(minutes=followup.interval_minutes),
        )
        if won:
            asked += 1
            logger.info(
                "follow-up asked followup_id=%s patient_id=%s code=%s",
                followup.pk,
                followup.patient_id,
                followup.code,
            )
    return asked


def _expected_triggers(patient: Patient, now: datetime) -> dict[str, dict[str, int | None]]:
    """Per alert kind, the AMBER triggers marked expected on the patient's active alert of that
    kind (rule code -> its measure when marked); a kind has at most one running marking (D46)."""
    marked: dict[str, dict[str, int | None]] = {}
    for kind, triggers in (
        ExpectedAmber.objects.running(now)
        .filter(patient=patient)
        .values_list("alert__kind", "triggers")
    ):
        marked.setdefault(kind, {}).update(triggers)
    return marked


def _apply(
    ctx: AlertContext, writes: Writes, report: rules.Report, evaluation: rules.Evaluation
) -> dict[str, str]:
    """Open, raise or add evidence to the patient's alerts for one evaluated report. Returns, per
    alert kind, the level the care team was newly told about because of it (folded kinds and
    evidence already attached tell nobody and are left out)."""
    told: dict[str, str] = {}
    now = ctx.now
    entry_id = report.entry_id
    # What the audit trail names as the report: an entry, or a PRO-CTCAE response (§5.4).
    source = "response" if entry_id in writes.response_ids else "entry"
    for kind, level in evaluation.levels_by_kind.items():
        if level not in (Level.AMBER, Level.RED):
            continue
        fired = [f for f in evaluation.fired if f.kind == kind]
        alert = ctx.active.get(kind)
        marked = ctx.expected.get(kind)
        if (
            level == Level.AMBER
            and alert is not None
            and marked
            and rules.folds_as_expected(fired, marked)
        ):
            # The AMBER triggers a clinician marked expected on this alert, no worse than when
            # marked (§5.2 [D]): evidence only; no notification, no 24-h persistence escalation.
            if _attach(writes, alert, entry_id, fired, now):
                writes.events.append(
                    _new_event(
                        alert,
                        EventType.SUPPRESSED,
                        {source: entry_id, "codes": [f.code for f in fired]},
                    )
                )
            continue
        if alert is None:
            alert = Alert(
                patient=ctx.patient,
                clinic_id=ctx.patient.clinic_id,  # as Alert.save sets it
                kind=kind,
                level=level,
                reason=_reason(fired),
                opened_at=now,
                due_at=due_at_for(ctx.patient, level, now),
                last_evidence_at=now,
            )
            fastsql.insert([alert])  # Alert.objects.create's row, built without the ORM (D85)
            ctx.active[kind] = alert
            _attach(writes, alert, entry_id, fired, now)
            writes.events.append(
                _new_event(alert, EventType.OPENED, {"level": level, source: entry_id})
            )
            writes.notifications.extend(_notifications(alert, NotificationReason.OPENED, level))
            told[kind] = level
            continue
        new = _attach(writes, alert, entry_id, fired, now)
        persisted_amber = new and rules.amber_persisted(
            alert_level=alert.level,
            level=level,
            opened_at=alert.opened_at,
            recorded_at=report.recorded_at,
        )
        if persisted_amber:
            # An AMBER unresolved on the next 24-h report becomes RED (§5.1, persistence [D]).
            level = "red"
            _attach(writes, alert, entry_id, [replace(rules.PERSISTED_AMBER, symptom=kind)], now)
        if LEVEL_RANK[level] > LEVEL_RANK[alert.level]:
            previous = alert.level
            alert.level = level
            alert.due_at = min(alert.due_at, due_at_for(ctx.patient, level, now))
            alert.reason = _reason(fired) + "\n" + alert.reason
            alert.last_evidence_at = now
            alert.save(update_fields=["level", "due_at", "reason", "last_evidence_at"])
            writes.events.append(
                _new_event(alert, EventType.LEVEL_RAISED, {"from": previous, "to": level})
            )
            # A level is raised to once per alert (levels only go up): these rows are new.
            writes.notifications.extend(_notifications(alert, NotificationReason.RAISED, level))
            told[kind] = level
        elif new:
            writes.evidence_touched.add(alert.pk)
            writes.events.append(_new_event(alert, EventType.EVIDENCE, {source: entry_id}))
            told[kind] = alert.level
    if told:
        logger.info(
            "alerts raised %s_id=%s patient_id=%s level=%s",
            source,
            entry_id,
            ctx.patient.pk,
            _highest(told.values()),
        )
    return told


def _max(a: str, b: str) -> str:
    return a if LEVEL_RANK[a] >= LEVEL_RANK[b] else b


def _highest(levels: Iterable[str]) -> str:
    highest = "green"
    for level in levels:
        highest = _max(highest, level)
    return highest


def _reason(fired: Sequence[rules.Fired]) -> str:
    return "\n".join(f.reason for f in fired)


def _attach(
    writes: Writes, alert: Alert, entry_id: str, fired: Iterable[rules.Fired], now: datetime
) -> bool:
    """Add the fired rules as evidence (written at the end of the call); True when anything
    was new. Evidence is unique per alert, entry and rule."""
    new = False
    response = entry_id in writes.response_ids
    for f in fired:
        key = (alert.pk, entry_id, f.code)
        if key in writes.evidence_keys:
            continue
        writes.evidence_keys.add(key)
        writes.evidence.append(
            AlertEvidence.row(
                f,
                alert_id=alert.pk,
                entry_id=None if response else entry_id,
                response_id=entry_id if response else None,
                at=now,
            )
        )
        new = True
    return new


def _new_event(alert: Alert, type: str, detail: dict[str, Any]) -> AlertEvent:
    """A system audit event, inserted with the call's other rows (Writes pushes it live)."""
    return AlertEvent(alert=alert, type=type, actor=None, detail=detail)


def _notifications(alert: Alert, reason: str, level: str) -> list[dict[str, Any]]:
    """The outbox rows (Notification's, without the objects) for an alert's new level."""
    return [
        # created_at: the field's default, taken by fastsql.insert_rows.
        {"alert_id": alert.pk, "channel": channel, "reason": reason, "level": level}
        for channel in rules.CHANNELS_BY_LEVEL[level]
    ]


# --- §5.6 missed diary (time-based) -------------------------------------------------------


def check_missed_diaries(*, now: datetime | None = None) -> int:
    """Open a 'no diary' alert for patients on active treatment who stopped reporting (§5.6)."""
    from django.db.models import Max

    now = now or timezone.now()
    opened = 0
    patients = (
        Patient.objects.filter(courses__status=CourseStatus.ACTIVE, user__isnull=False)
        .annotate(last_entry_at=Max("entries__recorded_at"))
        .select_related("clinic")
        .distinct()
    )
    for patient in patients:
        context = _patient_context(patient, set())
        fired = rules.evaluate_missed_diary(
            drug_class=context["drug_class"],
            treatment_active=True,
            last_entry_at=patient.last_entry_at or _enrolled_at(patient),
            now=now,
            infusion_dates=context["infusion_dates"],
            today=timezone.localdate(now),
        )
        if fired is None:
            continue
        with transaction.atomic():
            Patient.objects.select_for_update().get(pk=patient.pk)
            if Alert.objects.filter(patient=patient, kind=fired.kind).active().exists():
                continue
            alert = Alert.objects.create(
                patient=patient,
                kind=fired.kind,
                level=fired.level,
                reason=fired.reason,
                opened_at=now,
                due_at=due_at_for(patient, fired.level, now),
                last_evidence_at=now,
            )
            AlertEvidence.of(fired, alert=alert, entry_id=None, at=now).save()
            record_event(alert, EventType.OPENED, None, {"level": fired.level})
            queue_notifications(alert, NotificationReason.OPENED, fired.level)
            opened += 1
    return opened


def _enrolled_at(patient: Patient) -> datetime:
    from datetime import time as dtime

    return datetime.combine(patient.enrolled_on, dtime.min, tzinfo=timezone.get_current_timezone())
