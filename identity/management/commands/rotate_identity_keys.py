"""Re-encrypt every patient identity with the first key of TOXWATCH_IDENTITY_KEYS.

Rotation (docs/operations.md): put the new key first, keep the old ones after it, restart,
run this, then remove the old keys and restart again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from identity.services import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt (and re-index) every patient identity with the first identity key."

    def handle(self, *args: Any, **options: Any) -> None:
        done = rotate_all()
        self.stdout.write(f"Re-encrypted {done} patient identities with the first key.")
