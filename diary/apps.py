from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "diary"
    verbose_name = "Patients and diary"

    def ready(self) -> None:
        from diary import advice  # noqa: F401  (connects the advice-cache invalidation)
