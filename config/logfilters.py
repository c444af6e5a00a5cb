"""Log filters, importable while logging is configured (before Django's apps are loaded)."""

from __future__ import annotations

import logging


class DropExpected(logging.Filter):
    """On ``django.request``: keep only server errors, which carry the traceback of an unhandled
    exception. Every answer, 4xx included, already has its one access line (config.requestlog);
    an expected 403 (PermissionDenied) came with a traceback too."""

    def filter(self, record: logging.LogRecord) -> bool:
        return int(getattr(record, "status_code", 500)) >= 500
