"""What the nurse sees beside an alert: reference §3 (drug rules) and §5 (the rule set), as plain
data with their source tags. No Django import (drug keys from diary.vocabulary); the alert
detail page renders it.

Tags are those of ../shared/clinical/reference.md: [V] verified, [S] secondary (shown with "confirm
in the current label"), [D] design choice awaiting clinical sign-off, [NV] not verified. An [NV]
item never states a threshold or an action: it names the topic and says "check the current label".
Nothing here is new clinical content; each line paraphrases the reference at the section given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diary.vocabulary import SEVABERTINIB, TDXD, ZONGERTINIB

Tag = Literal["V", "S", "D", "NV"]

ANY = "*"


# What each tag means, in the words of the reference's own legend (../shared/clinical/
# reference.md, top): the staff pages explain every tag they show (issue 15, D79).
TAG_MEANINGS: dict[str, str] = {
    "V": "verified: read in the source named (primary or official secondary).",
    "S": "secondary: read only in a third-party summary; plausible, but re-check against the "
    "label or paper before relying on it.",
    "D": "design choice made for this software, not taken from any source; needs clinical "
    "sign-off.",
    "NV": "not verified: no readable source was found; not a hard rule, see the current label.",
}


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    section: str  # the reference section, e.g. "§3.1"
    tag: Tag

    @property
    def check_label(self) -> bool:
        """Not verified: the page says "check the current label" instead of any rule."""
        return self.tag == "NV"

    @property
    def source(self) -> str:
        return f"{self.section} [{self.tag}]"


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    items: tuple[Item, ...]


# --- response targets by level (§5.1) ---------------------------------------------------------

RESPONSE: dict[str, tuple[Item, ...]] = {
    "red": (
        Item(
            "Urgent clinical review: the nurse phones the patient and arranges a same-day "
            "face-to-face assessment or the emergency department (UKONS: red = urgent review).",
            "§5.1",
            "V",
        ),
        Item("Nurse contact within 1 hour during staffed hours.", "§5.1", "D"),
    ),
    "amber": (
        Item(
            "Review within 24 hours with active monitoring (UKONS: 1 amber = review within 24 h).",
            "§5.1",
            "V",
        ),
        Item("Nurse contact the same day.", "§5.1", "D"),
    ),
}

RECORD_ACTION = Item(
    "Record the action taken on the alert; audit that actions are recorded within 72 hours "
    "(PRO-TECT practice).",
    "§5.1",
    "V",
)

# --- per alert kind: for any drug (ANY) and per drug ------------------------------------------

KIND_GUIDANCE: dict[str, dict[str, tuple[Item, ...]]] = {
    "ild": {
        ANY: (
            Item(
                "Possible ILD / pneumonitis: it needs assessment with imaging. Do not wait for a "
                "confirmed diagnosis before acting (adjudicated onset often precedes recognition).",
                "§5.2",
                "V",
            ),
            Item(
                "Ask about new or worsening cough, breathlessness and fever; compare today's "
                "resting and exertional SpO2 with the patient's baseline.",
                "§5.2",
                "D",
            ),
        ),
        TDXD: (
            Item(
                "Whether to hold the next T-DXd infusion while ILD is only suspected is the "
                "prescriber's decision: the label's interrupt and discontinue rules (below) are "
                "for ILD by grade; check the current label.",
                "§3.1",
                "NV",
            ),
            Item(
                "Arrange CT imaging to evaluate suspected ILD; consider a pulmonology consult.",
                "§3.1",
                "V",
            ),
            Item(
                "Consider corticosteroids as soon as ILD is suspected (e.g. >=0.5 mg/kg/day "
                "prednisolone or equivalent); prescriber decision.",
                "§3.1",
                "V",
            ),
            Item(
                "Grade 1 (asymptomatic): interrupt until resolved to Grade 0; resolved within 28 "
                "days of onset: keep the dose; after more than 28 days: reduce one dose level.",
                "§3.1",
                "V",
            ),
            Item(
                "Grade 2 or higher (symptomatic): permanently discontinue; start systemic "
                "corticosteroids promptly (e.g. >=1 mg/kg/day prednisolone or equivalent) for at "
                "least 14 days, then taper over at least 4 weeks.",
                "§3.1",
                "V",
            ),
            Item(
                "Moderate renal impairment: higher incidence of Grade 1-2 ILD; monitor more often.",
                "§3.1",
                "V",
            ),
            Item(
                "Most first ILD events occur within 12 months of starting T-DXd (median about "
                "5 months).",
                "§3.1",
                "V",
            ),
        ),
        ZONGERTINIB: (
            Item(
                "The label warns of ILD/pneumonitis: monitor for new or worsening dyspnea, cough "
                "and fever.",
                "§3.2",
                "V",
            ),
            Item("Zongertinib ILD/pneumonitis dose modifications (label Table 2).", "§3.2", "NV"),
        ),
        SEVABERTINIB: (
            Item("The label warns of ILD/pneumonitis.", "§3.3", "V"),
            Item("Sevabertinib ILD/pneumonitis dose modifications (label Table 2).", "§3.3", "NV"),
        ),
    },
    "gi": {
        ANY: (
            Item(
                "Check the warning features of complicated diarrhea: fever, dizziness on "
                "standing or dehydration, unable to keep fluids down, blood in stool, moderate "
                "or severe cramping, known neutropenia. Any one makes it RED.",
                "§5.3",
                "D",
            ),
            Item(
                "Uncomplicated diarrhea: loperamide 4 mg, then 2 mg every 4 h or after each "
                "unformed stool (maximum 16 mg/day); persisting over 24 h: 2 mg every 2 h; "
                "persisting over 48 h on loperamide: stop it, consider octreotide and manage as "
                "complicated (Benson 2004, per the clinic's protocol).",
                "§3.4",
                "S",
            ),
            Item(
                "Complicated diarrhea: IV fluids, octreotide and antibiotics as indicated; "
                "same-day assessment.",
                "§3.4",
                "V",
            ),
            Item(
                "Ask the patient to keep recording stool counts and to report fever or "
                "dizziness on standing at once.",
                "§3.4",
                "S",
            ),
        ),
        TDXD: (
            Item(
                "T-DXd is highly emetogenic (including delayed nausea and vomiting): prophylactic "
                "antiemetics per local guidelines.",
                "§3.1",
                "V",
            ),
            Item("T-DXd diarrhea dose modifications.", "§5.3", "NV"),
        ),
        ZONGERTINIB: (
            Item("Zongertinib diarrhea dose modifications (label Table 2).", "§3.2", "NV"),
        ),
        SEVABERTINIB: (
            Item(
                "Sevabertinib's label carries a diarrhea warning; diarrhea was the treatment-"
                "related adverse event that most often led to a dose reduction.",
                "§3.3",
                "V",
            ),
            Item("Sevabertinib diarrhea dose modifications (label Table 2).", "§3.3", "NV"),
        ),
    },
    "fever": {
        ANY: (
            Item(
                "Febrile neutropenia cannot be excluded without a same-day neutrophil count: "
                "treat a temperature of 38.0 °C or more as RED and arrange same-day assessment "
                "with a full blood count.",
                "§5.3",
                "D",
            ),
            Item("UKONS threshold for suspected neutropenic sepsis.", "§5.3", "NV"),
        ),
        TDXD: (
            Item(
                "Fever with cough or breathlessness on T-DXd: consider ILD too (the label lists "
                "cough, dyspnea and fever as presenting signs).",
                "§5.2",
                "V",
            ),
            Item(
                "Grade 3 neutropenia (ANC <1.0-0.5 x10^9/L): interrupt until Grade 2 or better, "
                "then keep the dose.",
                "§3.1",
                "V",
            ),
            Item("T-DXd action for Grade 4 neutropenia.", "§3.1", "NV"),
            Item("T-DXd action for febrile neutropenia.", "§3.1", "NV"),
            Item(
                "Without respiratory symptoms, ask about breathing again within 24 hours.",
                "§5.2",
                "D",
            ),
        ),
    },
    "hepatic": {
        ANY: (
            Item(
                "Ask about jaundice, dark urine and right-upper abdominal pain; the app cannot "
                "see liver function tests, so arrange them.",
                "§5.3",
                "D",
            ),
        ),
        ZONGERTINIB: (
            Item(
                "Liver function tests at baseline, every 2 weeks for the first 12 weeks, then "
                "monthly.",
                "§3.2",
                "V",
            ),
            Item(
                "Grade 3 or 4 ALT/AST without raised bilirubin: interrupt zongertinib.",
                "§3.2",
                "V",
            ),
            Item(
                "...until Grade 1 or better (or baseline), then resume at a reduced dose.",
                "§3.2",
                "S",
            ),
            Item(
                "Grade 4 bilirubin, or ALT/AST >3x ULN with total bilirubin >2x ULN: "
                "permanently discontinue.",
                "§3.2",
                "S",
            ),
        ),
        SEVABERTINIB: (
            Item("The label warns of hepatotoxicity.", "§3.3", "V"),
            Item("Sevabertinib hepatotoxicity dose modifications (label Table 2).", "§3.3", "NV"),
        ),
    },
    "cardiac": {
        ANY: (
            Item(
                "New breathlessness with leg swelling, breathlessness lying flat or palpitations: "
                "arrange an LVEF check per the label's schedule.",
                "§5.3",
                "D",
            ),
        ),
        TDXD: (
            Item("LVEF >45% and absolute drop of 10-20% from baseline: continue.", "§3.1", "V"),
            Item(
                "LVEF 40-45% and drop <10%: continue; repeat LVEF within 3 weeks.",
                "§3.1",
                "V",
            ),
            Item(
                "LVEF 40-45% and drop 10-20%: interrupt; repeat within 3 weeks; if not "
                "recovered to within 10 points of baseline, discontinue; if recovered, resume "
                "the same dose.",
                "§3.1",
                "V",
            ),
            Item(
                "LVEF <40% or drop >20%: interrupt; repeat within 3 weeks; if confirmed, "
                "discontinue.",
                "§3.1",
                "V",
            ),
            Item("Symptomatic congestive heart failure: discontinue.", "§3.1", "V"),
        ),
        ZONGERTINIB: (
            Item(
                "LVEF 40-50% with a 10-19% absolute drop: interrupt; resume at the same dose "
                "on recovery.",
                "§3.2",
                "S",
            ),
            Item("Zongertinib LVEF dose modifications beyond that row (label).", "§3.2", "NV"),
        ),
    },
    "cns": {
        ANY: (
            Item(
                "RED: urgent same-day assessment and imaging per the local pathway (raised "
                "intracranial pressure must be excluded the same day).",
                "§5.5",
                "D",
            ),
            Item(
                "The seizure first-aid and emergency-number advice is shown to the patient at "
                "once.",
                "§5.5",
                "D",
            ),
            Item(
                "A carer may answer for the patient: confusion and seizures are often noticed by "
                "others.",
                "§5.5",
                "D",
            ),
        ),
    },
    "adherence": {
        ANY: (
            Item(
                "Ask why doses were missed (the patient's reasons are shown with the entries); a "
                "vomited dose is not repeated and counts as taken.",
                "§5.6",
                "D",
            ),
        ),
        ZONGERTINIB: (
            Item(
                "Missed dose: take it if within 12 hours, otherwise skip. Vomited dose: do not "
                "repeat.",
                "§3.2",
                "V",
            ),
        ),
        SEVABERTINIB: (
            Item(
                "Missed dose: take it when remembered unless it is nearly time for the next; "
                "never double. Vomited dose: do not repeat.",
                "§3.3",
                "V",
            ),
        ),
    },
    "loperamide": {
        ANY: (
            Item(
                "More than 16 mg of loperamide in 24 hours is over the maximum daily dose of the "
                "Benson schedule: review the diarrhea plan; diarrhea persisting over 48 hours on "
                "loperamide is managed as complicated.",
                "§3.4",
                "S",
            ),
        ),
    },
    "diary": {
        ANY: (
            Item(
                "No diary: phone the patient. Patients who feel worst often report least; "
                "PRO-TECT and MOOVCARE followed up non-responders.",
                "§5.6",
                "S",
            ),
        ),
    },
}

# Dose ladders and missed-dose rules, shown with the patient context of every alert.
DRUG_NOTES: dict[str, tuple[Item, ...]] = {
    TDXD: (
        Item(
            "Dose levels: 5.4 mg/kg, then 4.4 mg/kg, then 3.2 mg/kg; a further reduction means "
            "discontinue; no re-escalation after a reduction (breast-cancer label table).",
            "§3.1",
            "V",
        ),
        Item("The same reduction ladder in NSCLC (USPI Table 1).", "§3.1", "NV"),
        Item("IV infusion every 3 weeks.", "§3.1", "V"),
    ),
    ZONGERTINIB: (
        Item(
            "Dose: <90 kg 120 mg, >=90 kg 180 mg once daily; reductions 180 -> 120 -> 60 mg; "
            "discontinue if 60 mg is not tolerated.",
            "§3.2",
            "V",
        ),
    ),
    SEVABERTINIB: (
        Item(
            "Dose: 20 mg twice daily with food; reductions 10 mg twice daily, then 10 mg once "
            "daily; discontinue if 10 mg once daily is not tolerated.",
            "§3.3",
            "V",
        ),
    ),
}


def guidance_for(*, kind: str, level: str, drug: str | None) -> list[Section]:
    """The sections shown beside an alert of this kind and level, for the patient's drug."""
    sections = [Section("Response", (*RESPONSE.get(level, ()), RECORD_ACTION))]
    by_drug = KIND_GUIDANCE.get(kind, {})
    if by_drug.get(ANY):
        sections.append(Section("For this alert", by_drug[ANY]))
    if drug and by_drug.get(drug):
        sections.append(Section("For this drug", by_drug[drug]))
    if drug and drug in DRUG_NOTES:
        sections.append(Section("Dosing", DRUG_NOTES[drug]))
    return sections
