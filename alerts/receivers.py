"""The alert pipeline's end of the diary seam (diary.signals.entry_recorded)."""

from __future__ import annotations

from typing import Any

from alerts import services


def on_entry_recorded(sender: Any, *, entry: Any, grades: Any, **kwargs: Any) -> str:
    return services.raise_alerts(entry=entry, grades=grades)
