"""Enrol a patient from the command line and print their one-time enrolment code as JSON.

python manage.py enroll_patient --clinic DEMO --drug zongertinib --baseline-stools-per-day 1
python manage.py enroll_patient --clinic DEMO --drug trastuzumab_deruxtecan --home-oximeter \
    --baseline-cough-severity mild --brain-metastases --neuro-baseline muscle_weakness_left_sided \
    --neuro-baseline headache=mild --stoma
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary import drugs, services
from diary.models import (
    NEURO_LEVELS,
    NEURO_SEVERITY_TERMS,
    NEURO_TERMS,
    NEURO_YES_NO_TERMS,
    RISK_FACTOR_FIELDS,
    Clinic,
    CoughSeverity,
    SobExertion,
)


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


def neuro_deficit(value: str) -> tuple[str, str | bool]:
    """TERM (a yes/no deficit: True) or TERM=LEVEL (a graded one), checked here so that a
    mistake is a clear error before anything is created."""
    term, _, level = value.partition("=")
    if term in NEURO_YES_NO_TERMS:
        if level:
            raise CommandError(f"{term} is a yes/no deficit: give it without a level.")
        return term, True
    if term in NEURO_SEVERITY_TERMS:
        if level not in NEURO_LEVELS:
            raise CommandError(f"{term} needs a level: {term}=" + "|".join(NEURO_LEVELS) + ".")
        return term, level
    raise CommandError(f"{term!r} is not a CNS term: one of {', '.join(NEURO_TERMS)}.")


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
        parser.add_argument(
            "--baseline-cough-severity",
            choices=list(CoughSeverity.values),
            help="Cough before cycle 1: a stable chronic cough is not new (§5.2).",
        )
        parser.add_argument("--brain-metastases", action="store_true")
        parser.add_argument(
            "--neuro-baseline",
            action="append",
            default=[],
            type=neuro_deficit,
            metavar="TERM[=LEVEL]",
            help=(
                "A neurological deficit present at enrolment (repeatable; §5.5): "
                + ", ".join(f"{t}=LEVEL" for t in NEURO_SEVERITY_TERMS)
                + " (LEVEL: "
                + "|".join(NEURO_LEVELS)
                + "), or "
                + ", ".join(NEURO_YES_NO_TERMS)
                + "."
            ),
        )
        parser.add_argument(
            "--stoma",
            action="store_true",
            help="The patient has a stoma: diarrhea is asked as ostomy output (§1.2).",
        )
        parser.add_argument(
            "--home-oximeter",
            action="store_true",
            help="The patient has a home pulse oximeter: SpO2 is asked whatever the drug.",
        )
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
                    cough_severity=options["baseline_cough_severity"] or "",
                ),
                brain_metastases=options["brain_metastases"],
                risk_factors=options["risk_factor"],
                neuro_baseline=dict(options["neuro_baseline"]),
                stoma=options["stoma"],
                home_oximeter=options["home_oximeter"],
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
