"""Load a clinic's licensed questionnaire wording from JSON files (one instrument and language
per object); the texts are never printed.

python manage.py load_instrument_texts qlq_c30_en.json [more.json ...]

Each file holds one object, or a list of objects:
{"instrument": "qlq_c30", "language": "en",
 "texts": {"title": "...", "Q1": "...", "eortc_4.1": "...", ...}}
Keys are ``title``, item codes, and ``{response scale}.{value}`` for answer labels. A file with
an unknown instrument or code loads nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from diary import questionnaires


class Command(BaseCommand):
    help = "Load licensed questionnaire item texts (code -> text per language) from JSON files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = 0
        with transaction.atomic():
            for path in options["files"]:
                try:
                    document = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{path}: not a readable JSON file ({exc}).") from None
                for block in document if isinstance(document, list) else [document]:
                    loaded += self._load(path, block)
        self.stdout.write(f"Loaded {loaded} text(s).")

    def _load(self, path: Path, block: Any) -> int:
        if not isinstance(block, dict) or not isinstance(block.get("texts"), dict):
            raise CommandError(f'{path}: expected {{"instrument", "language", "texts": {{...}}}}.')
        try:
            return questionnaires.load_texts(
                instrument=str(block.get("instrument", "")),
                language=str(block.get("language", "")),
                texts=block["texts"],
            )
        except ValidationError as exc:
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"{path}: {messages}") from None
