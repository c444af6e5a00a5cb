from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "ToxWatch project"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the deploy checks)
