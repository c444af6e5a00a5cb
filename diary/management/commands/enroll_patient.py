"""Enrol a patient from the command line and print their one-time enrolment code as JSON.

python manage.py enroll_patient --clinic DEMO --drug zongertinib --baseline-stools-per-day 1
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary import drugs, services
from diary.models import RISK_FACTOR_FIELDS, Clinic, SobExertion


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD.") from None


def bounded_int(low: int, high: int) -> Any:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise CommandError(f"{value!r} is not a whole number.") from None
        if not low <= number <= high:
            raise CommandError(f"{number} is outside {low}-{high}.")
        return number

    return parse


def weight(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"{value!r} is not a weight in kg.") from None
    if not Decimal(20) <= number <= Decimal(350):
        raise CommandError(f"{value} kg is outside 20-350 kg.")
    return number


class Command(BaseCommand):
    help = "Enrol a patient and print a JSON object with subject_id and enrollment_code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="Clinic code, e.g. DEMO.")
        parser.add_argument("--drug", required=True, choices=sorted(drugs.DRUGS))
        parser.add_argument("--subject-id", help="Pseudonymous subject id (default: generated).")
        parser.add_argument("--birth-date", type=iso_date)
        parser.add_argument("--started-on", type=iso_date, help="Treatment start (default today).")
        parser.add_argument("--timezone", help="IANA time zone (default: the clinic's).")
        parser.add_argument(
            "--dose-level",
            help="Dose level code from the drug's ladder (default: the starting dose).",
        )
        parser.add_argument("--baseline-stools-per-day", type=bounded_int(0, 30))
        parser.add_argument("--baseline-spo2-rest", type=bounded_int(50, 100))
        parser.add_argument("--baseline-spo2-exertion", type=bounded_int(50, 100))
        parser.add_argument("--baseline-sob-exertion", choices=list(SobExertion.values))
        parser.add_argument("--baseline-weight-kg", type=weight)
        parser.add_argument("--brain-metastases", action="store_true")
        parser.add_argument(
            "--risk-factor",
            action="append",
            default=[],
            choices=list(RISK_FACTOR_FIELDS),
            help="A T-DXd ILD risk factor (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            clinic = Clinic.objects.get(code__iexact=options["clinic"])
        except Clinic.DoesNotExist:
            raise CommandError(f"No clinic with code {options['clinic']!r}.") from None
        try:
            patient, code = services.enroll_patient(
                clinic=clinic,
                drug=options["drug"],
                subject_id=options["subject_id"],
                birth_date=options["birth_date"],
                started_on=options["started_on"],
                timezone_name=options["timezone"],
                dose_level=options["dose_level"],
                baseline=services.Baseline(
                    stools_per_day=options["baseline_stools_per_day"],
                    spo2_rest=options["baseline_spo2_rest"],
                    spo2_exertion=options["baseline_spo2_exertion"],
                    sob_exertion=options["baseline_sob_exertion"] or "",
                    weight_kg=options["baseline_weight_kg"],
                ),
                brain_metastases=options["brain_metastases"],
                risk_factors=options["risk_factor"],
            )
        except ValidationError as exc:
            problems = (
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            raise CommandError(f"Nothing was created: {problems}") from None
        course = patient.current_course()
        self.stdout.write(
            json.dumps(
                {
                    "subject_id": patient.subject_id,
                    "enrollment_code": code,
                    "clinic": clinic.code,
                    "drug": course.drug if course else None,
                    "dose_level": course.dose_level if course else None,
                }
            )
        )
