"""Small display filters of the staff dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from diary.catalogue import reported_value, staff_label
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


@register.filter
def words(key: str) -> str:
    """A field, term, PRO-CTCAE symptom or instrument in the catalogue's words for the care
    team (``diary.catalogue.staff_label``): never its code (issue 15, D79)."""
    return staff_label(key)


@register.filter
def plain(text: str) -> str:
    """Running text with any rule code, field or term name replaced by its words."""
    from clinicians.triage import in_words

    return in_words(text)


@register.filter
def reported(value: object, field: str) -> str:
    """An answer with its unit: ``91`` of ``spo2_rest`` -> ``91%``; a choice in words."""
    return reported_value(field, value)


@register.simple_tag
def tag_meanings() -> list[tuple[str, str]]:
    """The source tags and what each means (clinicians/_tags.html)."""
    from clinicians.guidance import TAG_MEANINGS

    return list(TAG_MEANINGS.items())
