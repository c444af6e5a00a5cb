"""Trial exports for data managers: a clinic's data over a date range, pseudonymous, as a long
CSV with its data dictionary, SDTM datasets (CSV, XPT, define.xml), or a FHIR R4 Bundle
(docs/architecture.md, "Exports"; docs/exports.md). Written by a Celery task with constant
memory, downloaded for a limited time, audited.
"""
