"""§5.3 hepatotoxicity and LV dysfunction: each predicate directly above its rule row.

Every threshold cites its tag in ../shared/clinical/reference.md ([V] verified, [S] secondary,
[D] design choice needing clinical sign-off); docs/alert-rules.md lists every rule code. Rule
codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

from alerts.rules.base import (
    SOB_EXERTION,
    SOB_TEXT,
    Snapshot,
    _yes,
)
from alerts.rules.book import RuleBook
from alerts.rules.ild import _sob, _sob_baseline
from diary.vocabulary import HEART_CHECK_DRUGS, LIVER_CHECK_DRUGS

LIVER_FIELDS = (
    ("jaundice", "jaundice"),
    ("dark_urine", "dark urine"),
    ("right_upper_abdominal_pain", "right upper abdominal pain"),
)

HEART_FIELDS = (
    ("leg_swelling", "leg swelling"),
    ("breathless_lying_flat", "breathless lying flat"),
    ("palpitations", "palpitations"),
)

ORGANS = RuleBook()


@ORGANS.rule(
    code="hepatic.amber.liver_symptom",
    trigger="hepatic.liver_symptoms",
    kind="hepatic",
    level="amber",
    symptom="liver",
    source="§5.3 hepatotoxicity [D]",
    condition="Zongertinib/sevabertinib: jaundice, dark urine or right upper abdominal pain",
    drugs=LIVER_CHECK_DRUGS,
)
def _liver_symptom(snapshot: Snapshot) -> str | None:
    found = [text for name, text in LIVER_FIELDS if _yes(snapshot.current, "liver_symptoms", name)]
    return f"liver symptom(s): {', '.join(found)} (LFTs needed)" if found else None


@ORGANS.rule(
    code="hepatic.red.jaundice",
    trigger="hepatic.liver_symptoms",
    kind="hepatic",
    level="red",
    symptom="liver",
    source="§5.3 hepatotoxicity [D]",
    condition="Zongertinib/sevabertinib: jaundice",
    drugs=LIVER_CHECK_DRUGS,
)
def _jaundice(snapshot: Snapshot) -> str | None:
    return (
        "jaundice (LFTs needed)" if _yes(snapshot.current, "liver_symptoms", "jaundice") else None
    )


@ORGANS.rule(
    code="cardiac.amber.breathless_with_heart_symptom",
    kind="cardiac",
    level="amber",
    # The breathlessness is the shared symptom: with the ILD dyspnea AMBER it is one
    # symptom for §5.1, so the LV rule stays AMBER as the reference says [D].
    symptom="dyspnea",
    source="§5.3 LV dysfunction [D]",
    condition="T-DXd/zongertinib: dyspnea worse than baseline with leg swelling, "
    "orthopnoea or palpitations",
    drugs=HEART_CHECK_DRUGS,
)
def _breathless_with_heart_symptom(snapshot: Snapshot) -> str | None:
    now = _sob(snapshot.current)
    base = _sob_baseline(snapshot)
    found = [text for name, text in HEART_FIELDS if _yes(snapshot.current, "heart_symptoms", name)]
    if now is None or now <= base or not found:
        return None
    return (
        f"new breathlessness ({SOB_TEXT[SOB_EXERTION[now]]}; baseline: "
        f"{SOB_TEXT[SOB_EXERTION[base]]}) with {', '.join(found)} (LVEF check per label schedule)"
    )


ORGAN_RULES = ORGANS.rules
