"""The ASGI application: what serves ToxWatch (uvicorn; gunicorn with uvicorn workers in
production), so that the live queue's event stream (clinicians.live) can stay open without
holding a worker. Sync views, the API included, run in Django's thread pool as usual."""

import os

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
if settings.DEBUG:
    # What runserver does in development; in production WhiteNoise serves static files.
    application = ASGIStaticFilesHandler(application)  # type: ignore[assignment]
