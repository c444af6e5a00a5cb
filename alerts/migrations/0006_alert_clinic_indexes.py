# The clinic is required from now on, and the queue and the programme view read a clinic's
# alerts through these indexes (docs/performance.md, Dashboard). alert_patient_filters served
# the queue's page count through the patients; the clinic's indexes do that now.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("alerts", "0005_backfill_alert_clinic")]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="clinic",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="diary.clinic",
            ),
        ),
        migrations.RemoveIndex(model_name="alert", name="alert_patient_filters"),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                fields=["clinic", "status", "-level", "due_at", "id"], name="alert_clinic_queue"
            ),
        ),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                fields=["clinic", "-level", "due_at", "id"], name="alert_clinic_order"
            ),
        ),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(fields=["clinic", "opened_at"], name="alert_clinic_opened"),
        ),
    ]
