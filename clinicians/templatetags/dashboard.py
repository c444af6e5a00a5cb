"""Small display filters of the staff dashboard."""

from __future__ import annotations

from datetime import timedelta

from django import template

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
def drug_label(code: str | None) -> str:
    if not code:
        return "No current treatment"
    try:
        return str(Drug(code).label)
    except ValueError:
        return code
