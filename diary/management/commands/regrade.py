"""Re-grade stored entries after a grading-version change, keeping the previous grades as history.

python manage.py regrade            # every entry not yet graded by the current version
python manage.py regrade --dry-run  # count only
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from diary import grading, services
from diary.models import DiaryEntry


class Command(BaseCommand):
    help = "Re-grade diary entries graded under an older grading version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        stale = (
            DiaryEntry.objects.filter(grades__superseded_at__isnull=True)
            .exclude(grades__grading_version=grading.GRADING_VERSION)
            .distinct()
        )
        total = stale.count()
        if options["dry_run"]:
            self.stdout.write(f"{total} entries would be re-graded to {grading.GRADING_VERSION}.")
            return
        changed = 0
        pks = list(stale.values_list("pk", flat=True))
        size = options["batch_size"]
        for start in range(0, len(pks), size):
            chunk = DiaryEntry.objects.filter(pk__in=pks[start : start + size]).prefetch_related(
                "grades"
            )
            changed += services.regrade_entries(entries=chunk)
        self.stdout.write(
            f"Re-graded {changed} entries to grading version {grading.GRADING_VERSION}."
        )
