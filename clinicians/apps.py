from django.apps import AppConfig


class CliniciansConfig(AppConfig):
    name = "clinicians"
    verbose_name = "Clinicians"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from clinicians.metrics import register_sqlite_functions

        connection_created.connect(
            register_sqlite_functions, dispatch_uid="clinicians.sqlite_functions"
        )
