"""§5.8 What the patient is told, straight after each report [D: wording needs clinical sign-off].

The advice follows the alert evaluation, never each term's grade on its own: ``advise`` takes what
the care team was told because of the report (the level per alert kind, ``told``) and the rules
that fired, so the patient never reads calmer advice than the level the team was told.

- The summary matches the report's level: RED "call now" with the 24-hour line and the emergency
  number; AMBER "we will contact you within 24 hours; call sooner if it gets worse"; GREEN
  self-care. Every summary keeps the §5.1 line "if you are very unwell, call the 24-hour line /
  emergency number now" [D].
- Each item names a reported term that drove an alert kind and carries that kind's text at its
  level (the RED text of its kind for a RED); in a RED report nothing AMBER or GREEN is said.
  Terms graded 1+ that drove nothing get self-care text in AMBER and GREEN reports.
- Diarrhea counselling names the patient's drug class: oral TKI patients are told not to repeat a
  vomited tablet and not to change their dose themselves; a dose hold is the prescriber's
  decision, and no label action is ever stated to the patient ([NV] label rows, §3.2-§3.3).
- A clinic may reword the text of a kind (AMBER, RED) or of a term's self-care (GREEN) per level
  (``overrides``): only the wording changes, never the level, and the summary with its call-now
  and emergency lines is not overridable, so an override cannot make an answer calmer.

Pure Python: standard library and ``diary.vocabulary`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from alerts.rules.proctcae import PROCTCAE
from diary.vocabulary import (
    ADHERENCE,
    AMBER,
    CARDIAC,
    CNS,
    CNS_TERMS,
    FEVER,
    GI,
    GREEN,
    HEPATIC,
    ILD,
    LEVEL_RANK,
    LOPERAMIDE,
    RED,
    TKI,
    Level,
)

# (kind or term, level) -> the clinic's own wording.
Overrides = Mapping[tuple[str, str], str]
Translate = Callable[[str], str]


def gettext_noop(text: str) -> str:
    """Marks a patient text for translation: xgettext extracts it into alerts/locale, and the
    caller translates at choice time (``advise(translate=...)``, the patient's language)."""
    return text


# The §5.8/§5.1 summaries by level; {phone} is " (the 24-hour number)" or "".
SUMMARY: Mapping[str, str] = {
    RED: gettext_noop(
        "Call your care team's 24-hour line{phone} now. Call the emergency number if you are "
        "struggling to breathe, have a seizure, or are very unwell."
    ),
    AMBER: gettext_noop(
        "Your care team has been told and will contact you within 24 hours. Call us sooner"
        "{phone} if it gets worse. If you feel very unwell, call the 24-hour line or the "
        "emergency number now."
    ),
    GREEN: gettext_noop(
        "Nothing you reported needs the care team today. Keep recording how you feel. If you feel "
        "very unwell, call the 24-hour line{phone} or the emergency number now, whatever this app "
        "says."
    ),
}

SEIZURE_CODE = "cns.red.seizure"
SEIZURE_FIRST_AID = gettext_noop(
    "If this is a seizure: stay with them, do not put anything in their mouth, and lie them on "
    "their side when it stops. Call the emergency number if it lasts over 5 minutes or a second "
    "one follows. Then call the team now."
)
_BOWEL_RED = gettext_noop(
    "This can be a serious bowel side effect. Call the 24-hour line now. Do not take more "
    "loperamide until you have spoken to the team. Keep sipping fluids."
)

# The RED text of each alert kind, each with its reason in plain words (§5.8).
RED_TEXT: Mapping[str, str] = {
    ILD: gettext_noop(
        "Changes in your breathing can be a serious lung side effect of your treatment. Call the "
        "24-hour line now. If you are breathless at rest, call the emergency number."
    ),
    GI: _BOWEL_RED,
    LOPERAMIDE: _BOWEL_RED,
    FEVER: gettext_noop(
        "A temperature can be a sign of a serious infection during treatment. Call the 24-hour "
        "line now, even if you feel well otherwise. Do not take paracetamol to bring the "
        "temperature down before you have called."
    ),
    CNS: gettext_noop(
        "A new problem with your brain or nerves (confusion, weakness on one side, trouble "
        "speaking, a severe headache) must be checked the same day: call the team now."
    ),
    HEPATIC: gettext_noop(
        "Yellow skin or yellow eyes (jaundice) can be a sign of a liver side effect. Call the "
        "24-hour line now."
    ),
    CARDIAC: gettext_noop(
        "Breathlessness with swollen legs, breathlessness lying flat or a pounding heartbeat can "
        "be a heart side effect. Call the 24-hour line now."
    ),
    ADHERENCE: gettext_noop(
        "Together with your other symptoms this needs a call now: call the 24-hour line. Do not "
        "change your tablets yourself until you have spoken to the team."
    ),
}
RED_GENERIC = gettext_noop("This needs urgent attention: call the 24-hour line now.")

# Added to diarrhea counselling for oral TKI patients (§5.8; labels [V] §3.2-§3.3).
DIARRHEA_TKI = gettext_noop(
    "Do not repeat a tablet you vomited, and do not change your dose yourself: any change is "
    "your prescriber's decision."
)

# The AMBER text of each kind: what to do until the team calls.
AMBER_TEXT: Mapping[str, str] = {
    ILD: gettext_noop(
        "Your breathing answers need a check by the team. Your care team will contact you within "
        "24 hours. If you become breathless at rest or get a temperature, call now."
    ),
    GI: gettext_noop(
        "Keep drinking fluids and take loperamide as your clinic's protocol says. Your care team "
        "will contact you within 24 hours. Call now if you see blood, get a temperature or feel "
        "dizzy when you stand up."
    ),
    LOPERAMIDE: gettext_noop(
        "You have taken more than 16 mg of loperamide in 24 hours, the most the usual schedule "
        "allows: do not take more until the team has spoken to you. Your care team will contact "
        "you within 24 hours."
    ),
    FEVER: gettext_noop(
        "Check your temperature again in a few hours. Your care team will contact you within 24 "
        "hours. If it reaches 38.0 °C or you start shivering, call now."
    ),
    CNS: gettext_noop(
        "A new or worse headache, dizziness or change in your vision needs a check. Your care "
        "team will contact you within 24 hours. Call now if you have a seizure, confusion, "
        "weakness on one side or trouble speaking."
    ),
    HEPATIC: gettext_noop(
        "Dark urine or pain under your right ribs needs a check of your liver. Your care team "
        "will contact you within 24 hours. Call now if your skin or eyes turn yellow."
    ),
    CARDIAC: gettext_noop(
        "Breathlessness with swollen legs, breathlessness lying flat or a pounding heartbeat needs "
        "a check of your heart. Your care team will contact you within 24 hours. Call now if you "
        "are breathless at rest."
    ),
    ADHERENCE: gettext_noop(
        "The team would like to talk with you about your missed tablets. Your care team will "
        "contact you within 24 hours. Do not take extra tablets to make up for missed ones, and "
        "do not change your dose yourself."
    ),
}
AMBER_GENERIC = gettext_noop(
    "This needs a check by the team. Your care team will contact you within 24 hours."
)

# GREEN self-care per term (the terms most often reported; others get the generic line).
SELF_CARE: Mapping[str, str] = {
    "diarrhea": gettext_noop(
        "Drink plenty of fluids, eat small bland meals, and take loperamide as your clinic's "
        "protocol says. Record your stools; we will ask again in 24 hours."
    ),
    "nausea": gettext_noop(
        "Eat small, frequent meals and take your anti-sickness medicine as prescribed."
    ),
    "vomiting": gettext_noop(
        "Sip fluids often and take your anti-sickness medicine as prescribed. Do not repeat a "
        "tablet you vomited."
    ),
    "dyspnea": gettext_noop(
        "Rest and pace yourself. Tell us straight away if your breathing gets worse, or if you "
        "have a cough or a temperature."
    ),
    "cough": gettext_noop(
        "Tell us straight away if the cough gets worse or comes with a temperature or "
        "breathlessness."
    ),
    "fatigue": gettext_noop(
        "Balance rest with gentle activity, and keep to a regular sleep routine."
    ),
    "rash_acneiform": gettext_noop(
        "Use a gentle moisturiser and sunscreen, and avoid hot water and perfumed products."
    ),
    "paronychia": gettext_noop(
        "Keep nails short and clean, soak in warm water, and avoid tight shoes."
    ),
    "mucositis_oral": gettext_noop(
        "Rinse your mouth regularly with salt water and use a soft toothbrush."
    ),
}
SELF_CARE_GENERIC = gettext_noop("Keep recording how you feel. Tell us if it gets worse.")

# When one term drove several kinds at the same level, the first of these speaks for it.
KIND_ORDER = (CNS, ILD, FEVER, GI, LOPERAMIDE, HEPATIC, CARDIAC, ADHERENCE)

# The diary terms each alert kind speaks for (a PRO-CTCAE symptom speaks through the kind of its
# §5.4 rules, alerts.rules.proctcae.PROCTCAE) [D].
KIND_TERMS: Mapping[str, frozenset[str]] = {
    ILD: frozenset({"dyspnea", "cough", "hypoxia"}),
    GI: frozenset({"diarrhea", "vomiting", "nausea", "dehydration", "abdominal_pain", "anorexia"}),
    LOPERAMIDE: frozenset({"diarrhea"}),
    FEVER: frozenset({"fever", "chills"}),
    CNS: frozenset(CNS_TERMS),
    HEPATIC: frozenset({"liver_symptoms"}),
    CARDIAC: frozenset({"heart_symptoms", "dyspnea"}),
    ADHERENCE: frozenset(),
}


def _speaks_for(kind: str, term: str) -> bool:
    composite = PROCTCAE.get(term)
    return term in KIND_TERMS.get(kind, ()) or (composite is not None and composite[0] == kind)


@dataclass(frozen=True, slots=True)
class AdviceItem:
    term: str
    level: Level
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"term": self.term, "level": self.level, "text": self.text}


