# Every existing alert gets its patient's clinic, in one UPDATE (about a second for 100,000
# alerts on PostgreSQL); alerts created from now on are given it by alerts.services.

from django.db import migrations
from django.db.models import OuterRef, Subquery


def copy_clinic(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    Patient = apps.get_model("diary", "Patient")
    clinic = Patient.objects.filter(pk=OuterRef("patient_id")).values("clinic_id")[:1]
    Alert.objects.filter(clinic__isnull=True).update(clinic_id=Subquery(clinic))


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_alert_clinic")]

    operations = [migrations.RunPython(copy_clinic, migrations.RunPython.noop, elidable=True)]
