"""The clinicians app's models: trial exports (``clinicians.exports``)."""

from clinicians.exports.models import Export, ExportEvent

__all__ = ["Export", "ExportEvent"]
