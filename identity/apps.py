from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Patient identity (care team only)"

    def ready(self) -> None:
        from identity import checks  # noqa: F401  (registers the key checks)
