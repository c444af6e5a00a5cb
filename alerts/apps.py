from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from alerts.pipeline import raise_alerts, raise_response_alerts
        from diary.evaluation import register_evaluator, register_response_evaluator

        # The diary's one seam to the alert pipeline (diary.evaluation, D43, D53).
        register_evaluator(raise_alerts)
        register_response_evaluator(raise_response_alerts)
