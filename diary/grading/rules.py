"""Building blocks of grading rules: conditions over answers, and criteria (condition, grade,
CTCAE wording).

A term is a tuple of criteria and its grade is the highest one met (reference §1.1 software
rule [D]). The helpers read like the CTCAE text:

    at_least("stools_over_baseline", 4, 2, "Increase of 4-6 stools/day over baseline")

Called without a grade and wording, a helper gives a bare condition, for use inside `all_of(...)` or
as the condition of a follow-up question (`Need`).

Exact boundaries: answers arrive as JSON ints and floats. Comparing a float with a threshold
written as a short decimal literal (38.3, 1.5) gives the same answer as comparing the decimals
themselves, because both sides are the correctly rounded doubles of short decimals and distinct
decimals of up to 15 significant digits never share a double. Values computed by arithmetic
(°F to °C, percentage weight loss) are exact `Fraction`s and are compared with the exact
`Fraction` of the threshold, so 100.4 °F is exactly 38.0 °C and 12/60 is exactly 20 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, overload

# Answers after any derivation (see `Rules.prepare`). Values are JSON scalars or Fractions.
Values = Mapping[str, Any]


class Condition:
    """A yes/no question about the answers. `fields` are the answers it reads."""

    __slots__ = ("fields",)

    def __init__(self, *fields: str) -> None:
        self.fields: tuple[str, ...] = fields

    def met(self, values: Values) -> bool:
        raise NotImplementedError


class _Threshold(Condition):
    __slots__ = ("den", "field", "num", "threshold")

    def __init__(self, field: str, threshold: int | float) -> None:
        super().__init__(field)
        self.field = field
        self.threshold = threshold
        # The exact threshold, for exact (Fraction) values: v >= n/d  <=>  v.num * d >= n * v.den
        self.num, self.den = Fraction(str(threshold)).as_integer_ratio()


class AtLeast(_Threshold):
    __slots__ = ()

    def met(self, values: Values) -> bool:
        v = values.get(self.field)
        if v is None:
            return False
        if v.__class__ is Fraction:
            return bool(v.numerator * self.den >= self.num * v.denominator)
        result: bool = v >= self.threshold
        return result


class Above(_Threshold):
    __slots__ = ()

    def met(self, values: Values) -> bool:
        v = values.get(self.field)
        if v is None:
            return False
        if v.__class__ is Fraction:
            return bool(v.numerator * self.den > self.num * v.denominator)
        result: bool = v > self.threshold
        return result


class Below(_Threshold):
    __slots__ = ()

    def met(self, values: Values) -> bool:
        v = values.get(self.field)
        if v is None:
            return False
        if v.__class__ is Fraction:
            return bool(v.numerator * self.den < self.num * v.denominator)
        result: bool = v < self.threshold
        return result


class AtMost(_Threshold):
    __slots__ = ()

    def met(self, values: Values) -> bool:
        v = values.get(self.field)
        if v is None:
            return False
        if v.__class__ is Fraction:
            return bool(v.numerator * self.den <= self.num * v.denominator)
        result: bool = v <= self.threshold
        return result


class Between(Condition):
    """low <= value <= high, both ends included (CTCAE ranges such as "10-30% BSA")."""

    __slots__ = ("field", "high", "low")

    def __init__(self, field: str, low: int | float, high: int | float) -> None:
        super().__init__(field)
        self.field = field
        self.low = AtLeast(field, low)
        self.high = AtMost(field, high)

    def met(self, values: Values) -> bool:
        return self.low.met(values) and self.high.met(values)


class BelowField(Condition):
    """value < another answer (a lab value below the lab's lower limit of normal)."""

    __slots__ = ("field", "other")

    def __init__(self, field: str, other: str) -> None:
        super().__init__(field, other)
        self.field = field
        self.other = other

    def met(self, values: Values) -> bool:
        v = values.get(self.field)
        limit = values.get(self.other)
        if v is None or limit is None:
            return False
        result: bool = v < limit
        return result


class Equals(Condition):
    __slots__ = ("field", "value")

    def __init__(self, field: str, value: str) -> None:
        super().__init__(field)
        self.field = field
        self.value = value

    def met(self, values: Values) -> bool:
        result: bool = values.get(self.field) == self.value
        return result


class OneOf(Condition):
    __slots__ = ("choices", "field")

    def __init__(self, field: str, choices: tuple[str, ...]) -> None:
        super().__init__(field)
        self.field = field
        self.choices = frozenset(choices)

    def met(self, values: Values) -> bool:
        v = values.get(self.field)
        return v.__class__ is str and v in self.choices


class Is(Condition):
    """A yes/no answer given as exactly true (or false): 1 and 0 are not answers."""

    __slots__ = ("field", "value")

    def __init__(self, field: str, value: bool) -> None:
        super().__init__(field)
        self.field = field
        self.value = value

    def met(self, values: Values) -> bool:
        return values.get(self.field) is self.value


class AllOf(Condition):
    __slots__ = ("conditions",)

    def __init__(self, *conditions: Condition) -> None:
        super().__init__(*(f for c in conditions for f in c.fields))
        self.conditions = conditions

    def met(self, values: Values) -> bool:
        # A plain loop: all() over a generator costs an allocation on the hot path.
        for condition in self.conditions:  # noqa: SIM110
            if not condition.met(values):
                return False
        return True


class Present(Condition):
    """At least one of the fields was answered."""

    __slots__ = ()

    def met(self, values: Values) -> bool:
        for name in self.fields:  # noqa: SIM110 (no generator on the hot path)
            if values.get(name) is not None:
                return True
        return False


@dataclass(frozen=True, slots=True)
class Criterion:
    """One CTCAE criterion: when `condition` holds the grade is at least `grade`."""

    condition: Condition
    grade: int
    text: str


@dataclass(frozen=True, slots=True)
class Requirement:
    """A primary answer: without it the term cannot be graded; `ask` names what to ask for."""

    condition: Condition
    ask: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Need:
    """A follow-up answer needed once `when` holds, if its value could still change the grade."""

    field: str
    when: Condition


Prepare = Callable[[Values], Values | None]


@dataclass(frozen=True, slots=True)
class Rules:
    """How one term is graded. `prepare` adds derived values (or returns None: cannot grade).
    `denied_by` names the presence answer (nausea, fatigue, appetite_loss) whose "no" makes the
    term G0 whatever the other answers say (reference §1.2 denied-symptom rule [D])."""

    criteria: tuple[Criterion, ...]
    requires: tuple[Requirement, ...]
    needs: tuple[Need, ...] = ()
    prepare: Prepare | None = None
    derived: tuple[str, ...] = ()
    denied_by: str | None = None


def _criterion(condition: Condition, grade: int | None, text: str) -> Condition | Criterion:
    if grade is None:
        return condition
    if not text:
        raise ValueError("a criterion needs its CTCAE wording")
    return Criterion(condition, grade, text)


@overload
def at_least(field: str, threshold: int | float) -> Condition: ...
@overload
def at_least(field: str, threshold: int | float, grade: int, text: str) -> Criterion: ...
def at_least(
    field: str, threshold: int | float, grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """value >= threshold"""
    return _criterion(AtLeast(field, threshold), grade, text)


@overload
def above(field: str, threshold: int | float) -> Condition: ...
@overload
def above(field: str, threshold: int | float, grade: int, text: str) -> Criterion: ...
def above(
    field: str, threshold: int | float, grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """value > threshold"""
    return _criterion(Above(field, threshold), grade, text)


@overload
def below(field: str, threshold: int | float) -> Condition: ...
@overload
def below(field: str, threshold: int | float, grade: int, text: str) -> Criterion: ...
def below(
    field: str, threshold: int | float, grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """value < threshold"""
    return _criterion(Below(field, threshold), grade, text)


@overload
def at_most(field: str, threshold: int | float) -> Condition: ...
@overload
def at_most(field: str, threshold: int | float, grade: int, text: str) -> Criterion: ...
def at_most(
    field: str, threshold: int | float, grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """value <= threshold"""
    return _criterion(AtMost(field, threshold), grade, text)


@overload
def between(field: str, low: int | float, high: int | float) -> Condition: ...
@overload
def between(
    field: str, low: int | float, high: int | float, grade: int, text: str
) -> Criterion: ...
def between(
    field: str, low: int | float, high: int | float, grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """low <= value <= high"""
    return _criterion(Between(field, low, high), grade, text)


@overload
def below_field(field: str, other: str) -> Condition: ...
@overload
def below_field(field: str, other: str, grade: int, text: str) -> Criterion: ...
def below_field(
    field: str, other: str, grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """value < the answer `other` (e.g. a count below the lab's LLN)"""
    return _criterion(BelowField(field, other), grade, text)


@overload
def equals(field: str, value: str) -> Condition: ...
@overload
def equals(field: str, value: str, grade: int, text: str) -> Criterion: ...
def equals(
    field: str, value: str, grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """a choice answer is `value`"""
    return _criterion(Equals(field, value), grade, text)


@overload
def one_of(field: str, values: tuple[str, ...]) -> Condition: ...
@overload
def one_of(field: str, values: tuple[str, ...], grade: int, text: str) -> Criterion: ...
def one_of(
    field: str, values: tuple[str, ...], grade: int | None = None, text: str = ""
) -> Condition | Criterion:
    """a choice answer is one of `values`"""
    return _criterion(OneOf(field, values), grade, text)


@overload
def is_true(field: str) -> Condition: ...
@overload
def is_true(field: str, grade: int, text: str) -> Criterion: ...
def is_true(field: str, grade: int | None = None, text: str = "") -> Condition | Criterion:
    """a yes/no answer is yes"""
    return _criterion(Is(field, True), grade, text)


@overload
def is_false(field: str) -> Condition: ...
@overload
def is_false(field: str, grade: int, text: str) -> Criterion: ...
def is_false(field: str, grade: int | None = None, text: str = "") -> Condition | Criterion:
    """a yes/no answer is no"""
    return _criterion(Is(field, False), grade, text)


def all_of(*conditions: Condition, grade: int, text: str) -> Criterion:
    """every condition holds (CTCAE "and" / "with")"""
    return Criterion(AllOf(*conditions), grade, text)


def present(*fields: str) -> Condition:
    """at least one of the fields was answered"""
    return Present(*fields)


def exact(value: object) -> Fraction | None:
    """The exact value of a JSON number (the decimal a float was written as); None if it is not
    a finite number. Same result as Fraction(str(x)), without the slow string parser."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if not isinstance(value, float) or not math.isfinite(value):
        return None
    text = repr(value)  # the shortest decimal that reads back as this float
    if "e" in text:
        return Fraction(text)
    whole, _, decimals = text.partition(".")
    return Fraction(int(whole + decimals), 10 ** len(decimals))
