"""What the alert page shows, read in a fixed number of queries: the triggering entries with
their grades and rule reasons, the patient's treatment context, and the audit trail in words."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from alerts.models import Alert, AlertEvent, AlertEvidence, EventType, ExpectedAmber, Outcome
from alerts.rules import RISK_FACTOR_TEXT, RULES, SOB_TEXT
from diary.catalogue import plain_text, staff_label
from diary.models import DiaryEntry, EntryGrade, Patient, QuestionnaireResponse
from diary.vocabulary import TKI

# A T-DXd cycle is 3 weeks (IV every 3 weeks, reference §3.1 [V]).
TDXD_CYCLE_DAYS = 21
# Adherence is summed over the window of the missed-dose rule: 7 days (reference §5.6 [D]).
ADHERENCE_DAYS = 7


@dataclass
class Trigger:
    """One diary entry, PRO-CTCAE response (§5.4) or, for a time-based rule, neither, and the
    rules it fired."""

    entry: DiaryEntry | None
    rules: list[AlertEvidence] = field(default_factory=list)
    response: QuestionnaireResponse | None = None

    @property
    def composites(self) -> list[tuple[str, Any]]:
        """The response's PRO-CTCAE composite grades (0-3, never a CTCAE grade, §5.4)."""
        if self.response is None:
            return []
        return sorted(self.response.scores.items())

    @property
    def grades(self) -> list[EntryGrade]:
        return list(self.entry.grades.all()) if self.entry is not None else []


def triggers(alert: Alert) -> list[Trigger]:
    """The alert's evidence grouped by entry, newest entry first, with current grades."""
    evidence = alert.evidence.select_related("entry", "response").prefetch_related(
        Prefetch("entry__grades", queryset=EntryGrade.objects.current().order_by("term"))
    )
    groups: dict[Any, Trigger] = {}
    for item in evidence:
        key = item.entry_id or item.response_id or f"rule-{item.pk}"
        groups.setdefault(key, Trigger(entry=item.entry, response=item.response)).rules.append(item)
    return sorted(groups.values(), key=_when, reverse=True)


def _when(trigger: Trigger) -> Any:
    if trigger.entry is not None:
        return trigger.entry.recorded_at
    if trigger.response is not None:
        return trigger.response.completed_at
    return trigger.rules[0].created_at


# What each rule code means, in one line (docs/alert-rules.md's "condition"), in the
# catalogue's words (no field name in snake_case: issue 15, D79).
CONDITIONS = {rule.code: plain_text(rule.condition) for rule in RULES}


RULE_CODE = re.compile(r"\b[a-z]+\.(?:red|amber)\.[a-z0-9_]+")


def in_words(text: str) -> str:
    """A rule's finding for staff: rule codes in it (a combination lists the rules it counted)
    become what each rule checks, field names their labels."""
    return plain_text(RULE_CODE.sub(lambda m: condition(m.group(0)), text))


def condition(code: str) -> str:
    """A rule in words; a code no rule has any more (a renamed rule is a new code) as words."""
    return CONDITIONS.get(code) or plain_text(code.rsplit(".", 1)[-1])


@dataclass
class Marking:
    """A running expected-AMBER marking (§5.2) with its triggers in words."""

    marking: ExpectedAmber
    triggers: list[tuple[str, str]]  # (rule code, its condition)

    @classmethod
    def of(cls, marking: ExpectedAmber) -> Marking:
        return cls(marking, [(code, condition(code)) for code in marking.triggers])


@dataclass
class Context:
    """The patient's treatment context at the time the nurse looks."""

    today: date
    drug: str | None
    drug_name: str
    dose_level: str
    course_status: str
    started_on: date | None
    infused: bool
    cycle: int | None = None
    last_infusion_on: date | None = None
    days_since_infusion: int | None = None
    cycle_day: int | None = None
    next_infusion_due: date | None = None
    adherence: dict[str, Any] | None = None
    baseline: list[tuple[str, str]] = field(default_factory=list)
    risk_factors: list[str] = field(default_factory=list)
    brain_metastases: bool = False
    expected: list[Marking] = field(default_factory=list)


