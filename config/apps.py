from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "ToxWatch project"

    def ready(self) -> None:
        from config import (
            checks,  # noqa: F401  (registers the deploy checks)
            schema,  # noqa: F401  (registers the OpenAPI extensions)
        )


class StaffAdminConfig(AdminConfig):
    default_site = "config.admin.StaffAdminSite"
