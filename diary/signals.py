"""The one seam between the diary and the alert pipeline.

``diary`` never imports ``alerts`` (import-linter enforces it). Instead, the diary sends
``entries_recorded`` inside the transaction that stores new entries, after their grades are
saved. A receiver (``alerts`` connects one) evaluates the rules and writes its alerts in that
same transaction, so an accepted entry always has its alerts, and returns a mapping of entry id
to the highest level it told the care team about because of that entry (``"amber"`` or
``"red"``; absent means green), which becomes each entry's ``alert_level``. With no receiver
connected every level is green.
"""

from django.dispatch import Signal

# Sent with: sender=DiaryEntry, patient=<Patient>,
#            entries=[(<DiaryEntry>, {term: GradeResult}), ...] (all of that one patient).
entries_recorded = Signal()