def patient_context(patient: Patient, kind: str) -> Context:
    """Needs ``patient`` loaded with ``courses__infusions`` prefetched (``load_patient``)."""
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(patient.timezone))
    course = patient.current_course()
    if course is None:
        context = Context(
            today=today,
            drug=None,
            drug_name="No current treatment",
            dose_level="",
            course_status="",
            started_on=None,
            infused=False,
        )
    else:
        catalogue = course.catalogue
        try:
            dose = catalogue.dose_level(course.dose_level).label
        except KeyError:
            dose = course.dose_level
        context = Context(
            today=today,
            drug=course.drug,
            drug_name=catalogue.name,
            dose_level=dose,
            course_status=course.get_status_display(),
            started_on=course.started_on,
            infused=catalogue.infused,
        )
        if catalogue.infused:
            given = sorted(i.given_on for i in course.infusions.all() if i.given_on <= today)
            if given:
                last = given[-1]
                context.cycle = len(given)
                context.last_infusion_on = last
                context.days_since_infusion = (today - last).days
                context.cycle_day = (today - last).days + 1
                context.next_infusion_due = last + timedelta(days=TDXD_CYCLE_DAYS)
        elif catalogue.drug_class == TKI:
            context.adherence = adherence(patient, today)
    context.baseline = baseline_rows(patient)
    context.risk_factors = [RISK_FACTOR_TEXT.get(f, f) for f in patient.ild_risk_factors(today)]
    context.brain_metastases = patient.brain_metastases
    # The running expected-AMBER markings: of the alert's kind (the alert page), or all of the
    # patient's (the patient page, kind "").
    markings = ExpectedAmber.objects.running().filter(patient=patient)
    if kind:
        markings = markings.filter(alert__kind=kind)
    context.expected = [Marking.of(m) for m in markings.select_related("set_by", "alert")]
    return context


def load_patient(patient_id: int) -> Patient:
    return Patient.objects.prefetch_related("courses__infusions").get(pk=patient_id)


def adherence(patient: Patient, today: date) -> dict[str, Any]:
    """TKI doses taken and missed in the last 7 days of entries (one query), with reasons.

    A vomited dose is not repeated and counts as taken (reference §5.6, labels [V])."""
    since = timezone.now() - timedelta(days=ADHERENCE_DAYS)
    rows = list(
        DiaryEntry.objects.filter(patient=patient, recorded_at__gte=since)
        .order_by("-recorded_at")
        .values("tki_doses_taken", "tki_doses_missed", "tki_dose_vomited", "missed_dose_reason")
    )
    return {
        "days": ADHERENCE_DAYS,
        "reported": any(
            r["tki_doses_taken"] is not None or r["tki_doses_missed"] is not None for r in rows
        ),
        "taken": sum(r["tki_doses_taken"] or 0 for r in rows),
        "missed": sum(r["tki_doses_missed"] or 0 for r in rows),
        "vomited": sum(1 for r in rows if r["tki_dose_vomited"]),
        "reasons": [r["missed_dose_reason"] for r in rows if r["missed_dose_reason"]],
    }


def baseline_rows(patient: Patient) -> list[tuple[str, str]]:
    rows = []
    if patient.baseline_stools_per_day is not None:
        rows.append(("Stools per day", str(patient.baseline_stools_per_day)))
    if patient.baseline_spo2_rest is not None:
        rows.append(("SpO2 at rest", f"{patient.baseline_spo2_rest}%"))
    if patient.baseline_spo2_exertion is not None:
        rows.append(("SpO2 after exertion", f"{patient.baseline_spo2_exertion}%"))
    if patient.baseline_sob_exertion:
        rows.append(("Breathlessness", SOB_TEXT.get(patient.baseline_sob_exertion, "")))
    if patient.baseline_weight_kg is not None:
        rows.append(("Weight", f"{patient.baseline_weight_kg} kg"))
    if patient.baseline_cough_severity:
        rows.append(("Cough", patient.baseline_cough_severity))
    if patient.baseline_neuro:
        deficits = [
            staff_label(term) + ("" if level is True else f" ({level})")
            for term, level in patient.baseline_neuro.items()
        ]
        rows.append(("Neurological deficits", ", ".join(deficits)))
    if patient.baseline_composites:
        composites = [
            f"{staff_label(key)} {grade}"
            for key, grade in sorted(patient.baseline_composites.items())
        ]
        rows.append(("PRO-CTCAE composites (0-3)", ", ".join(composites)))
    if patient.stoma:
        rows.append(("Stoma", "yes (diarrhea asked as ostomy output)"))
    if patient.home_oximeter:
        rows.append(("Home pulse oximeter", "yes"))
    return rows


