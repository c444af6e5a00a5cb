"""Which rules can fire on a report, worked out once per kind of report (issue 17): evaluating
every rule on every report spent most of the rules' time on rules that cannot fire (a §5.4
composite rule on an entry without composites, a §5.5 rule for a patient without brain
metastases).

A rule is asked only when it applies to the patient (``Rule.applies_to``: drug, brain
metastases) and, when ``NEEDS`` names what it reads on the current report, when the current
report holds at least one of those inputs. ``NEEDS`` is a table by rule code, as
``alerts.rules.measures`` is, so the rule rows stay as the reference reads them. Each entry
names inputs without which the rule's finding is None whatever the history and baseline hold:
a symptom term (its answers or its grade), a PRO-CTCAE composite (``composite:<key>``), or a
medication field. A rule left out of the table is asked on every report, so a new rule is
never skipped by mistake. tests/alerts/test_rule_plan.py holds the table to the predicates:
with its inputs taken off the current report a rule never fires, and ``evaluate`` equals asking
every rule (``alerts.rules._evaluate_every_rule``) on generated snapshots.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from alerts.rules.base import Rule, Snapshot
from alerts.rules.measures import Reader, reader_for
from alerts.rules.proctcae import PROCTCAE, TOPS_AT_2

COMPOSITE = "composite:"  # a PRO-CTCAE composite by symptom key: "composite:cough"
LOPERAMIDE = "loperamide_mg"  # present when the report gives a dose
MISSED_DOSES = "tki_doses_missed"  # present when the report gives a number other than 0

# The respiratory answers compared with the baseline (alerts.rules.ild.RESPIRATORY).
RESPIRATORY = frozenset(
    {
        "dyspnea",
        "cough",
        f"{COMPOSITE}shortness_of_breath",
        f"{COMPOSITE}cough",
        f"{COMPOSITE}wheezing",
    }
)

# rule code -> inputs of the current report, at least one of which the rule needs to fire.
NEEDS: Mapping[str, frozenset[str]] = {
    # §5.2 ILD
    "ild.red.dyspnea_at_rest_or_self_care": frozenset({"dyspnea"}),
    "ild.red.spo2_rest_below_88": frozenset({"hypoxia"}),
    "ild.red.tdxd_spo2_rest_92_or_below": frozenset({"hypoxia"}),
    "ild.red.tdxd_spo2_rest_drop_4": frozenset({"hypoxia"}),
    "ild.red.tdxd_respiratory_symptom_with_fever": RESPIRATORY,  # and "fever"
    "ild.red.tdxd_respiratory_symptom_with_risk_factor": RESPIRATORY,
    "ild.amber.dyspnea_new_or_worse": frozenset({"dyspnea"}),
    "ild.amber.sob_composite_up_1": frozenset({f"{COMPOSITE}shortness_of_breath"}),
    "ild.amber.new_cough": frozenset({"cough"}),
    "ild.amber.cough_composite_2": frozenset({f"{COMPOSITE}cough"}),
    "ild.amber.spo2_exertion_below_88": frozenset({"hypoxia"}),
    "ild.amber.spo2_exertion_drop_4": frozenset({"hypoxia"}),
    # §5.3 GI
    "gi.amber.diarrhea_g2": frozenset({"diarrhea"}),
    "gi.amber.diarrhea_g1_persisting_48h_on_loperamide": frozenset({"diarrhea"}),
    "gi.amber.diarrhea_composite_2_consecutive": frozenset({f"{COMPOSITE}diarrhea"}),
    "gi.red.diarrhea_g3": frozenset({"diarrhea"}),
    "gi.red.diarrhea_complicated": frozenset({"diarrhea"}),
    "gi.red.diarrhea_g2_persisting_24h_on_loperamide": frozenset({"diarrhea"}),
    "gi.amber.vomiting_two_consecutive_days": frozenset({"vomiting"}),
    "gi.amber.nausea_intake_decreased": frozenset({"nausea"}),
    "gi.red.unable_to_keep_fluids_24h": frozenset({"dehydration"}),
    "gi.red.vomiting_6_episodes_24h": frozenset({"vomiting"}),
    "gi.red.vomiting_iv_fluids_or_hospital": frozenset({"vomiting"}),
    "gi.amber.vomiting_new_antiemetic": frozenset({"vomiting"}),
    "gi.amber.dehydration": frozenset({"dehydration"}),
    "gi.red.dehydration_iv_fluids_or_hospital": frozenset({"dehydration"}),
    "gi.red.dehydration_with_diarrhea_or_vomiting": frozenset({"dehydration"}),  # and a loss
    # §5.3 fever: every rule reads the temperature or its hours
    "fever.red.temp_38_0_or_above": frozenset({"fever"}),
    "fever.red.temp_above_38_3": frozenset({"fever"}),
    "fever.red.sustained_38_over_1h": frozenset({"fever"}),
    "fever.red.chills_with_raised_temperature": frozenset({"fever"}),
    "fever.amber.temp_37_5_to_37_9_twice_24h": frozenset({"fever"}),
    # §5.3 liver and heart
    "hepatic.amber.liver_symptom": frozenset({"liver_symptoms"}),
    "hepatic.red.jaundice": frozenset({"liver_symptoms"}),
    "cardiac.amber.breathless_with_heart_symptom": frozenset({"heart_symptoms"}),  # and dyspnea
    # §5.5 CNS
    "cns.red.seizure": frozenset({"seizure"}),
    "cns.red.new_confusion": frozenset({"confusion"}),
    "cns.red.new_one_sided_weakness": frozenset(
        {"muscle_weakness_left_sided", "muscle_weakness_right_sided"}
    ),
    "cns.red.new_speech_difficulty": frozenset({"dysphasia"}),
    "cns.red.headache_severe": frozenset({"headache"}),
    "cns.red.headache_with_vomiting_same_day": frozenset({"headache"}),
    "cns.amber.headache_moderate_or_worse": frozenset({"headache"}),
    "cns.amber.new_dizziness": frozenset({"dizziness"}),
    "cns.amber.vision_change": frozenset({"vision_change"}),
    # §5.6 medication
    "adherence.amber.missed_tki_doses_2_in_7_days": frozenset({MISSED_DOSES}),
    "loperamide.amber.over_16_mg_24h": frozenset({LOPERAMIDE}),
    # §5.4 composites: each row reads its own composite
    **{
        f"proctcae.amber.{key}{suffix}": frozenset({f"{COMPOSITE}{key}"})
        for key in PROCTCAE
        for suffix in ("_2_new_or_worse", "_3")
        if not (suffix == "_3" and key in TOPS_AT_2)
    },
    "proctcae.red.tdxd_shortness_of_breath_3": frozenset({f"{COMPOSITE}shortness_of_breath"}),
}


class Plan:
    """The rules of ``rules`` (in their order) to ask about a snapshot, and each one's measure
    reader. The rules asked depend only on the drug, brain metastases and which ``NEEDS``
    inputs the current report holds, so each such combination is worked out once per process
    (a bounded cache: a diary form asks few combinations)."""

    def __init__(self, rules: tuple[Rule, ...], needs: Mapping[str, frozenset[str]]) -> None:
        self._rules = rules
        self._needs = {rule.code: needs.get(rule.code, frozenset()) for rule in rules}
        named = frozenset().union(*self._needs.values())
        self._terms = frozenset(
            n for n in named if n not in (LOPERAMIDE, MISSED_DOSES) and not n.startswith(COMPOSITE)
        )
        self._composites = frozenset(
            n.removeprefix(COMPOSITE) for n in named if n.startswith(COMPOSITE)
        )
        self.readers: Mapping[str, Reader | None] = {r.code: reader_for(r.code) for r in rules}
        self._for = functools.lru_cache(maxsize=1024)(self._work_out)

    def rules_for(self, snapshot: Snapshot) -> tuple[Rule, ...]:
        current = snapshot.current
        terms = self._terms.intersection(current.symptoms)
        if current.grades:
            terms = terms.union(self._terms.intersection(current.grades))
        return self._for(
            snapshot.drug,
            bool(snapshot.brain_metastases),
            terms,
            self._composites.intersection(current.composites),
            current.loperamide_mg is not None,
            bool(current.tki_doses_missed),
        )

    def _work_out(
        self,
        drug: str,
        brain_metastases: bool,
        terms: frozenset[str],
        composites: frozenset[str],
        loperamide: bool,
        missed_doses: bool,
    ) -> tuple[Rule, ...]:
        present = set(terms)
        present.update(f"{COMPOSITE}{key}" for key in composites)
        present.update(
            n for n, ok in ((LOPERAMIDE, loperamide), (MISSED_DOSES, missed_doses)) if ok
        )
        return tuple(
            rule
            for rule in self._rules
            if rule.applies(drug=drug, brain_metastases=brain_metastases)
            and (not self._needs[rule.code] or not self._needs[rule.code].isdisjoint(present))
        )
