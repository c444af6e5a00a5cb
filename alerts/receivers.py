"""The alert pipeline's end of the diary seam (diary.signals.entries_recorded)."""

from __future__ import annotations

from typing import Any

from alerts import services


def on_entries_recorded(sender: Any, *, patient: Any, entries: Any, **kwargs: Any) -> Any:
    return services.raise_alerts(patient=patient, entries=entries)