def rule_sources(found: list[Trigger]) -> list[tuple[str, str, str]]:
    """Each rule that fired, once: its code, what it checks in words, its source tag (the
    alert page's "Why this fired" disclosure)."""
    rows: dict[str, tuple[str, str, str]] = {}
    for trigger in found:
        for rule in trigger.rules:
            rows.setdefault(rule.code, (rule.code, condition(rule.code), rule.source))
    return list(rows.values())


# --- the escalation hand-off -----------------------------------------------------------------


@dataclass
class Handoff:
    """The latest escalation, shown at the top of the alert page (issue 15, D78)."""

    by: Any  # the user who escalated; None when the system did
    to: Any  # the named oncologist; None: the on-call oncologist (paged)
    at: Any
    note: str
    why: str  # an automatic escalation's reason


def handoff(events: list[AlertEvent], users: dict[int, Any]) -> Handoff | None:
    """The alert's latest escalation, from its audit trail (``events`` in trail order)."""
    for event in reversed(events):
        if event.type == EventType.ESCALATED:
            detail = event.detail or {}
            return Handoff(
                by=event.actor,
                to=users.get(detail["to"]) if detail.get("to") else None,
                at=event.at,
                note=str(detail.get("note") or ""),
                why=str(detail.get("why") or ""),
            )
    return None


# --- the audit trail in words -----------------------------------------------------------------


def describe(event: AlertEvent, users: dict[int, Any]) -> str:
    """One line of the audit trail: what happened (the page shows who and when beside it)."""
    detail = event.detail or {}

    def name(pk: Any) -> str:
        user = users.get(pk)
        return user.get_username() if user is not None else f"user #{pk}"

    match event.type:
        case EventType.OPENED:
            return f"Opened at {str(detail.get('level', '')).upper()}."
        case EventType.LEVEL_RAISED:
            before, after = str(detail.get("from", "")), str(detail.get("to", ""))
            return f"Level raised from {before.upper()} to {after.upper()}."
        case EventType.EVIDENCE:
            return "New evidence from a diary entry."
        case EventType.SUPPRESSED:
            codes = "; ".join(condition(code) for code in detail.get("codes", []))
            which = f" ({codes})" if codes else ""
            return f"A further report of AMBER triggers marked expected was folded in{which}."
        case EventType.FIRST_OPENED:
            return "Opened the alert page (the first of the care team to do so)."
        case EventType.ACKNOWLEDGED:
            return "Acknowledged."
        case EventType.ASSIGNED:
            who = detail.get("assignee")
            return f"Assigned to {name(who)}." if who else "Unassigned."
        case EventType.CALL_LOGGED:
            reached = "reached" if detail.get("reached", True) else "no answer"
            return f"Call logged ({reached}): {detail.get('summary', '')}"
        case EventType.NOTE:
            return f"Note: {detail.get('text', '')}"
        case EventType.ESCALATED:
            if event.actor_id is None:
                return f"Escalated automatically: {detail.get('why', '')}."
            to = f" to {name(detail['to'])}" if detail.get("to") else " to the on-call oncologist"
            note = f": {detail['note']}" if detail.get("note") else "."
            return f"Escalated{to}{note}"
        case EventType.EXPECTED_LEVEL_SET:
            until = str(detail.get("until", ""))[:10]
            marked = detail.get("codes")
            what = (
                f"AMBER triggers ({'; '.join(condition(code) for code in marked)})"
                if marked
                else "AMBER of this kind"
            )
            return (
                f"{what} marked expected for {detail.get('days')} days (until {until}): "
                f"{detail.get('reason', '')}"
            )
        case EventType.EXPECTED_ENDED:
            return f"Expected marking ended: {detail.get('why', '')}."
        case EventType.RESOLVED:
            outcome = Outcome(detail["outcome"]).label if detail.get("outcome") else ""
            note = f": {detail['note']}" if detail.get("note") else "."
            return f"Resolved, outcome {outcome.lower()}{note}"
    return event.get_type_display()
