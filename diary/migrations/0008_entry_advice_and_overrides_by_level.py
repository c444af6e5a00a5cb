"""What the patient was told is stored on the entry (reference §5.8), and clinic advice overrides
are keyed by level (green/amber/red) instead of grade band: 1 -> green, 2 -> amber, 3+ -> red."""

from django.db import migrations, models

BAND_TO_LEVEL = {1: "green", 2: "amber", 3: "red"}


def grade_to_level(apps, schema_editor):
    AdviceOverride = apps.get_model("diary", "AdviceOverride")
    for override in AdviceOverride.objects.all():
        override.level = BAND_TO_LEVEL.get(override.grade, "red")
        override.save(update_fields=["level"])


def level_to_grade(apps, schema_editor):
    AdviceOverride = apps.get_model("diary", "AdviceOverride")
    back = {level: band for band, level in BAND_TO_LEVEL.items()}
    for override in AdviceOverride.objects.all():
        override.grade = back[override.level]
        override.save(update_fields=["grade"])


class Migration(migrations.Migration):
    dependencies = [("diary", "0007_entry_patient_recorded_offset")]

    operations = [
        migrations.AddField(
            model_name="diaryentry",
            name="advice",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name="adviceoverride",
            name="level",
            field=models.CharField(
                choices=[("green", "Green"), ("amber", "Amber"), ("red", "Red")],
                max_length=10,
                null=True,
            ),
        ),
        migrations.RunPython(grade_to_level, level_to_grade),
        migrations.RemoveConstraint(model_name="adviceoverride", name="one_advice_per_band"),
        migrations.RemoveField(model_name="adviceoverride", name="grade"),
        migrations.AlterField(
            model_name="adviceoverride",
            name="level",
            field=models.CharField(
                choices=[("green", "Green"), ("amber", "Amber"), ("red", "Red")], max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="adviceoverride",
            name="term",
            field=models.CharField(
                help_text="An alert kind (ild, gi, fever, cns, ...) for AMBER and RED wording, "
                "or a symptom term (diarrhea, fatigue, ...) for GREEN self-care wording.",
                max_length=64,
                verbose_name="alert kind or term",
            ),
        ),
        migrations.AddConstraint(
            model_name="adviceoverride",
            constraint=models.UniqueConstraint(
                fields=("clinic", "term", "level"), name="one_advice_per_term_and_level"
            ),
        ),
    ]
