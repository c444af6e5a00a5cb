"""The answers that on their own always mean "call now": data for the app, no Django.

The app shows its full-screen call screen as soon as one of these answers is given, before and
without any connection (issue 16): it must never wait for the server to say what one answer
already decides. Each row is one RED trigger of reference §5.2, §5.3 or §5.5 that a single answer
fires whatever else was reported, for every patient it applies to (``drugs``; CNS rows only for
patients with brain metastases, the only ones asked those terms).

Left out on purpose [D]: triggers that need a second answer (fever with chills, diarrhoea with a
complicated feature, headache with vomiting), a baseline (SpO2 fall, new confusion, new one-sided
weakness or speech difficulty: "new" compares with the clinician's neurological baseline) or the
history (persisting grades). The server still evaluates them and its answer says RED; the app then
shows the same call screen once the entry reaches it.

These thresholds repeat those of the alert rules (the diary app may not import alerts); the test
``tests/diary/test_call_now.py`` evaluates every row through ``alerts.rules.evaluate`` and fails
when a row no longer gives RED for a drug it claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Op = Literal["equals", "one_of", "at_least", "below", "at_most", "is_true"]
Kind = Literal["ild", "gi", "fever", "hepatic", "cns"]

TDXD = "trastuzumab_deruxtecan"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallNow:
    """``term.field <op> value`` is RED on its own (reference tag in ``source``)."""

    term: str
    field: str
    op: Op
    value: object = None
    kind: Kind
    source: str
    drugs: frozenset[str] | None = None  # None: any drug
    brain_metastases_only: bool = False

    def matches(self, answer: object) -> bool:
        """Whether this answer fires the row (bools are not numbers here, as in validation)."""
        if self.op == "is_true":
            return answer is True
        if self.op == "equals":
            return isinstance(answer, str) and answer == self.value
        if self.op == "one_of":
            return isinstance(answer, str) and answer in self.value  # type: ignore[operator]
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            return False
        bound = self.value
        assert isinstance(bound, int | float)
        if self.op == "at_least":
            return answer >= bound
        if self.op == "at_most":
            return answer <= bound
        return answer < bound  # below

    def applies_to(self, *, drug: str | None, brain_metastases: bool) -> bool:
        if self.drugs is not None and (drug or "other") not in self.drugs:
            return False
        return brain_metastases or not self.brain_metastases_only

    def as_dict(self) -> dict[str, object]:
        return {
            "term": self.term,
            "field": self.field,
            "op": self.op,
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
            "kind": self.kind,
            "source": self.source,
            "drugs": sorted(self.drugs) if self.drugs is not None else None,
            "brain_metastases_only": self.brain_metastases_only,
        }


CALL_NOW: tuple[CallNow, ...] = (
    # §5.2 RED 1: dyspnea at rest or limiting self-care ADL (CTCAE dyspnea G3), any drug.
    CallNow(
        term="dyspnea",
        field="sob_exertion",
        op="equals",
        value="rest",
        kind="ild",
        source="§5.2 RED 1 [V CTCAE; D action]",
    ),
    # §5.2 RED 2: resting SpO2 below 88% (CTCAE hypoxia G3 example threshold), any drug.
    CallNow(
        term="hypoxia",
        field="spo2_rest",
        op="below",
        value=88,
        kind="ild",
        source="§5.2 RED 2 [V]",
    ),
    # §5.2 RED 3: resting SpO2 at or below 92% on T-DXd.
    CallNow(
        term="hypoxia",
        field="spo2_rest",
        op="at_most",
        value=92,
        kind="ild",
        source="§5.2 RED 3 [D]",
        drugs=frozenset({TDXD}),
    ),
    # §5.3 fever RED: 38.0 °C (100.4 °F) or more, any drug (CTCAE fever G1 lower bound).
    CallNow(
        term="fever", field="temp_c", op="at_least", value=38.0, kind="fever", source="§5.3 [V]"
    ),
    CallNow(
        term="fever", field="temp_f", op="at_least", value=100.4, kind="fever", source="§5.3 [V]"
    ),
    # §5.3 diarrhoea RED: CTCAE G3, >=7 stools a day over baseline or hospitalisation.
    CallNow(
        term="diarrhea",
        field="stools_over_baseline",
        op="at_least",
        value=7,
        kind="gi",
        source="§5.3 RED [V CTCAE G3]",
    ),
    CallNow(
        term="diarrhea",
        field="hospitalized",
        op="is_true",
        kind="gi",
        source="§5.3 RED [V CTCAE G3]",
    ),
    # §5.3 vomiting RED: >=6 episodes in 24 h [D]; IV fluids or hospital [V CTCAE G2/G3].
    CallNow(
        term="vomiting",
        field="vomiting_episodes_24h",
        op="at_least",
        value=6,
        kind="gi",
        source="§5.3 vomiting RED [D]",
    ),
    CallNow(
        term="vomiting", field="iv_fluids", op="is_true", kind="gi", source="§5.3 vomiting RED [V]"
    ),
    CallNow(
        term="vomiting",
        field="hospitalized",
        op="is_true",
        kind="gi",
        source="§5.3 vomiting RED [V]",
    ),
    # §5.3: unable to keep fluids down for 24 h or more [D].
    CallNow(
        term="dehydration",
        field="unable_to_keep_fluids_hours",
        op="at_least",
        value=24,
        kind="gi",
        source="§5.3 vomiting RED [D]",
    ),
    # §5.3 hepatotoxicity (zongertinib, sevabertinib): jaundice -> RED [D].
    CallNow(
        term="liver_symptoms",
        field="jaundice",
        op="is_true",
        kind="hepatic",
        source="§5.3 hepatotoxicity [D]",
        drugs=frozenset({"zongertinib", "sevabertinib"}),
    ),
    # §5.5 CNS watch (brain metastases): any seizure; severe headache [D].
    CallNow(
        term="seizure",
        field="seizure_type",
        op="one_of",
        value=("partial_no_loss_of_consciousness", "generalized"),
        kind="cns",
        source="§5.5 RED [D]",
        brain_metastases_only=True,
    ),
    CallNow(
        term="headache",
        field="pain_severity",
        op="equals",
        value="severe",
        kind="cns",
        source="§5.5 RED [D]",
        brain_metastases_only=True,
    ),
)


def fired(
    symptoms: Mapping[str, Mapping[str, object]], *, drug: str | None, brain_metastases: bool
) -> list[CallNow]:
    """The rows these answers fire for this patient (what the app checks offline)."""
    return [
        row
        for row in CALL_NOW
        if row.applies_to(drug=drug, brain_metastases=brain_metastases)
        and row.field in symptoms.get(row.term, {})
        and row.matches(symptoms[row.term][row.field])
    ]
