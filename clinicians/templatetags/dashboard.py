"""Small display filters of the staff dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from diary.models import Drug

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """'2 d 3 h', '1 h 05 min', '12 min': how late an alert is, at a glance."""
    if value is None:
        return ""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


@register.filter
def ago(value: datetime | None, now: datetime | None = None) -> str:
    """'12 min ago', '2 h 05 min ago', '1 d 3 h ago': how long since, at a glance."""
    if value is None:
        return ""
    since = (now or timezone.now()) - value
    if since < timedelta(minutes=1):
        return "just now"
    return f"{duration(since)} ago"


@register.filter
def drug_label(code: str | None) -> str:
    if not code:
        return "No current treatment"
    try:
        return str(Drug(code).label)
    except ValueError:
        return code


WORDS = {
    "adl": "ADL",
    "sob_exertion": "breathless with",
    "spo2_rest": "SpO2 at rest (%)",
    "spo2_exertion": "SpO2 after exertion (%)",
    "temp_c": "temperature (°C)",
    "temp_f": "temperature (°F)",
    "bsa_pct": "body surface (%)",
    "tpn": "TPN",
    "iv_fluids": "IV fluids",
}


@register.filter
def words(key: str) -> str:
    """A field name as words: ``stools_over_baseline`` -> ``stools over baseline``."""
    return WORDS.get(key) or key.replace("_", " ")


@register.filter
def answer(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str):
        return value.replace("_", " ")
    return str(value)
