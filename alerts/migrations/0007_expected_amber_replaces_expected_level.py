# Issue 11 item 5, decision D46: the kind-wide "expected level" (ExpectedLevel: every AMBER of a
# kind folded for up to 30 days) is replaced by §5.2's marking of the AMBER triggers present on
# an open alert (ExpectedAmber: named rule codes, at most 7 days, a reason). AlertEvidence gains
# the measure of its trigger, which "worsens" is judged by.
#
# Old declarations cannot become markings that fold anything: they name no triggers and no
# measures. A declaration still running on a patient with an active alert of its kind becomes an
# *ended* marking on that alert (who, why, when and until kept; the alert's AMBER codes listed
# with no measure) and the alert's audit trail says it ended and must be marked again. Others
# (expired, or no active alert to belong to) end with the table; those that touched an alert
# are already in its trail ("expected_level_set" events).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

ACTIVE_STATUSES = ("open", "acknowledged", "escalated")
WHY = (
    "the kind-wide expected level set before reference §5.2's narrower marking ended when it "
    "was replaced (D46); mark this alert's AMBER triggers again if they are still expected"
)


def end_expected_levels(apps, schema_editor):
    ExpectedLevel = apps.get_model("alerts", "ExpectedLevel")
    ExpectedAmber = apps.get_model("alerts", "ExpectedAmber")
    Alert = apps.get_model("alerts", "Alert")
    AlertEvent = apps.get_model("alerts", "AlertEvent")
    now = django.utils.timezone.now()
    for old in ExpectedLevel.objects.filter(until__gt=now).order_by("set_at", "pk"):
        alert = Alert.objects.filter(
            patient_id=old.patient_id, kind=old.kind, status__in=ACTIVE_STATUSES
        ).first()
        if alert is None:
            continue
        codes = (
            alert.evidence.filter(level="amber").order_by("pk").values_list("code", flat=True)
        )
        marking = ExpectedAmber.objects.create(
            alert=alert,
            patient_id=old.patient_id,
            triggers={code: None for code in codes},
            reason=old.reason or "(no reason was given)",
            set_by_id=old.set_by_id,
            set_at=old.set_at,
            until=old.until,
            ended_at=now,
        )
        AlertEvent.objects.create(
            alert=alert,
            type="expected_ended",
            actor=None,
            at=now,
            detail={"marking": marking.pk, "why": WHY},
        )


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0006_alert_clinic_indexes'),
        ('diary', '0007_entry_patient_recorded_offset'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='alertevidence',
            name='measure',
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='alertevent',
            name='type',
            field=models.CharField(choices=[('opened', 'Opened'), ('evidence', 'New evidence'), ('level_raised', 'Level raised'), ('acknowledged', 'Acknowledged'), ('assigned', 'Assigned'), ('call_logged', 'Call logged'), ('note', 'Note'), ('escalated', 'Escalated'), ('expected_level_set', 'AMBER triggers marked expected'), ('expected_ended', 'Expected marking ended'), ('suppressed', 'Folded as expected'), ('resolved', 'Resolved')], max_length=30),
        ),
        migrations.CreateModel(
            name='ExpectedAmber',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('triggers', models.JSONField(help_text='Rule code -> its measure when marked (or null).')),
                ('reason', models.TextField()),
                ('set_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('until', models.DateTimeField()),
                ('ended_at', models.DateTimeField(blank=True, null=True)),
                ('alert', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expected_ambers', to='alerts.alert')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expected_ambers', to='diary.patient')),
                ('set_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-set_at', '-pk'],
            },
        ),
        migrations.AddIndex(
            model_name='expectedamber',
            index=models.Index(fields=['patient', 'until'], name='expected_amber_patient'),
        ),
        migrations.RunPython(end_expected_levels, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='ExpectedLevel',
        ),
    ]
