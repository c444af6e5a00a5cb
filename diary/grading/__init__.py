"""The ToxWatch grading engine: pure Python, no Django (import-linter enforces it).

CTCAE v5.0 grades from self-reported and clinician-entered answers, and PRO-CTCAE composite
grades, written against ../shared/clinical/reference.md. See docs/grading.md.
"""

from diary.grading.ctcae import TERMS
from diary.grading.engine import CTCAE_VERSION, GRADING_VERSION, GradeResult, grade
from diary.grading.proctcae import PROCTCAE_SYMPTOMS, composite
from diary.grading.terms import FieldSpec, TermSpec
from diary.grading.validation import validate_inputs

__all__ = [
    "CTCAE_VERSION",
    "GRADING_VERSION",
    "PROCTCAE_SYMPTOMS",
    "TERMS",
    "FieldSpec",
    "GradeResult",
    "TermSpec",
    "composite",
    "grade",
    "validate_inputs",
]