@dataclass(frozen=True, slots=True)
class Advice:
    level: Level
    summary: str
    items: tuple[AdviceItem, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": {"level": self.level, "text": self.summary},
            "items": [item.as_dict() for item in self.items],
        }


def _phone(phone: str) -> str:
    return f" ({phone})" if phone else ""


def _kind_text(
    kind: str,
    level: Level,
    codes: Sequence[str],
    drug_class: str,
    overrides: Overrides,
    translate: Translate,
) -> str:
    own = overrides.get((kind, level))
    if own:
        return own
    if level == RED:
        if kind == CNS and SEIZURE_CODE in codes:
            return translate(SEIZURE_FIRST_AID)
        return translate(RED_TEXT.get(kind, RED_GENERIC))
    text = translate(AMBER_TEXT.get(kind, AMBER_GENERIC))
    if kind == GI and drug_class == TKI:
        text += " " + translate(DIARRHEA_TKI)
    return text


def _self_care(term: str, drug_class: str, overrides: Overrides, translate: Translate) -> str:
    own = overrides.get((term, GREEN))
    if own:
        return own
    text = translate(SELF_CARE.get(term, SELF_CARE_GENERIC))
    if term == "diarrhea" and drug_class == TKI:
        text += " " + translate(DIARRHEA_TKI)
    return text


