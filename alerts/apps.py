from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from alerts.receivers import on_entries_recorded
        from diary.signals import entries_recorded

        entries_recorded.connect(on_entries_recorded, dispatch_uid="alerts.raise_alerts")
