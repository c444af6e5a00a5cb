# The alert's clinic, copied from its patient (docs/decisions.md D38). Added nullable here,
# filled by 0005 and made required by 0006: each step is its own transaction on PostgreSQL.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_dashboard_indexes")]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="clinic",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="diary.clinic",
            ),
        ),
    ]