def advise(
    *,
    told: Mapping[str, str],
    codes: Sequence[str],
    reported: Sequence[str],
    grades: Mapping[str, int | None],
    drug_class: str,
    phone: str = "",
    overrides: Overrides | None = None,
    translate: Translate = gettext_noop,
) -> Advice:
    """The advice for one report.

    ``told``: per alert kind, the level the care team was told because of this report (kinds
    left out or GREEN told nothing); ``codes``: the rule codes that fired; ``reported``: the terms
    (or PRO-CTCAE symptoms) the report answered; ``grades``: their CTCAE grades. The level of the
    answer is the highest level told, so it is the report's ``alert_level``.
    """
    overrides = overrides or {}
    levels: dict[str, Level] = {
        kind: cast(Level, level) for kind, level in told.items() if level in (AMBER, RED)
    }
    level: Level = max(levels.values(), key=LEVEL_RANK.__getitem__, default=GREEN)
    chosen: dict[str, AdviceItem] = {}
    order = {kind: index for index, kind in enumerate(KIND_ORDER)}
    for kind in sorted(levels, key=lambda k: (-LEVEL_RANK[levels[k]], order.get(k, 99), k)):
        kind_level = levels[kind]
        if level == RED and kind_level != RED:
            continue  # a RED answer carries no AMBER wording (§5.8)
        terms = [term for term in reported if _speaks_for(kind, term)]
        text = _kind_text(kind, kind_level, codes, drug_class, overrides, translate)
        for term in dict.fromkeys(terms or [kind]):
            chosen.setdefault(term, AdviceItem(term, kind_level, text))
    if level != RED:
        for term in reported:
            grade = grades.get(term)
            if term not in chosen and grade is not None and grade >= 1:
                own = _self_care(term, drug_class, overrides, translate)
                chosen[term] = AdviceItem(term, GREEN, own)
    return Advice(
        level=level,
        summary=translate(SUMMARY[level]).format(phone=_phone(phone)),
        items=tuple(chosen.values()),
    )


def summary_only(level: Level, *, phone: str = "") -> Advice:
    """The advice of an entry stored before advice followed the evaluation: the summary of its
    stored alert level, with no per-term items (the kinds it told were not recorded)."""
    return Advice(level=level, summary=SUMMARY[level].format(phone=_phone(phone)), items=())
