from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from alerts.receivers import on_entry_recorded
        from diary.signals import entry_recorded

        entry_recorded.connect(on_entry_recorded, dispatch_uid="alerts.raise_alerts")
