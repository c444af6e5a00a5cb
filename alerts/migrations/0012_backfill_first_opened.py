"""Alerts a staff member already acted on were opened: their first staff event stands for the
first opening, so an upgrade does not mark every old alert "New" (D77). Alerts nobody acted on
stay unopened (no record says otherwise)."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery


def backfill(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    AlertEvent = apps.get_model("alerts", "AlertEvent")
    first = AlertEvent.objects.filter(alert=OuterRef("pk"), actor__isnull=False).order_by("at", "pk")
    Alert.objects.filter(first_opened_at__isnull=True).filter(Exists(first)).update(
        first_opened_at=Subquery(first.values("at")[:1]),
        first_opened_by=Subquery(first.values("actor")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0011_alert_first_opened")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
