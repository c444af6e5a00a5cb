"""The line every screen of the patient app shows, whatever the computed level (reference §5.1:
"if you are very unwell, call the 24-hour line / emergency number now" [D]).

The advice after each report is not chosen here: it follows the alert evaluation and is stored
with the entry (``DiaryEntry.advice``, chosen by ``alerts.rules.advice`` through the typed seam
``diary.evaluation``; reference §5.8), so the answer, a replay and a read say the same.
"""

from __future__ import annotations

from diary.models import Clinic

URGENT_TEXT = (
    "If you feel very unwell, call the 24-hour line{phone} or the emergency number now, "
    "whatever this app says."
)


def urgent_line(clinic: Clinic) -> str:
    phone = f" ({clinic.phone_24h})" if clinic.phone_24h else ""
    return URGENT_TEXT.format(phone=phone)
