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
