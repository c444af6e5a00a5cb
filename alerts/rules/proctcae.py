"""§5.4 PRO-CTCAE composites: one AMBER pair of rows per symptom key, built from the table below
next to the two predicates they share.

Every threshold cites its tag in ../shared/clinical/reference.md ([V] verified, [S] secondary,
[D] design choice needing clinical sign-off); docs/alert-rules.md lists every rule code. Rule
codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from alerts.rules.base import (
    NOT_TDXD,
    TDXD_ONLY,
    Finding,
    Rule,
    Snapshot,
    _baseline_composite,
    _composite,
)

# symptom key (api.md) -> (alert kind, symptom family for §5.1) [D]. Every key is a composite
# that a shipped PRO-CTCAE item set asks (diary.instruments.proctcae; a test holds the two
# together), so every rule below can fire through the API (D55).
PROCTCAE: Mapping[str, tuple[str, str]] = {
    "decreased_appetite": ("gi", "anorexia"),
    "nausea": ("gi", "nausea"),
    "vomiting": ("gi", "vomiting"),
    "constipation": ("gi", "constipation"),
    "diarrhea": ("gi", "diarrhea"),
    "pain_in_abdomen": ("gi", "abdominal_pain"),
    "shortness_of_breath": ("ild", "dyspnea"),
    "cough": ("ild", "cough"),
    "mouth_or_throat_sores": ("other", "mucositis"),
    "dry_skin": ("other", "dry_skin"),
    "acne": ("other", "acne"),
    "hair_loss": ("other", "hair_loss"),
    "itchy_skin": ("other", "itch"),
    "fatigue": ("other", "fatigue"),
    "chills": ("other", "chills"),
    "arm_or_leg_swelling": ("other", "swelling"),
    "pounding_or_racing_heartbeat": ("other", "heartbeat"),
    # The brain metastases watch set (proctcae_cns, §5.5): the CNS queue.
    "headache": ("cns", "headache"),
    "dizziness": ("cns", "dizziness"),
    "blurred_vision": ("cns", "vision"),
    "concentration": ("cns", "concentration"),
    "memory": ("cns", "memory"),
}

# Composites that never reach 3: an amount-only item (hair loss) is graded with the
# interference-only table, whose highest grade is 2 [V §2.2]; no "composite 3" row for them.
TOPS_AT_2: frozenset[str] = frozenset({"hair_loss"})


# One trigger per symptom and report (§5.1 counts rules as triggers): composite 2 above its
# baseline is the "new or worse" row, composite 3 the "3" row (AMBER even at baseline, §5.4 as
# written), never both.


def _composite_new_or_worse(key: str) -> Finding:
    def finding(snapshot: Snapshot) -> str | None:
        now = _composite(snapshot.current, key)
        base = _baseline_composite(snapshot, key)
        if now is None or now < 2 or now - base < 1:
            return None
        return f"PRO-CTCAE {key.replace('_', ' ')} composite {now} (baseline {base})"

    return finding


def _composite_3(key: str) -> Finding:
    def finding(snapshot: Snapshot) -> str | None:
        if _composite(snapshot.current, key) == 3:
            return f"PRO-CTCAE {key.replace('_', ' ')} composite 3"
        return None

    return finding


def _composite_rules() -> tuple[Rule, ...]:
    rules = []
    tdxd_red = Rule(
        code="proctcae.red.tdxd_shortness_of_breath_3",
        kind="ild",
        level="red",
        symptom="dyspnea",
        source="§5.4 [D]",
        condition="T-DXd: PRO-CTCAE shortness-of-breath composite 3",
        finding=_composite_3("shortness_of_breath"),
        drugs=TDXD_ONLY,
        trigger="proctcae.shortness_of_breath",
    )
    for key, (kind, symptom) in PROCTCAE.items():
        words = key.replace("_", " ")
        rules.append(
            Rule(
                code=f"proctcae.amber.{key}_2_new_or_worse",
                kind=kind,
                level="amber",
                symptom=symptom,
                source="§5.4 [D]",
                condition=f"PRO-CTCAE {words} composite >= 2 and above its baseline",
                finding=_composite_new_or_worse(key),
                suppressible=kind == "ild",
                trigger=f"proctcae.{key}",  # one composite answer: one §5.1 trigger [D]
            )
        )
        if key in TOPS_AT_2:
            continue
        rules.append(
            Rule(
                code=f"proctcae.amber.{key}_3",
                kind=kind,
                level="amber",
                symptom=symptom,
                source="§5.4 [D]",
                condition=f"PRO-CTCAE {words} composite 3"
                + (" (not T-DXd: RED there)" if key == "shortness_of_breath" else ""),
                finding=_composite_3(key),
                drugs=NOT_TDXD if key == "shortness_of_breath" else None,
                suppressible=kind == "ild",
                trigger=f"proctcae.{key}",
            )
        )
    rules.append(tdxd_red)
    return tuple(rules)


COMPOSITE_RULES = _composite_rules()
