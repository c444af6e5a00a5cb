"""The ``RuleBook`` that collects the rule rows of one reference section, in the order they are
written (and evaluated), with each predicate directly under its row."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

from alerts.rules.base import Finding, Rule


class RuleBook:
    """The rules of one reference section in the order they are written (and evaluated).

    ``@BOOK.rule(code=..., ...)`` above a predicate builds the rule row around it, so the row and
    its predicate are read together; ``BOOK.add(Rule(...))`` adds a row whose finding is built
    by a factory. ``brain_metastases_only`` applies to every rule of the book (§5.5).
    """

    def __init__(self, *, brain_metastases_only: bool = False) -> None:
        self._rules: list[Rule] = []
        self._brain_metastases_only = brain_metastases_only

    def rule(
        self,
        *,
        code: str,
        kind: str,
        level: Literal["amber", "red"],
        symptom: str,
        source: str,
        condition: str,
        drugs: frozenset[str] | None = None,
        suppressible: bool = False,
        trigger: str = "",
    ) -> Callable[[Finding], Finding]:
        def register(finding: Finding) -> Finding:
            self.add(
                Rule(
                    code=code,
                    kind=kind,
                    level=level,
                    symptom=symptom,
                    source=source,
                    condition=condition,
                    finding=finding,
                    drugs=drugs,
                    suppressible=suppressible,
                    trigger=trigger,
                )
            )
            return finding

        return register

    def add(self, rule: Rule) -> Rule:
        if self._brain_metastases_only:
            rule = dataclasses.replace(rule, brain_metastases_only=True)
        self._rules.append(rule)
        return rule

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rules)
