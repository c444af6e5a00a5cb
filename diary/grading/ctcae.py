"""CTCAE v5.0 terms as data: the answers each term accepts and the criteria that grade it.

Read beside ../shared/clinical/reference.md. Tags: [V] CTCAE v5.0 number or wording (§1.3, §5.5),
[D] design choice of this software (docs/grading.md lists every one with its reason).

Grade = the highest grade whose criterion is met by any answer ([D] §1.1 software rule).
Missing data ([D] §1.2): without a primary answer the term is `insufficient`; other answers that
were not given count as "not reported", except a follow-up listed in `needs`, which makes the
result `insufficient` when its answer could still change the grade.
Criteria worded "life-threatening; urgent intervention" (G4) and death (G5) are never assigned from
self-report; numeric G4s and clinician-entered facts are ([D] §1.1).
MedDRA codes are those of interoperability.md §4.4 [V]; None where it gives none.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType

from diary.grading.rules import (
    Condition,
    Criterion,
    Need,
    Prepare,
    Requirement,
    Rules,
    Values,
    above,
    all_of,
    at_least,
    at_most,
    below,
    below_field,
    between,
    equals,
    exact,
    is_false,
    is_true,
    one_of,
    present,
)
from diary.grading.terms import (
    ADL,
    HOSPITALIZED,
    SEVERITY,
    FieldSpec,
    TermSpec,
    choice,
    number,
    whole,
    yes_no,
)

_TERMS: dict[str, TermSpec] = {}
_RULES: dict[str, Rules] = {}


def _define(
    name: str,
    label: str,
    *,
    meddra: str | None,
    fields: dict[str, FieldSpec],
    criteria: tuple[Criterion, ...] = (),
    primary: tuple[str, ...] = (),
    requires: tuple[Requirement, ...] = (),
    needs: tuple[Need, ...] = (),
    self_reportable: bool = True,
    alert_only: bool = False,
    prepare: Prepare | None = None,
    derived: tuple[str, ...] = (),
    denied_by: str | None = None,
) -> None:
    if primary:
        requires = (Requirement(present(*primary), primary), *requires)
    primary_fields = tuple(dict.fromkeys(f for r in requires for f in r.condition.fields))
    known = set(fields) | set(derived)
    conditions: list[Condition] = [c.condition for c in criteria] + [r.condition for r in requires]
    conditions += [n.when for n in needs]
    used = {f for c in conditions for f in c.fields} | {n.field for n in needs}
    if name in _TERMS or not used <= known or not set(primary_fields) <= set(fields):
        raise ValueError(f"term {name!r}: duplicate, or a rule reads an unknown field")
    _TERMS[name] = TermSpec(
        name=name,
        label=label,
        meddra_code=meddra,
        fields=MappingProxyType(fields),
        self_reportable=self_reportable,
        alert_only=alert_only,
        primary_fields=primary_fields,
    )
    if denied_by is not None and denied_by not in fields:
        raise ValueError(f"term {name!r}: denied_by names no field")
    _RULES[name] = Rules(criteria, requires, needs, prepare, derived, denied_by)


# "Limiting instrumental ADL" -> G2 and "limiting self-care ADL" -> G3 wherever CTCAE says so [V].
ADL_CRITERIA = (
    equals("adl", "instrumental", 2, "Limiting instrumental ADL"),  # [V]
    equals("adl", "self_care", 3, "Limiting self-care ADL"),  # [V]
)
PAIN = choice("How bad is the pain?", *SEVERITY)


def _celsius(values: Values) -> Values:
    """Add the °C value of `temp_f`: (F - 32) x 5/9, exactly [V §1.3 fever]. The higher of the
    two readings counts when both are sent [D]."""
    given_f = values.get("temp_f")
    fahrenheit = None if given_f is None else exact(given_f)
    if fahrenheit is None:
        return values
    celsius = (fahrenheit - 32) * Fraction(5, 9)
    given = values.get("temp_c")
    prepared = dict(values)
    if given is None or celsius > given:
        prepared["temp_c"] = celsius
    return prepared


def _weight_loss(values: Values) -> Values | None:
    """Percentage lost from the baseline weight, exactly [V §1.3 weight loss]."""
    baseline = exact(values.get("baseline_weight_kg"))
    current = exact(values.get("current_weight_kg"))
    if baseline is None or current is None or baseline <= 0:
        return None
    return {**values, "weight_loss_pct": (baseline - current) * 100 / baseline}


TEMPERATURE = Requirement(present("temp_c", "temp_f"), ("temp_c",))
TEMP_C = number(30, 45, "°C", "What is your temperature in °C?")  # [D] range
TEMP_F = number(86, 113, "°F", "What is your temperature in °F?")  # [D] = 30-45 °C
BSA = number(
    0, 100, "%", "How much of your skin is affected? (your palm is about 1%)"
)  # [D] palm rule (§1.2)
SYMPTOM_SEVERITY = choice("How bad are the itch, burning or tightness?", *SEVERITY)

# --- Gastrointestinal -------------------------------------------------------------------------

_define(
    "diarrhea",
    "Diarrhea",
    meddra="10012727",
    fields={
        "stools_over_baseline": whole(
            0, 50, "stools/day", "How many more stools than usual in the last 24 hours?"
        ),  # [D] range
        # Asked instead of the stool count of a patient with a stoma (enrolment flag): either
        # one is the primary answer (§1.2, §1.3 [D]).
        "ostomy_output_increase": choice(
            "How much more is your stoma bag filling than usual?", *SEVERITY
        ),
        "adl": ADL,
        "hospitalized": HOSPITALIZED,
        "blood_in_stool": yes_no("Have you seen blood in your stool?"),  # §5.7 alerts only
    },
    primary=("stools_over_baseline", "ostomy_output_increase"),
    criteria=(
        at_least("stools_over_baseline", 1, 1, "Increase of <4 stools/day over baseline"),  # [V]
        at_least("stools_over_baseline", 4, 2, "Increase of 4-6 stools/day over baseline"),  # [V]
        at_least("stools_over_baseline", 7, 3, "Increase of >=7 stools/day over baseline"),  # [V]
        equals(
            "ostomy_output_increase",
            "mild",
            1,
            "Mild increase in ostomy output compared to baseline",
        ),  # [V]
        equals(
            "ostomy_output_increase",
            "moderate",
            2,
            "Moderate increase in ostomy output compared to baseline",
        ),  # [V]
        equals(
            "ostomy_output_increase",
            "severe",
            3,
            "Severe increase in ostomy output compared to baseline",
        ),  # [V]
        *ADL_CRITERIA,
        is_true("hospitalized", 3, "Hospitalization indicated"),  # [V]
    ),
)

_define(
    "nausea",
    "Nausea",
    meddra="10028813",
    fields={
        "nausea": yes_no("Have you felt sick (nauseous)?"),
        "oral_intake": choice(
            "How much have you been eating and drinking?", "normal", "decreased", "inadequate"
        ),
        "hospitalized": HOSPITALIZED,
        "tube_feeding_or_tpn": yes_no("Have you needed tube or drip feeding?"),  # [D] §1.2 list
    },
    primary=("nausea",),
    denied_by="nausea",  # §1.2 denied-symptom rule [D]
    needs=(Need("oral_intake", when=is_true("nausea")),),  # [D] G1 vs G2/G3 (case G019)
    criteria=(
        is_true("nausea", 1, "Loss of appetite without alteration in eating habits"),  # [V]
        equals(
            "oral_intake",
            "decreased",
            2,
            "Oral intake decreased without significant weight loss, dehydration or malnutrition",
        ),  # [V]
        equals("oral_intake", "inadequate", 3, "Inadequate oral caloric or fluid intake"),  # [V]
        is_true("tube_feeding_or_tpn", 3, "Tube feeding or TPN indicated"),  # [V]
        is_true("hospitalized", 3, "Hospitalization indicated"),  # [V]
    ),
)

_define(
    "vomiting",
    "Vomiting",
    meddra="10047700",
    fields={
        # v5.0 has no episode counts [V]: the count shows that vomiting happened (and feeds the
        # §5.3 alert rule), it does not set the grade.
        "vomiting_episodes_24h": whole(
            0, 50, "episodes", "How many times have you vomited in the last 24 hours?"
        ),  # [D] range
        "iv_fluids": yes_no("Have you needed fluids through a drip?"),
        "medical_intervention": yes_no("Has your care team given you a new medicine for it?"),
        "hospitalized": HOSPITALIZED,
        "tube_feeding_or_tpn": yes_no("Have you needed tube or drip feeding?"),  # [D] §1.2 list
    },
    primary=("vomiting_episodes_24h",),
    criteria=(
        at_least("vomiting_episodes_24h", 1, 1, "Intervention not indicated"),  # [V] G1
        is_true("iv_fluids", 2, "Outpatient IV hydration"),  # [V]
        is_true("medical_intervention", 2, "Medical intervention indicated"),  # [V]
        is_true("tube_feeding_or_tpn", 3, "Tube feeding or TPN indicated"),  # [V]
        is_true("hospitalized", 3, "Hospitalization indicated"),  # [V]
    ),
)

_define(
    "anorexia",
    "Anorexia",
    meddra="10002646",
    fields={
        "appetite_loss": yes_no("Have you lost your appetite?"),
        "eating_altered": yes_no("Are you eating differently or less because of it?"),
        "oral_supplements": yes_no("Have you been advised to take nutrition drinks?"),
        "tube_feeding_or_tpn": yes_no("Have you needed tube or drip feeding?"),
    },
    primary=("appetite_loss",),
    denied_by="appetite_loss",  # §1.2 denied-symptom rule [D]
    needs=(Need("eating_altered", when=is_true("appetite_loss")),),  # [D] G1 vs G2 (G034)
    criteria=(
        is_true("appetite_loss", 1, "Loss of appetite without alteration in eating habits"),  # [V]
        is_true(
            "eating_altered",
            2,
            "Oral intake altered without significant weight loss or malnutrition",
        ),  # [V]
        is_true("oral_supplements", 2, "Oral nutritional supplements indicated"),  # [V]
        is_true("tube_feeding_or_tpn", 3, "Tube feeding or TPN indicated"),  # [V]
    ),
)

_define(
    "dehydration",
    "Dehydration",
    meddra="10012174",
    fields={
        "dehydration_signs": yes_no("Is your mouth dry, or have you been told to drink more?"),
        "iv_fluids": yes_no("Have you needed fluids through a drip?"),
        "hospitalized": HOSPITALIZED,
        "dizzy_on_standing": yes_no("Do you feel dizzy when you stand up?"),  # §5.7 alerts only
        "unable_to_keep_fluids_hours": number(
            0, 168, "h", "For how many hours have you been unable to keep fluids down?"
        ),  # §5.7 alerts only; [D] range up to one week
    },
    primary=("dehydration_signs",),
    criteria=(
        is_true(
            "dehydration_signs",
            1,
            "Increased oral fluids indicated; dry mucous membranes; diminished skin turgor",
        ),  # [V]
        is_true("iv_fluids", 2, "IV fluids indicated"),  # [V]
        is_true("hospitalized", 3, "Hospitalization indicated"),  # [V]
    ),
)

_define(
    "constipation",
    "Constipation",
    meddra="10010774",
    fields={
        "constipation": choice("Have you been constipated?", "none", "occasional", "persistent"),
        "laxatives": choice("Have you used laxatives or enemas?", "none", "occasional", "regular"),
        "manual_evacuation": yes_no("Has stool had to be removed by hand?"),
        "adl": ADL,
    },
    primary=("constipation",),
    criteria=(
        equals("constipation", "occasional", 1, "Occasional or intermittent symptoms"),  # [V]
        equals(
            "laxatives",
            "occasional",
            1,
            "Occasional use of stool softeners, laxatives, dietary modification, or enema",
        ),  # [V]
        # [D] "persistent symptoms with regular laxatives": either answer alone sets G2.
        equals("constipation", "persistent", 2, "Persistent symptoms"),  # [V] wording, [D] split
        equals("laxatives", "regular", 2, "Regular use of laxatives or enemas"),  # [V], [D] split
        is_true("manual_evacuation", 3, "Obstipation with manual evacuation indicated"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "abdominal_pain",
    "Abdominal pain",
    meddra="10000081",
    fields={"pain_severity": PAIN, "adl": ADL},
    primary=("pain_severity",),
    criteria=(
        equals("pain_severity", "mild", 1, "Mild pain"),  # [V]
        equals("pain_severity", "moderate", 2, "Moderate pain"),  # [V]
        equals("pain_severity", "severe", 3, "Severe pain"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "mucositis_oral",
    "Mucositis oral",
    meddra="10028130",
    fields={
        "mouth_pain": choice("How sore is your mouth?", *SEVERITY),
        "ulcers": yes_no("Do you have mouth ulcers?"),
        "interferes_with_eating": yes_no("Does it stop you eating or drinking normally?"),
        "modified_diet": yes_no("Have you had to change what you eat (soft food, liquids)?"),
    },
    primary=("mouth_pain",),
    criteria=(
        equals(
            "mouth_pain", "mild", 1, "Asymptomatic or mild symptoms; intervention not indicated"
        ),  # [V]
        equals(
            "mouth_pain",
            "moderate",
            2,
            "Moderate pain or ulcer that does not interfere with oral intake",
        ),  # [V]
        is_true(
            "ulcers", 2, "Moderate pain or ulcer that does not interfere with oral intake"
        ),  # [V]
        is_true("modified_diet", 2, "Modified diet indicated"),  # [V]
        equals("mouth_pain", "severe", 3, "Severe pain"),  # [V]
        is_true("interferes_with_eating", 3, "Interfering with oral intake"),  # [V]
    ),
)

_define(
    "oral_pain",
    "Oral pain",
    meddra=None,
    fields={"pain_severity": PAIN, "adl": ADL},  # [D] fields as for headache (§1.3 "Oral pain")
    primary=("pain_severity",),
    criteria=(
        equals("pain_severity", "mild", 1, "Mild pain"),  # [V]
        equals("pain_severity", "moderate", 2, "Moderate pain"),  # [V]
        equals("pain_severity", "severe", 3, "Severe pain"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "dysgeusia",
    "Dysgeusia",
    meddra="10013911",
    fields={  # [D] fields
        "taste_altered": yes_no("Has your sense of taste changed?"),
        "diet_changed": yes_no("Have you changed what you eat because of it?"),
        "taste_noxious_or_lost": yes_no("Is the taste unpleasant, or have you lost your taste?"),
    },
    primary=("taste_altered",),
    criteria=(
        is_true("taste_altered", 1, "Altered taste but no change in diet"),  # [V]
        is_true("diet_changed", 2, "Altered taste with change in diet"),  # [V]
        is_true("taste_noxious_or_lost", 2, "Noxious or unpleasant taste; loss of taste"),  # [V]
    ),
)

_define(
    "weight_loss",
    "Weight loss",
    meddra="10047900",
    fields={
        "baseline_weight_kg": number(20, 300, "kg", "Your weight before treatment (kg)"),  # [D]
        "current_weight_kg": number(
            20, 300, "kg", "Your weight today (kg)", lower_is_worse=True
        ),  # [D] range
    },
    requires=(
        Requirement(present("baseline_weight_kg"), ("baseline_weight_kg",)),
        Requirement(present("current_weight_kg"), ("current_weight_kg",)),
    ),
    prepare=_weight_loss,
    derived=("weight_loss_pct",),
    criteria=(
        at_least("weight_loss_pct", 5, 1, "5 to <10% from baseline"),  # [V]
        at_least("weight_loss_pct", 10, 2, "10 to <20% from baseline"),  # [V]
        at_least("weight_loss_pct", 20, 3, ">=20% from baseline"),  # [V]
    ),
)

# --- General --------------------------------------------------------------------------------

_define(
    "fatigue",
    "Fatigue",
    meddra="10016256",
    fields={
        "fatigue": yes_no("Have you felt unusually tired?"),
        "relieved_by_rest": yes_no("Does rest make it better?", lower_is_worse=True),
        "adl": ADL,
    },
    primary=("fatigue",),
    denied_by="fatigue",  # §1.2 denied-symptom rule [D]
    needs=(Need("relieved_by_rest", when=is_true("fatigue")),),  # [D] G1 vs G2
    criteria=(
        is_true("fatigue", 1, "Fatigue relieved by rest"),  # [V] (G2 below when not relieved)
        all_of(
            is_true("fatigue"),
            is_false("relieved_by_rest"),
            grade=2,
            text="Fatigue not relieved by rest",
        ),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "fever",
    "Fever",
    meddra="10016558",
    fields={
        "temp_c": TEMP_C,
        "temp_f": TEMP_F,
        "hours_above_40": number(
            0, 168, "h", "For how many hours has it been above 40.0 °C (104.0 °F)?"
        ),  # [D] range
        # Asked for the §5.3 fever alert (>=38.0 °C sustained >1 h); no effect on the fever grade.
        "hours_at_or_above_38": number(
            0, 168, "h", "For how many hours has it been 38.0 °C (100.4 °F) or more?"
        ),  # [D] range
        "rigors": yes_no("Have you had shaking chills (rigors)?"),  # §5.7 alerts only
    },
    requires=(TEMPERATURE,),
    prepare=_celsius,
    # [D] §1.3: a reading above 40.0 °C without `hours_above_40` is G3 (the reading meets
    # "for <=24 h" until a longer duration is reported); G4 needs hours_above_40 > 24.
    criteria=(
        at_least("temp_c", 38.0, 1, "38.0-39.0 degrees C (100.4-102.2 degrees F)"),  # [V]
        above("temp_c", 39.0, 2, ">39.0-40.0 degrees C (102.3-104.0 degrees F)"),  # [V]
        above("temp_c", 40.0, 3, ">40.0 degrees C (>104.0 degrees F) for <=24 hrs"),  # [V]
        all_of(
            above("temp_c", 40.0),
            above("hours_above_40", 24),
            grade=4,
            text=">40.0 degrees C (>104.0 degrees F) for >24 hrs",
        ),  # [V] numeric G4 allowed from self-report (§1.1)
    ),
)

_define(
    "chills",
    "Chills",
    meddra=None,
    fields={"chills": choice("How bad are the chills or shivering?", *SEVERITY)},
    primary=("chills",),
    criteria=(
        # [V]
        equals("chills", "mild", 1, "Mild sensation of cold; shivering; chattering of teeth"),
        # [V]
        equals("chills", "moderate", 2, "Moderate tremor of the entire body; narcotics indicated"),
        equals("chills", "severe", 3, "Severe or prolonged, not responsive to narcotics"),  # [V]
    ),  # [V] wording; [D] mild/moderate/severe map to G1/G2/G3
)

# --- Respiratory ----------------------------------------------------------------------------

_define(
    "dyspnea",
    "Dyspnea",
    meddra="10013963",
    fields={
        "sob_exertion": choice(
            "What is the least effort that makes you short of breath?",
            "none",
            "moderate",
            "minimal",
            "rest",
        ),
        "adl": ADL,
    },
    primary=("sob_exertion",),
    criteria=(
        equals("sob_exertion", "moderate", 1, "Shortness of breath with moderate exertion"),  # [V]
        equals("sob_exertion", "minimal", 2, "Shortness of breath with minimal exertion"),  # [V]
        equals("sob_exertion", "rest", 3, "Shortness of breath at rest"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "cough",
    "Cough",
    meddra="10011224",
    fields={
        "cough_severity": choice("How bad is your cough?", *SEVERITY),
        "prescription_medication": yes_no("Have you been prescribed a medicine for the cough?"),
        "adl": ADL,
    },
    primary=("cough_severity",),
    criteria=(
        equals("cough_severity", "mild", 1, "Mild symptoms"),  # [V]
        equals("cough_severity", "moderate", 2, "Moderate symptoms"),  # [V]
        is_true("prescription_medication", 2, "Medical intervention indicated"),  # [V]
        equals("cough_severity", "severe", 3, "Severe symptoms"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "pneumonitis",
    "Pneumonitis",
    meddra="10035742",
    self_reportable=False,  # needs imaging (§1.3)
    fields={
        "imaging_confirmed": yes_no("Pneumonitis confirmed on imaging"),
        "symptomatic": yes_no("Symptomatic"),
        "oxygen_needed": yes_no("Oxygen indicated"),
        "urgent_airway_intervention": yes_no("Urgent airway intervention (intubation)"),
        "adl": ADL,
    },
    # [D] G061: never graded from symptoms alone; the ILD-suspicion alert (§5.2) fires instead.
    requires=(Requirement(is_true("imaging_confirmed"), ("imaging_confirmed",)),),
    needs=(Need("symptomatic", when=is_true("imaging_confirmed")),),  # [D] G1 vs G2 (G067)
    criteria=(
        # [V]
        is_true("imaging_confirmed", 1, "Asymptomatic; clinical or diagnostic observations only"),
        is_true("symptomatic", 2, "Symptomatic; medical intervention indicated"),  # [V]
        is_true("oxygen_needed", 3, "Oxygen indicated"),  # [V]
        *ADL_CRITERIA,
        is_true(
            "urgent_airway_intervention",
            4,
            "Life-threatening respiratory compromise; urgent intervention indicated "
            "(e.g., tracheotomy or intubation)",
        ),  # [V] clinician-entered fact (§1.1)
    ),
)

_define(
    "hypoxia",
    "Hypoxia",
    meddra="10021143",
    fields={
        "spo2_rest": whole(
            50, 100, "%", "Oxygen level at rest (pulse oximeter)", lower_is_worse=True
        ),  # [D] range
        "spo2_exertion": whole(
            50, 100, "%", "Oxygen level after walking (pulse oximeter)", lower_is_worse=True
        ),  # [D] range
        "intermittent_oxygen": yes_no("Do you use oxygen at home some of the time?"),
    },
    # Any one of the three is a primary answer; intermittent oxygen alone is G2 (§1.3 [D]).
    primary=("spo2_rest", "spo2_exertion", "intermittent_oxygen"),
    criteria=(  # no G1 in CTCAE [V]
        below(
            "spo2_exertion",
            88,
            2,
            "Decreased oxygen saturation with exercise (e.g., pulse oximeter <88%)",
        ),  # [V]
        is_true("intermittent_oxygen", 2, "Intermittent supplemental oxygen"),  # [V]
        below(
            "spo2_rest", 88, 3, "Decreased oxygen saturation at rest (e.g., pulse oximeter <88%)"
        ),  # [V]
    ),
)

_define(
    "epistaxis",
    "Epistaxis",
    meddra=None,
    fields={  # [D] fields
        "nosebleed_severity": choice("How bad are the nosebleeds?", "none", "mild", "moderate"),
        "medical_intervention": yes_no("Has a nurse or doctor packed or cauterised your nose?"),
        "transfusion_or_invasive_intervention": yes_no(
            "Did you need a blood transfusion or a procedure to stop the bleeding?"
        ),
    },
    primary=("nosebleed_severity",),
    criteria=(
        equals("nosebleed_severity", "mild", 1, "Mild symptoms; intervention not indicated"),  # [V]
        equals("nosebleed_severity", "moderate", 2, "Moderate symptoms"),  # [V]
        is_true(
            "medical_intervention",
            2,
            "Medical intervention indicated (e.g., nasal packing, cauterization; "
            "topical vasoconstrictors)",
        ),  # [V]
        is_true(
            "transfusion_or_invasive_intervention",
            3,
            "Transfusion; invasive intervention indicated",
        ),  # [V]
    ),
)

# --- Skin, hair and nails -------------------------------------------------------------------

_define(
    "rash_maculo_papular",
    "Rash maculo-papular",
    meddra="10037868",
    fields={"bsa_pct": BSA, "symptom_severity": SYMPTOM_SEVERITY, "adl": ADL},
    primary=("bsa_pct",),
    needs=(Need("symptom_severity", when=above("bsa_pct", 30)),),  # [D] §1.2 example
    criteria=(
        above("bsa_pct", 0, 1, "Macules/papules covering <10% BSA with or without symptoms"),  # [V]
        between(
            "bsa_pct", 10, 30, 2, "Macules/papules covering 10-30% BSA with or without symptoms"
        ),  # [V]
        above(
            "bsa_pct", 30, 2, "Macules/papules covering >30% BSA with or without mild symptoms"
        ),  # [V]
        all_of(
            above("bsa_pct", 30),
            one_of("symptom_severity", ("moderate", "severe")),
            grade=3,
            text="Macules/papules covering >30% BSA with moderate or severe symptoms",
        ),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "rash_acneiform",
    "Rash acneiform",
    meddra="10037847",
    fields={
        "bsa_pct": BSA,
        "symptom_severity": SYMPTOM_SEVERITY,
        "psychosocial_impact": yes_no("Does the rash affect your mood or social life?"),
        "adl": ADL,
        "oral_antibiotics_for_skin_infection": yes_no(
            "Have you been given antibiotic tablets for an infected rash?"
        ),
        "iv_antibiotics_for_skin_infection": yes_no(
            "Have you been given antibiotics through a drip for an infected rash?"
        ),
    },
    primary=("bsa_pct",),
    needs=(Need("symptom_severity", when=above("bsa_pct", 30)),),  # [D] §1.2 example
    criteria=(
        above("bsa_pct", 0, 1, "Papules and/or pustules covering <10% BSA"),  # [V]
        between("bsa_pct", 10, 30, 2, "Papules and/or pustules covering 10-30% BSA"),  # [V]
        above(
            "bsa_pct",
            30,
            2,
            "Papules and/or pustules covering >30% BSA with or without mild symptoms",
        ),  # [V]
        all_of(
            above("bsa_pct", 30),
            one_of("symptom_severity", ("moderate", "severe")),
            grade=3,
            text="Papules and/or pustules covering >30% BSA with moderate or severe symptoms",
        ),  # [V]
        is_true("psychosocial_impact", 2, "Associated with psychosocial impact"),  # [V]
        *ADL_CRITERIA,
        is_true(
            "oral_antibiotics_for_skin_infection",
            3,
            "Associated with local superinfection with oral antibiotics indicated",
        ),  # [V]
        is_true(
            "iv_antibiotics_for_skin_infection",
            4,
            "Any % BSA associated with extensive superinfection with IV antibiotics indicated",
        ),  # [V] clinician-entered fact (§1.1, case G106)
    ),
)

_define(
    "dry_skin",
    "Dry skin",
    meddra="10013786",
    fields={
        "bsa_pct": BSA,
        "pruritus": yes_no("Is the dry skin itchy?"),  # recorded; no effect on the grade [D]
        "adl": ADL,
    },
    primary=("bsa_pct",),
    criteria=(  # [D] BSA is primary: the "and erythema/pruritus" parts of CTCAE are not required
        above("bsa_pct", 0, 1, "Dry skin covering <10% BSA"),  # [V] BSA numbers
        at_least("bsa_pct", 10, 2, "Dry skin covering 10-30% BSA"),  # [V]
        above("bsa_pct", 30, 3, "Dry skin covering >30% BSA"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "pruritus",
    "Pruritus",
    meddra="10037087",
    fields={
        "itch_extent": choice("Where do you itch?", "none", "localized", "widespread"),
        "itch_pattern": choice(
            "Does the itch come and go, or is it constant?", "intermittent", "constant"
        ),
        "scratch_skin_changes": yes_no("Has scratching broken, thickened or crusted the skin?"),
        "sleep_limited": yes_no("Does the itch keep you from sleeping?"),
        "adl": ADL,
    },
    primary=("itch_extent",),
    # [D] "widespread and intermittent" (G2) vs "widespread and constant" (G3).
    needs=(Need("itch_pattern", when=equals("itch_extent", "widespread")),),
    criteria=(
        equals("itch_extent", "localized", 1, "Mild or localized"),  # [V]
        all_of(
            equals("itch_extent", "widespread"),
            equals("itch_pattern", "intermittent"),
            grade=2,
            text="Widespread and intermittent",
        ),  # [V]
        is_true("scratch_skin_changes", 2, "Skin changes from scratching"),  # [V]
        all_of(
            equals("itch_extent", "widespread"),
            equals("itch_pattern", "constant"),
            grade=3,
            text="Widespread and constant",
        ),  # [V]
        is_true("sleep_limited", 3, "Limiting sleep"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "paronychia",
    "Paronychia",
    meddra="10034016",
    fields={
        "nail_fold_redness_swelling": yes_no("Is the skin around a nail red or swollen?"),
        "pain": yes_no("Is it painful?"),
        "discharge_or_nail_separation": yes_no("Is there pus, or is the nail lifting off?"),
        "oral_antibiotic": yes_no("Have you been given antibiotic or antifungal tablets for it?"),
        "iv_antibiotics": yes_no("Have you been given antibiotics through a drip for it?"),
        "adl": ADL,
    },
    primary=("nail_fold_redness_swelling",),
    criteria=(
        is_true(
            "nail_fold_redness_swelling",
            1,
            "Nail fold edema or erythema; disruption of the cuticle",
        ),  # [V]
        all_of(
            is_true("nail_fold_redness_swelling"),
            is_true("pain"),
            grade=2,
            text="Nail fold edema or erythema with pain",
        ),  # [V]
        is_true(
            "discharge_or_nail_separation", 2, "Associated with discharge or nail plate separation"
        ),  # [V]
        is_true(
            "oral_antibiotic",
            2,
            "Oral intervention indicated (e.g., antibiotic, antifungal, antiviral)",
        ),  # [V]
        is_true("iv_antibiotics", 3, "IV antibiotics indicated"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "alopecia",
    "Alopecia",
    meddra="10001760",
    fields={
        "hair_loss_pct": number(0, 100, "%", "About how much of your hair have you lost?"),
        "needs_wig": yes_no("Do you need a wig or hairpiece to cover the hair loss?"),
    },
    primary=("hair_loss_pct", "needs_wig"),  # [D] either answer grades (max G2)
    criteria=(
        above("hair_loss_pct", 0, 1, "Hair loss of <50% of normal for that individual"),  # [V]
        at_least("hair_loss_pct", 50, 2, "Hair loss of >=50% of normal for that individual"),  # [V]
        is_true(
            "needs_wig",
            2,
            "A wig or hair piece is necessary if the patient desires to completely camouflage "
            "the hair loss",
        ),  # [V]
    ),
)

_define(
    "palmar_plantar_erythrodysesthesia",
    "Palmar-plantar erythrodysesthesia syndrome",
    meddra="10054524",
    fields={
        "skin_changes": choice(
            "How much has the skin of your hands or feet changed (redness, swelling, peeling, "
            "blisters, cracks)?",
            "none",
            "minimal",
            "moderate",
            "severe",
        ),
        "pain": yes_no("Is it painful?"),
        "adl": ADL,
    },
    primary=("skin_changes",),
    criteria=(  # [D] G2 and G3 both need pain, as in CTCAE; skin changes alone are G1
        one_of(
            "skin_changes",
            ("minimal", "moderate", "severe"),
            1,
            "Minimal skin changes or dermatitis without pain",
        ),  # [V]
        all_of(
            one_of("skin_changes", ("minimal", "moderate", "severe")),
            is_true("pain"),
            grade=2,
            text="Skin changes with pain",
        ),  # [V]
        all_of(
            equals("skin_changes", "severe"),
            is_true("pain"),
            grade=3,
            text="Severe skin changes with pain",
        ),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "nail_changes",
    "Nail changes",
    meddra=None,
    fields={"nail_changes": yes_no("Have your nails changed (ridges, loss)?")},  # [D] field
    primary=("nail_changes",),
    criteria=(is_true("nail_changes", 1, "Present"),),  # [V] G1 only
)

_define(
    "nail_discoloration",
    "Nail discoloration",
    meddra="10028691",
    fields={"nail_discoloration": yes_no("Have your nails changed colour?")},  # [D] field
    primary=("nail_discoloration",),
    criteria=(
        is_true("nail_discoloration", 1, "Asymptomatic; intervention not indicated"),  # [V]
    ),  # [V] G1 only
)

# --- Blood and infection (clinician-entered) ------------------------------------------------

ANC = whole(0, 100_000, "/mm³", "ANC (per mm³)", lower_is_worse=True)  # [D] range

_define(
    "febrile_neutropenia",
    "Febrile neutropenia",
    meddra="10016288",
    self_reportable=False,
    fields={
        "anc_per_mm3": ANC,
        "temp_c": TEMP_C,
        "temp_f": TEMP_F,
        "hours_at_or_above_38": number(0, 168, "h", "Hours at or above 38.0 °C"),  # [D] range
    },
    requires=(Requirement(present("anc_per_mm3"), ("anc_per_mm3",)), TEMPERATURE),
    prepare=_celsius,
    criteria=(  # no G1/G2 in CTCAE [V]
        all_of(
            below("anc_per_mm3", 1000),
            above("temp_c", 38.3),
            grade=3,
            text="ANC <1000/mm3 with a single temperature of >38.3 degrees C (101 degrees F)",
        ),  # [V]
        all_of(
            below("anc_per_mm3", 1000),
            at_least("temp_c", 38.0),
            above("hours_at_or_above_38", 1),
            grade=3,
            text="ANC <1000/mm3 with a sustained temperature of >=38 degrees C "
            "(100.4 degrees F) for more than one hour",
        ),  # [V]
    ),
)

_define(
    "neutrophil_count_decreased",
    "Neutrophil count decreased",
    meddra="10029366",
    self_reportable=False,
    fields={
        "anc_per_mm3": ANC,
        "lln_per_mm3": whole(1000, 4000, "/mm³", "Lab lower limit of normal (per mm³)"),  # [D]
    },
    primary=("anc_per_mm3",),
    needs=(Need("lln_per_mm3", when=at_least("anc_per_mm3", 1500)),),  # [D] G0 vs G1 (G178)
    criteria=(
        below_field("anc_per_mm3", "lln_per_mm3", 1, "<LLN - 1500/mm3"),  # [V]
        below("anc_per_mm3", 1500, 2, "<1500 - 1000/mm3"),  # [V]
        below("anc_per_mm3", 1000, 3, "<1000 - 500/mm3"),  # [V]
        below("anc_per_mm3", 500, 4, "<500/mm3"),  # [V] lab value (§1.1)
    ),
)

_define(
    "platelet_count_decreased",
    "Platelet count decreased",
    meddra="10035528",
    self_reportable=False,
    fields={  # [D] field names and ranges
        "platelets_per_mm3": whole(
            0, 2_000_000, "/mm³", "Platelets (per mm³)", lower_is_worse=True
        ),
        "lln_per_mm3": whole(100_000, 200_000, "/mm³", "Lab lower limit of normal (per mm³)"),
    },
    primary=("platelets_per_mm3",),
    needs=(Need("lln_per_mm3", when=at_least("platelets_per_mm3", 75_000)),),  # [D] G0 vs G1
    criteria=(
        below_field("platelets_per_mm3", "lln_per_mm3", 1, "<LLN - 75,000/mm3"),  # [V]
        below("platelets_per_mm3", 75_000, 2, "<75,000 - 50,000/mm3"),  # [V]
        below("platelets_per_mm3", 50_000, 3, "<50,000 - 25,000/mm3"),  # [V]
        below("platelets_per_mm3", 25_000, 4, "<25,000/mm3"),  # [V] lab value (§1.1)
    ),
)

_define(
    "anemia",
    "Anemia",
    meddra="10002272",
    self_reportable=False,
    fields={  # [D] field names and ranges
        "hb_g_dl": number(1, 25, "g/dL", "Hemoglobin (g/dL)", lower_is_worse=True),
        "lln_g_dl": number(10, 16, "g/dL", "Lab lower limit of normal (g/dL)"),
    },
    primary=("hb_g_dl",),
    needs=(Need("lln_g_dl", when=at_least("hb_g_dl", 10.0)),),  # [D] G0 vs G1
    criteria=(  # G4 is "life-threatening", never numeric: not assigned [V]
        below_field("hb_g_dl", "lln_g_dl", 1, "Hemoglobin <LLN - 10.0 g/dL"),  # [V]
        below("hb_g_dl", 10.0, 2, "Hemoglobin <10.0 - 8.0 g/dL"),  # [V]
        below("hb_g_dl", 8.0, 3, "Hemoglobin <8.0 g/dL"),  # [V]
    ),
)

# --- Liver, kidney and electrolytes (clinician-entered) -------------------------------------


def _transaminase(name: str, label: str, meddra: str, short: str) -> None:
    uln, baseline = f"{short}_x_uln", f"{short}_x_baseline"
    _define(
        name,
        label,
        meddra=meddra,
        self_reportable=False,
        fields={  # [D] x_baseline field for the "baseline abnormal" column
            uln: number(0, 100, "x ULN", f"{short.upper()} as a multiple of ULN"),
            baseline: number(
                0, 100, "x baseline", f"{short.upper()} as a multiple of an abnormal baseline"
            ),
        },
        primary=(uln, baseline),
        criteria=(
            above(uln, 1.0, 1, ">ULN - 3.0 x ULN if baseline was normal"),  # [V]
            at_least(baseline, 1.5, 1, "1.5 - 3.0 x baseline if baseline was abnormal"),  # [V]
            above(uln, 3.0, 2, ">3.0 - 5.0 x ULN if baseline was normal"),  # [V]
            above(baseline, 3.0, 2, ">3.0 - 5.0 x baseline if baseline was abnormal"),  # [V]
            above(uln, 5.0, 3, ">5.0 - 20.0 x ULN if baseline was normal"),  # [V]
            above(baseline, 5.0, 3, ">5.0 - 20.0 x baseline if baseline was abnormal"),  # [V]
            above(uln, 20.0, 4, ">20.0 x ULN if baseline was normal"),  # [V]
            above(baseline, 20.0, 4, ">20.0 x baseline if baseline was abnormal"),  # [V]
        ),
    )


_transaminase("alt_increased", "Alanine aminotransferase increased", "10001551", "alt")
_transaminase("ast_increased", "Aspartate aminotransferase increased", "10003481", "ast")

_define(
    "blood_bilirubin_increased",
    "Blood bilirubin increased",
    meddra="10005364",
    self_reportable=False,
    fields={
        "bilirubin_x_uln": number(0, 50, "x ULN", "Total bilirubin as a multiple of ULN")
    },  # [D] field
    primary=("bilirubin_x_uln",),
    criteria=(
        above("bilirubin_x_uln", 1.0, 1, ">ULN - 1.5 x ULN if baseline was normal"),  # [V]
        above("bilirubin_x_uln", 1.5, 2, ">1.5 - 3.0 x ULN if baseline was normal"),  # [V]
        above("bilirubin_x_uln", 3.0, 3, ">3.0 - 10.0 x ULN if baseline was normal"),  # [V]
        above("bilirubin_x_uln", 10.0, 4, ">10.0 x ULN if baseline was normal"),  # [V]
    ),
)

_define(
    "creatinine_increased",
    "Creatinine increased",
    meddra=None,
    self_reportable=False,
    fields={  # [D] fields
        "creatinine_x_uln": number(0, 50, "x ULN", "Creatinine as a multiple of ULN"),
        "creatinine_x_baseline": number(
            0, 50, "x baseline", "Creatinine as a multiple of baseline"
        ),
    },
    primary=("creatinine_x_uln", "creatinine_x_baseline"),
    criteria=(
        above("creatinine_x_uln", 1.0, 1, ">ULN - 1.5 x ULN"),  # [V]
        above("creatinine_x_uln", 1.5, 2, ">1.5 - 3.0 x ULN"),  # [V]
        above("creatinine_x_baseline", 1.5, 2, ">1.5 - 3.0 x baseline"),  # [V]
        above("creatinine_x_uln", 3.0, 3, ">3.0 - 6.0 x ULN"),  # [V]
        above("creatinine_x_baseline", 3.0, 3, ">3.0 x baseline"),  # [V]
        above("creatinine_x_uln", 6.0, 4, ">6.0 x ULN"),  # [V] lab value (§1.1)
    ),
)

_define(
    "hypokalemia",
    "Hypokalemia",
    meddra=None,
    self_reportable=False,
    fields={  # [D] fields and ranges
        "potassium_mmol_l": number(1, 10, "mmol/L", "Potassium (mmol/L)", lower_is_worse=True),
        "lln_mmol_l": number(3, 4, "mmol/L", "Lab lower limit of normal (mmol/L)"),
        "symptomatic": yes_no("Symptomatic, intervention indicated"),
    },
    primary=("potassium_mmol_l",),
    needs=(Need("lln_mmol_l", when=at_least("potassium_mmol_l", 3.0)),),  # [D] G0 vs G1/G2
    criteria=(
        below_field("potassium_mmol_l", "lln_mmol_l", 1, "<LLN - 3.0 mmol/L"),  # [V]
        all_of(
            below_field("potassium_mmol_l", "lln_mmol_l"),
            is_true("symptomatic"),
            grade=2,
            text="Symptomatic with <LLN - 3.0 mmol/L; intervention indicated",
        ),  # [V]
        below("potassium_mmol_l", 3.0, 3, "<3.0 - 2.5 mmol/L"),  # [V]
        below("potassium_mmol_l", 2.5, 4, "<2.5 mmol/L"),  # [V] lab value (§1.1)
    ),
)

# --- Heart (clinician-entered) --------------------------------------------------------------

_define(
    "ejection_fraction_decreased",
    "Ejection fraction decreased",
    meddra="10050528",
    self_reportable=False,
    fields={
        "lvef_pct": number(0, 100, "%", "Resting LVEF (%)", lower_is_worse=True),
        "drop_from_baseline_pts": number(
            -100, 100, "points", "Absolute drop from baseline LVEF (points)"
        ),  # [D] range; a rise is a negative drop
    },
    primary=("lvef_pct", "drop_from_baseline_pts"),
    criteria=(  # no G1 in CTCAE [V]
        at_most("lvef_pct", 50, 2, "Resting ejection fraction (EF) 50-40%"),  # [V]
        at_least("drop_from_baseline_pts", 10, 2, "10-19% drop from baseline"),  # [V]
        below("lvef_pct", 40, 3, "Resting ejection fraction (EF) 39-20%"),  # [V]
        at_least("drop_from_baseline_pts", 20, 3, ">=20% drop from baseline"),  # [V]
        below("lvef_pct", 20, 4, "Resting ejection fraction (EF) <20%"),  # [V] numeric G4
    ),
)

_define(
    "heart_failure",
    "Heart failure",
    meddra="10019279",
    self_reportable=False,
    fields={  # [D] fields
        "symptoms_exertion": choice(
            "Least exertion that brings on symptoms", "none", "moderate", "minimal", "rest"
        ),
        "lab_or_imaging_abnormality": yes_no("Laboratory (e.g. BNP) or imaging abnormality"),
        "hospitalized": yes_no("Hospitalized for heart failure"),
        "new_onset": yes_no("New onset of symptoms"),
        "urgent_intervention": yes_no("Urgent intervention (continuous IV therapy, support)"),
    },
    primary=("symptoms_exertion", "lab_or_imaging_abnormality"),
    criteria=(
        is_true(
            "lab_or_imaging_abnormality",
            1,
            "Asymptomatic with laboratory (e.g., BNP) or cardiac imaging abnormalities",
        ),  # [V]
        # [V]
        equals("symptoms_exertion", "moderate", 2, "Symptoms with moderate activity or exertion"),
        # [V]
        equals("symptoms_exertion", "minimal", 3, "Symptoms with minimal activity or exertion"),
        equals("symptoms_exertion", "rest", 3, "Symptoms at rest"),  # [V]
        is_true("hospitalized", 3, "Hospitalization"),  # [V]
        all_of(
            one_of("symptoms_exertion", ("moderate", "minimal", "rest")),
            is_true("new_onset"),
            grade=3,
            text="New onset of symptoms",
        ),  # [V]
        is_true(
            "urgent_intervention",
            4,
            "Life-threatening consequences; urgent intervention indicated",
        ),  # [V] clinician-entered fact (§1.1)
    ),
)

_define(
    "electrocardiogram_qt_corrected_interval_prolonged",
    "Electrocardiogram QT corrected interval prolonged",
    meddra=None,
    self_reportable=False,
    fields={  # [D] fields and ranges
        "qtc_ms": number(200, 800, "ms", "Average QTc (ms)"),
        "qtc_increase_ms": number(-300, 300, "ms", "Change in QTc from baseline (ms)"),
        "serious_arrhythmia": yes_no("Torsade de pointes, polymorphic VT or serious arrhythmia"),
    },
    primary=("qtc_ms",),
    criteria=(
        at_least("qtc_ms", 450, 1, "Average QTc 450-480 ms"),  # [V]
        above("qtc_ms", 480, 2, "Average QTc 481-500 ms"),  # [V] (>480 covers 480.5)
        above("qtc_ms", 500, 3, "Average QTc >=501 ms"),  # [V]
        above("qtc_increase_ms", 60, 3, ">60 ms change from baseline"),  # [V]
        is_true(
            "serious_arrhythmia",
            4,
            "Torsade de pointes; polymorphic ventricular tachycardia; signs/symptoms of "
            "serious arrhythmia",
        ),  # [V] clinician-entered fact (§1.1)
    ),
)

# --- Nervous system (§5.5, patients with brain metastases) ----------------------------------

_define(
    "headache",
    "Headache",
    meddra="10019211",
    fields={"pain_severity": PAIN, "adl": ADL},
    primary=("pain_severity",),
    criteria=(
        equals("pain_severity", "mild", 1, "Mild pain"),  # [V]
        equals("pain_severity", "moderate", 2, "Moderate pain"),  # [V]
        equals("pain_severity", "severe", 3, "Severe pain"),  # [V]
        *ADL_CRITERIA,
    ),
)

SEIZED = one_of("seizure_type", ("partial_no_loss_of_consciousness", "generalized"))

_define(
    "seizure",
    "Seizure",
    meddra="10039906",
    fields={
        "seizure_type": choice(
            "What kind of seizure was it?",
            "none",
            "partial_no_loss_of_consciousness",
            "generalized",
        ),
        "new_onset": yes_no("Was this the first seizure ever?"),
        "multiple_despite_medication": yes_no("Several seizures despite seizure medicine?"),
    },
    primary=("seizure_type",),
    criteria=(  # G4 (prolonged repetitive seizures) is life-threatening: never from self-report
        equals(
            "seizure_type",
            "partial_no_loss_of_consciousness",
            1,
            "Brief partial seizure; no loss of consciousness",
        ),  # [V]
        equals("seizure_type", "generalized", 2, "Brief generalized seizure"),  # [V]
        # [D] "new onset" and "multiple" describe a seizure that was reported.
        all_of(
            SEIZED,
            is_true("new_onset"),
            grade=3,
            text="New onset seizures (partial or generalized)",
        ),  # [V]
        all_of(
            SEIZED,
            is_true("multiple_despite_medication"),
            grade=3,
            text="Multiple seizures despite medical intervention",
        ),  # [V]
    ),
)

_define(
    "confusion",
    "Confusion",
    meddra="10010300",
    fields={"disorientation": choice("How confused or disoriented?", *SEVERITY), "adl": ADL},
    primary=("disorientation",),
    criteria=(
        equals("disorientation", "mild", 1, "Mild disorientation"),  # [V]
        equals("disorientation", "moderate", 2, "Moderate disorientation"),  # [V]
        equals("disorientation", "severe", 3, "Severe disorientation"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "dizziness",
    "Dizziness",
    meddra="10013573",
    fields={"unsteadiness": choice("How unsteady or dizzy?", *SEVERITY), "adl": ADL},
    primary=("unsteadiness",),
    criteria=(
        equals("unsteadiness", "mild", 1, "Mild unsteadiness or sensation of movement"),  # [V]
        # [V]
        equals("unsteadiness", "moderate", 2, "Moderate unsteadiness or sensation of movement"),
        equals("unsteadiness", "severe", 3, "Severe unsteadiness or sensation of movement"),  # [V]
        *ADL_CRITERIA,
    ),
)

_define(
    "dysphasia",
    "Dysphasia",
    meddra=None,
    fields={"speech_difficulty": choice("How hard is it to speak or understand?", *SEVERITY)},
    primary=("speech_difficulty",),
    criteria=(
        equals(
            "speech_difficulty",
            "mild",
            1,
            "Awareness of receptive or expressive characteristics; not impairing ability to "
            "communicate",
        ),  # [V]
        equals(
            "speech_difficulty",
            "moderate",
            2,
            "Moderate receptive or expressive characteristics; impairing ability to communicate "
            "spontaneously",
        ),  # [V]
        equals(
            "speech_difficulty",
            "severe",
            3,
            "Severe receptive or expressive characteristics; impairing ability to read, write or "
            "communicate intelligibly",
        ),  # [V]
    ),
)

for _side in ("left", "right"):
    _define(
        f"muscle_weakness_{_side}_sided",
        f"Muscle weakness {_side}-sided",
        meddra=None,
        fields={
            "one_sided_weakness": yes_no(f"Is your {_side} arm or leg weaker than usual?"),
            "adl": ADL,
        },
        primary=("one_sided_weakness",),
        criteria=(
            is_true("one_sided_weakness", 1, "Symptomatic; perceived by patient"),  # [V]
            *ADL_CRITERIA,  # G2 "evident on examination" cannot be self-reported [D]
        ),
    )

# --- Alert-only terms (§5.7): stored and shown to the nurse, never graded -------------------

_define(
    "liver_symptoms",
    "Liver symptoms",
    meddra=None,
    alert_only=True,
    fields={
        "jaundice": yes_no("Have your skin or the whites of your eyes turned yellow?"),
        "dark_urine": yes_no("Is your urine darker than usual (like tea or cola)?"),
        "right_upper_abdominal_pain": yes_no("Do you have pain under your ribs on the right?"),
    },
)

_define(
    "heart_symptoms",
    "Heart symptoms",
    meddra=None,
    alert_only=True,
    fields={
        "leg_swelling": yes_no("Are your legs or ankles more swollen than usual?"),
        "breathless_lying_flat": yes_no("Do you get breathless when lying flat?"),
        "palpitations": yes_no("Have you felt your heart pounding or racing?"),
    },
)

_define(
    "vision_change",
    "Vision change",
    meddra=None,
    alert_only=True,
    fields={"vision_change": yes_no("Have you had new blurred or double vision?")},
)

TERMS: Mapping[str, TermSpec] = MappingProxyType(_TERMS)
RULES: Mapping[str, Rules] = MappingProxyType(_RULES)
