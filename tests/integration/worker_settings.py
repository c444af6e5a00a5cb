"""Settings of the Celery worker the integration tests start: the project's settings, with
notification backends that record what they send and can hold a send (tests/integration/
backends.py). Everything else (broker options, acks_late, the database) is production's."""

from config.settings import *  # noqa: F403

TOXWATCH_NOTIFICATION_BACKENDS = {
    "dashboard": "tests.integration.backends.GatedDashboard",
    "email": "tests.integration.backends.Recording",
    "sms": "tests.integration.backends.Recording",
    "pager": "tests.integration.backends.Recording",
    "patient": "tests.integration.backends.Recording",
}
