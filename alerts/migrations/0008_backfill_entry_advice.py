"""Entries stored before the advice followed the alert evaluation (reference §5.8) get the summary
of their stored alert level, so every entry read back says what to do at its level."""

from django.db import migrations


def backfill(apps, schema_editor):
    from alerts.rules.advice import summary_only

    DiaryEntry = apps.get_model("diary", "DiaryEntry")
    pending = DiaryEntry.objects.filter(advice={}).select_related("patient__clinic")
    batch = []
    for entry in pending.iterator(chunk_size=2000):
        level = entry.alert_level if entry.alert_level in ("green", "amber", "red") else "green"
        entry.advice = summary_only(level, phone=entry.patient.clinic.phone_24h).as_dict()
        batch.append(entry)
        if len(batch) >= 2000:
            DiaryEntry.objects.bulk_update(batch, ["advice"])
            batch = []
    if batch:
        DiaryEntry.objects.bulk_update(batch, ["advice"])


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0007_expected_amber_replaces_expected_level"),
        ("diary", "0008_entry_advice_and_overrides_by_level"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
