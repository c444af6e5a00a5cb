"""Give patients enrolled before questionnaires existed the default schedules of their drug."""

from django.db import migrations
from django.utils import timezone


def add_default_schedules(apps, schema_editor):
    from diary import instruments

    Patient = apps.get_model("diary", "Patient")
    Schedule = apps.get_model("diary", "QuestionnaireSchedule")
    for patient in Patient.objects.prefetch_related("courses", "questionnaire_schedules"):
        courses = [c for c in patient.courses.all() if c.status != "discontinued"]
        course = max(courses, key=lambda c: (c.started_on, c.pk), default=None)
        specs = instruments.schedules_for(
            course.drug if course else None, brain_metastases=patient.brain_metastases
        )
        existing = {s.instrument for s in patient.questionnaire_schedules.all()}
        Schedule.objects.bulk_create(
            [
                Schedule(
                    patient=patient,
                    instrument=spec.instrument,
                    cadence_days=spec.cadence_days,
                    anchor=spec.anchor,
                    starts_on=course.started_on if course else patient.enrolled_on,
                    window_before_days=spec.window_before_days,
                    window_after_days=spec.window_after_days,
                    created_at=timezone.now(),
                )
                for spec in specs
                if spec.instrument not in existing
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("diary", "0005_questionnaires")]

    operations = [migrations.RunPython(add_default_schedules, migrations.RunPython.noop)]
