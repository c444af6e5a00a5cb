"""Patient-facing self-care advice per term and grade, kept as data a clinic can override.

The level of a piece of advice follows the grade bands of the alert rule set (reference §5):
grade 1 is self-care (GREEN), grade 2 asks the care team to review within 24 h (AMBER), grade 3
or more is urgent (RED) [D, §5.1 levels]. Fever is RED from grade 1 (any temperature ≥38.0 °C,
§5.3 [V threshold]). Whatever the level, the app always shows the 24-hour line (§5.1 [D]).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from diary.models import AdviceOverride, AlertLevel, Clinic, DiaryEntry

URGENT_TEXT = (
    "If you feel very unwell, call the 24-hour line{phone} or the emergency number now, "
    "whatever this app says."
)

RED_TEXT = "This needs urgent attention: call your care team or the 24-hour line{phone} now."

DEFAULT_TEXT: dict[str, dict[int, str]] = {
    "diarrhea": {
        1: "Drink plenty of fluids, eat small bland meals, and take loperamide as your clinic's "
        "protocol says. Record your stools; we will ask again in 24 hours.",
        2: "Keep drinking fluids and take loperamide as your clinic's protocol says. "
        "Your care team will review this within 24 hours.",
    },
    "nausea": {
        1: "Eat small, frequent meals and take your anti-sickness medicine as prescribed.",
        2: "Take your anti-sickness medicine as prescribed and sip fluids. "
        "Your care team will review this within 24 hours.",
    },
    "vomiting": {
        1: "Sip fluids often and take your anti-sickness medicine as prescribed. Do not repeat "
        "a tablet you vomited.",
        2: "Sip fluids often. Your care team will review this within 24 hours.",
    },
    "dyspnea": {
        1: "Rest and pace yourself. Tell us straight away if your breathing gets worse, or if you "
        "have a cough or fever.",
        2: "Your care team will review your breathing within 24 hours. If it gets worse, call now.",
    },
    "cough": {
        1: "Tell us straight away if the cough gets worse or comes with fever or breathlessness.",
        2: "Your care team will review your cough within 24 hours.",
    },
    "fatigue": {
        1: "Balance rest with gentle activity, and keep to a regular sleep routine.",
        2: "Your care team will review your tiredness within 24 hours.",
    },
    "rash_acneiform": {
        1: "Use a gentle moisturiser and sunscreen, and avoid hot water and perfumed products.",
        2: "Keep using moisturiser and sunscreen. Your care team will review this within 24 hours.",
    },
    "paronychia": {
        1: "Keep nails short and clean, soak in warm water, and avoid tight shoes.",
        2: "Your care team will review your nails within 24 hours.",
    },
    "mucositis_oral": {
        1: "Rinse your mouth regularly with salt water and use a soft toothbrush.",
        2: "Keep rinsing and choose soft foods. Your care team will review this within 24 hours.",
    },
}
GENERIC_TEXT = {
    1: "Keep recording how you feel. Tell us if it gets worse.",
    2: "Your care team will review this within 24 hours.",
}

# Fever is RED from its grade 1 (temperature ≥38.0 °C) in every patient: §5.3 [V threshold].
RED_FROM_GRADE = {"fever": 1}


OVERRIDES_CACHE_SECONDS = 300


def _cache_key(clinic_id: int) -> str:
    return f"toxwatch:advice-overrides:{clinic_id}"


def clinic_overrides(clinic_id: int) -> dict[tuple[str, int], str]:
    """A clinic's advice wording, cached (invalidated when an override is saved or deleted)."""
    cached: dict[tuple[str, int], str] | None = cache.get(_cache_key(clinic_id))
    if cached is None:
        cached = {
            (o.term, o.grade): o.text for o in AdviceOverride.objects.filter(clinic_id=clinic_id)
        }
        cache.set(_cache_key(clinic_id), cached, OVERRIDES_CACHE_SECONDS)
    return cached


@receiver([post_save, post_delete], sender=AdviceOverride)
def _forget_overrides(sender: Any, instance: AdviceOverride, **kwargs: Any) -> None:
    cache.delete(_cache_key(instance.clinic_id))


def _phone(clinic: Clinic) -> str:
    return f" ({clinic.phone_24h})" if clinic.phone_24h else ""


def urgent_line(clinic: Clinic) -> str:
    return URGENT_TEXT.format(phone=_phone(clinic))


def level_for(term: str, grade: int) -> str:
    if grade >= RED_FROM_GRADE.get(term, 3):
        return AlertLevel.RED
    return AlertLevel.AMBER if grade == 2 else AlertLevel.GREEN


def advice_for(
    term: str, grade: int, clinic: Clinic, overrides: dict[tuple[str, int], str]
) -> dict[str, str] | None:
    if grade < 1:
        return None
    level = level_for(term, grade)
    band = 3 if level == AlertLevel.RED else grade
    text = overrides.get((term, band))
    if text is None:
        if level == AlertLevel.RED:
            text = RED_TEXT.format(phone=_phone(clinic))
        else:
            text = DEFAULT_TEXT.get(term, GENERIC_TEXT).get(band, GENERIC_TEXT[band])
    return {"term": term, "level": str(level), "text": text}


def for_entries(entries: Iterable[DiaryEntry], clinic: Clinic) -> dict[Any, list[dict[str, str]]]:
    """Advice for each entry from its current grades (grades must be prefetched)."""
    entries = list(entries)
    if not entries:
        return {}
    overrides = clinic_overrides(clinic.pk)
    out: dict[Any, list[dict[str, str]]] = {}
    for entry in entries:
        items = []
        for g in sorted(entry.grades.all(), key=lambda g: (-(g.grade or 0), g.term)):
            if g.superseded_at is None and g.grade is not None:
                item = advice_for(g.term, g.grade, clinic, overrides)
                if item:
                    items.append(item)
        out[entry.pk] = items
    return out
