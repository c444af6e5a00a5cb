"""What the patient reads in the catalogue, beside the grading vocabulary: term titles, answer
labels, help, and the §5.8 messages, as translatable strings (Django's gettext).

The English question texts of the fields are the grading vocabulary's own labels
(diary/grading/ctcae.py); ``diary/catalogue_vocabulary.py`` lists them for ``makemessages``.
Spanish and Simplified Chinese are in ``locale/``. The advice wording needs clinical sign-off in
every language (reference §5.8 [D]); the translations are also awaiting clinical review, which the
catalogue says (``translation_status``). Licensed questionnaire texts (PRO-CTCAE, EORTC) are never
here: clinics load their licensed translations (``load_instrument_texts``).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# A short, plain title per self-reported term: the screen's heading.
TERM_TITLES: dict[str, Promise] = {
    "diarrhea": _("Diarrhoea (loose or watery stools)"),
    "nausea": _("Feeling sick (nausea)"),
    "vomiting": _("Being sick (vomiting)"),
    "anorexia": _("Appetite"),
    "dehydration": _("Drinking and fluids"),
    "constipation": _("Constipation"),
    "abdominal_pain": _("Tummy (abdominal) pain"),
    "mucositis_oral": _("Sore mouth"),
    "oral_pain": _("Mouth pain"),
    "dysgeusia": _("Taste changes"),
    "weight_loss": _("Weight"),
    "fatigue": _("Tiredness (fatigue)"),
    "fever": _("Temperature"),
    "chills": _("Chills or shivering"),
    "dyspnea": _("Breathlessness"),
    "cough": _("Cough"),
    "hypoxia": _("Oxygen level (pulse oximeter)"),
    "epistaxis": _("Nosebleeds"),
    "rash_maculo_papular": _("Red, raised rash"),
    "rash_acneiform": _("Acne-like rash (spots)"),
    "dry_skin": _("Dry skin"),
    "pruritus": _("Itching"),
    "paronychia": _("Sore skin around the nails"),
    "alopecia": _("Hair loss"),
    "palmar_plantar_erythrodysesthesia": _("Sore hands or feet"),
    "nail_changes": _("Nail changes"),
    "nail_discoloration": _("Nail colour"),
    "headache": _("Headache"),
    "seizure": _("Seizure (fit)"),
    "confusion": _("Confusion"),
    "dizziness": _("Dizziness or unsteadiness"),
    "dysphasia": _("Speaking or understanding"),
    "muscle_weakness_left_sided": _("Weakness on the left side"),
    "muscle_weakness_right_sided": _("Weakness on the right side"),
    "liver_symptoms": _("Liver check"),
    "heart_symptoms": _("Heart check"),
    "vision_change": _("Eyesight"),
}

# Answer labels by value; a few fields word the same value differently (FIELD_CHOICE_LABELS).
CHOICE_LABELS: dict[str, Promise] = {
    "none": _("None"),
    "mild": _("Mild"),
    "moderate": _("Moderate"),
    "severe": _("Severe"),
    "minimal": _("Minimal"),
    "normal": _("Normal"),
    "decreased": _("Less than usual"),
    "inadequate": _("Hardly anything"),
    "occasional": _("Now and then"),
    "persistent": _("All the time"),
    "regular": _("Regularly"),
    "localized": _("In one area"),
    "widespread": _("In many areas"),
    "intermittent": _("It comes and goes"),
    "constant": _("All the time"),
    "instrumental": _("Household tasks (cooking, shopping, money)"),
    "self_care": _("Looking after myself (washing, dressing, eating)"),
    "rest": _("At rest"),
    "partial_no_loss_of_consciousness": _("Part of the body, still aware"),
    "generalized": _("Whole body, or lost awareness"),
}
FIELD_CHOICE_LABELS: dict[tuple[str, str], Promise] = {
    ("sob_exertion", "none"): _("I am not short of breath"),
    ("sob_exertion", "moderate"): _("With moderate effort (stairs, walking fast)"),
    ("sob_exertion", "minimal"): _("With little effort (dressing, walking slowly)"),
    ("sob_exertion", "rest"): _("At rest, sitting still"),
    ("adl", "none"): _("It does not stop me"),
    ("seizure_type", "none"): _("No seizure"),
    ("laxatives", "none"): _("None"),
}

# Short help under a question, where the question alone is not enough.
FIELD_HELP: dict[tuple[str, str], Promise] = {
    ("diarrhea", "stools_over_baseline"): _(
        "Count today's stools and take away how many you usually have a day."
    ),
    ("fever", "temp_c"): _("Use your thermometer. Answer in °C or in °F, not both."),
    ("fever", "temp_f"): _("Use your thermometer. Answer in °C or in °F, not both."),
    ("hypoxia", "spo2_rest"): _("Sit still for 5 minutes, then read your pulse oximeter."),
    ("hypoxia", "spo2_exertion"): _("Read it straight after walking at your usual pace."),
    # xgettext:no-python-format
    ("rash_maculo_papular", "bsa_pct"): _("The palm of your hand is about 1% of your skin."),
    # xgettext:no-python-format
    ("rash_acneiform", "bsa_pct"): _("The palm of your hand is about 1% of your skin."),
    # xgettext:no-python-format
    ("dry_skin", "bsa_pct"): _("The palm of your hand is about 1% of your skin."),
}

# The entry's `medications` (../shared/api.md), asked after the symptoms.
MEDICATIONS_TITLE = _("Your medicines")
MEDICATION_LABELS: dict[str, Promise] = {
    "loperamide_mg": _("How many mg of loperamide (Imodium) have you taken in the last 24 hours?"),
    "tki_doses_taken": _(
        "How many doses of your cancer tablets have you taken since your last diary?"
    ),
    "tki_doses_missed": _(
        "How many doses of your cancer tablets have you missed since your last diary?"
    ),
    "tki_dose_vomited": _("Did you vomit soon after taking a dose?"),
    "missed_dose_reason": _("If you missed a dose, why?"),
}
MEDICATION_HELP: dict[str, Promise] = {
    "tki_dose_vomited": _("Do not take that dose again: take the next one at the usual time."),
}

# Reference §5.8 [D: wording needs clinical sign-off]. {phone}: the clinic's 24-hour line.
LEVEL_MESSAGES: dict[str, Promise] = {
    "red": _("Call now."),
    "amber": _("We will contact you within 24 hours. Call us sooner if it gets worse."),
    "green": _("Thank you. Keep following the self-care advice for your symptoms."),
}
EVERY_RED = _(
    "Call the 24-hour line now. Call the emergency number if you are struggling to breathe, "
    "have a seizure, or are very unwell."
)
ALWAYS = _(
    "If you feel very unwell, call the 24-hour line or the emergency number now, whatever this "
    "app says."
)
RED_BY_KIND: dict[str, Promise] = {
    "ild": _(
        "Breathing changes can be a serious lung side effect of your treatment. Call now. "
        "Call the emergency number if you are breathless at rest."
    ),
    "gi": _(
        "Call now. Do not take more loperamide until you have spoken to the team. Keep sipping "
        "fluids."
    ),
    "fever": _(
        "Call now, even if you feel well otherwise. Do not take paracetamol to hide the "
        "temperature before you have called."
    ),
    "cns": _(
        "If this is a seizure: stay with them, do not put anything in their mouth, lie them on "
        "their side when it stops, and call the emergency number if it lasts over 5 minutes or "
        "a second one follows. For any other new problem with the brain or nerves, call the "
        "team today."
    ),
    "hepatic": _("Yellow skin or eyes can be a serious liver side effect. Call now."),
}


# --- the staff dashboard ----------------------------------------------------------------------
# Short labels of every answer field, for the care team (the patient reads the question texts
# of the grading vocabulary instead). The staff pages never show a field name: they take these
# (``diary.catalogue.staff_label``); tests/test_vocabulary.py holds them to every field of the
# grading vocabulary, the medications and the baselines. English only: the dashboard is.
STAFF_LABELS: dict[str, str] = {
    # gastrointestinal
    "stools_over_baseline": "Stools over baseline",
    "ostomy_output_increase": "Stoma output increase",
    "adl": "Limits daily activities (ADL)",
    "hospitalized": "Admitted to hospital",
    "blood_in_stool": "Blood in stool",
    "nausea": "Nausea",
    "oral_intake": "Eating and drinking",
    "tube_feeding_or_tpn": "Tube or drip feeding",
    "vomiting_episodes_24h": "Vomiting episodes in 24 h",
    "iv_fluids": "IV fluids",
    "medical_intervention": "New medicine given for it",
    "appetite_loss": "Appetite loss",
    "eating_altered": "Eating differently or less",
    "oral_supplements": "Nutrition drinks advised",
    "dehydration_signs": "Dry mouth or told to drink more",
    "dizzy_on_standing": "Dizzy on standing",
    "unable_to_keep_fluids_hours": "Unable to keep fluids down",
    "constipation": "Constipation",
    "laxatives": "Laxatives or enemas",
    "manual_evacuation": "Manual evacuation",
    "pain_severity": "Pain",
    "mouth_pain": "Sore mouth",
    "ulcers": "Mouth ulcers",
    "interferes_with_eating": "Stops normal eating or drinking",
    "modified_diet": "Soft or liquid diet",
    "taste_altered": "Taste changed",
    "diet_changed": "Diet changed",
    "taste_noxious_or_lost": "Taste unpleasant or lost",
    "baseline_weight_kg": "Weight before treatment",
    "current_weight_kg": "Weight today",
    # general, fever
    "fatigue": "Unusually tired",
    "relieved_by_rest": "Relieved by rest",
    "temp_c": "Temperature",
    "temp_f": "Temperature",
    "hours_above_40": "Hours above 40.0 °C",
    "hours_at_or_above_38": "Hours at or above 38.0 °C",
    "rigors": "Shaking chills (rigors)",
    "chills": "Chills",
    # respiratory
    "sob_exertion": "Breathlessness",
    "cough_severity": "Cough",
    "prescription_medication": "Prescribed a cough medicine",
    "imaging_confirmed": "Confirmed on imaging",
    "symptomatic": "Symptomatic",
    "oxygen_needed": "Needs oxygen",
    "urgent_airway_intervention": "Urgent airway intervention",
    "spo2_rest": "SpO2 at rest",
    "spo2_exertion": "SpO2 after exertion",
    "intermittent_oxygen": "Uses oxygen at home",
    "nosebleed_severity": "Nosebleeds",
    "transfusion_or_invasive_intervention": "Transfusion or procedure for bleeding",
    # skin, hair, nails
    "bsa_pct": "Skin affected",
    "symptom_severity": "Itch, burning or tightness",
    "psychosocial_impact": "Affects mood or social life",
    "oral_antibiotics_for_skin_infection": "Antibiotic tablets for infected rash",
    "iv_antibiotics_for_skin_infection": "IV antibiotics for infected rash",
    "pruritus": "Itchy",
    "itch_extent": "Itch extent",
    "itch_pattern": "Itch pattern",
    "scratch_skin_changes": "Skin broken or thickened by scratching",
    "sleep_limited": "Itch keeps from sleeping",
    "nail_fold_redness_swelling": "Red or swollen nail fold",
    "pain": "Painful",
    "discharge_or_nail_separation": "Pus or nail lifting",
    "oral_antibiotic": "Antibiotic or antifungal tablets",
    "iv_antibiotics": "IV antibiotics",
    "hair_loss_pct": "Hair lost",
    "needs_wig": "Needs a wig",
    "skin_changes": "Skin changes of hands or feet",
    "nail_changes": "Nail changes",
    "nail_discoloration": "Nail colour change",
    # laboratory and investigations (clinician-recorded)
    "anc_per_mm3": "Neutrophils (ANC)",
    "lln_per_mm3": "Lower limit of normal",
    "platelets_per_mm3": "Platelets",
    "hb_g_dl": "Haemoglobin",
    "lln_g_dl": "Lower limit of normal",
    "alt_x_uln": "ALT",
    "alt_x_baseline": "ALT",
    "ast_x_uln": "AST",
    "ast_x_baseline": "AST",
    "bilirubin_x_uln": "Bilirubin",
    "creatinine_x_uln": "Creatinine",
    "creatinine_x_baseline": "Creatinine",
    "potassium_mmol_l": "Potassium",
    "lln_mmol_l": "Lower limit of normal",
    "lvef_pct": "LVEF",
    "drop_from_baseline_pts": "Fall from baseline",
    "symptoms_exertion": "Heart failure symptoms",
    "lab_or_imaging_abnormality": "Lab or imaging abnormality",
    "new_onset": "New onset",
    "urgent_intervention": "Urgent intervention",
    "qtc_ms": "QTc",
    "qtc_increase_ms": "QTc increase",
    "serious_arrhythmia": "Serious arrhythmia",
    # neurological, liver, heart checks, eyes
    "seizure_type": "Seizure",
    "multiple_despite_medication": "Several seizures despite medicine",
    "disorientation": "Confusion",
    "unsteadiness": "Unsteadiness or dizziness",
    "speech_difficulty": "Difficulty speaking or understanding",
    "one_sided_weakness": "Weakness on one side",
    "jaundice": "Yellow skin or eyes (jaundice)",
    "dark_urine": "Dark urine",
    "right_upper_abdominal_pain": "Pain under the right ribs",
    "leg_swelling": "Leg or ankle swelling",
    "breathless_lying_flat": "Breathless lying flat",
    "palpitations": "Palpitations",
    "vision_change": "New blurred or double vision",
    # the entry's medications (../shared/api.md)
    "loperamide_mg": "Loperamide in 24 h",
    "tki_doses_taken": "Tablet doses taken",
    "tki_doses_missed": "Tablet doses missed",
    "tki_dose_vomited": "Vomited soon after a dose",
    "missed_dose_reason": "Why a dose was missed",
}

# Answers as the care team reads them, where the value alone is not plain words.
STAFF_CHOICE_LABELS: dict[tuple[str, str], str] = {
    ("sob_exertion", "none"): "none",
    ("sob_exertion", "moderate"): "with moderate exertion",
    ("sob_exertion", "minimal"): "with minimal exertion",
    ("sob_exertion", "rest"): "at rest",
    ("symptoms_exertion", "moderate"): "with moderate exertion",
    ("symptoms_exertion", "minimal"): "with minimal exertion",
    ("symptoms_exertion", "rest"): "at rest",
    ("adl", "instrumental"): "household tasks (instrumental ADL)",
    ("adl", "self_care"): "self-care (self-care ADL)",
    ("oral_intake", "decreased"): "less than usual",
    ("oral_intake", "inadequate"): "hardly anything",
    ("seizure_type", "partial_no_loss_of_consciousness"): "partial, still aware",
    ("seizure_type", "generalized"): "generalised, or lost awareness",
}

# Units as the care team reads them after a staff label, where the vocabulary's unit would
# repeat the label ("Stools over baseline 4 stools/day").
STAFF_UNITS: dict[str, str] = {"stools/day": "a day", "episodes": ""}
