"""The one seam between the diary and the alert pipeline.

``diary`` never imports ``alerts`` (import-linter enforces it). Instead, ``submit_entry`` sends
``entry_recorded`` inside the transaction that stores the entry, after its grades are saved. A
receiver (``alerts`` connects one) evaluates the rules and writes its alerts in that same
transaction, so an accepted entry always has its alerts, and returns the highest level it told
the care team about (``"green"``, ``"amber"`` or ``"red"``), which becomes the entry's
``alert_level``. With no receiver connected the level is green.
"""

from django.dispatch import Signal

# Sent with: sender=DiaryEntry, entry=<DiaryEntry>, grades=<dict term -> GradeResult>.
entry_recorded = Signal()
