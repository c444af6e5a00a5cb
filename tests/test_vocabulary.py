"""The Django choices and diary.vocabulary name the same levels, kinds, channels and drugs, with
the same labels: a value added to (or renamed in) one list and not the other fails here."""

from __future__ import annotations

from alerts import rules
from alerts.models import Channel, Kind, Level
from diary import drugs, vocabulary
from diary.models import AlertLevel, Drug


def test_the_entry_levels_are_the_vocabulary_levels_in_order() -> None:
    assert tuple(AlertLevel.values) == vocabulary.LEVELS
    assert dict(AlertLevel.choices) == dict(vocabulary.LEVEL_LABELS)
    assert [vocabulary.LEVEL_RANK[level] for level in vocabulary.LEVELS] == [0, 1, 2]


def test_the_alert_levels_are_the_vocabulary_levels_other_than_green() -> None:
    assert tuple(Level.values) == tuple(v for v in vocabulary.LEVELS if v != vocabulary.GREEN)
    assert dict(Level.choices) == {v: vocabulary.LEVEL_LABELS[v] for v in Level.values}


def test_the_alert_kinds_are_the_vocabulary_kinds() -> None:
    assert dict(Kind.choices) == dict(vocabulary.KIND_LABELS)
    assert tuple(Kind.values) == vocabulary.KINDS


def test_every_rule_raises_a_kind_of_the_vocabulary() -> None:
    kinds = {rule.kind for rule in rules.RULES} | {
        rules.MISSED_DIARY_KIND,
        *rules.NOT_SYMPTOM_KINDS,
        *rules.RECHECK_TERMS,
    }
    assert kinds <= set(vocabulary.KINDS)


def test_the_notification_channels_are_the_vocabulary_channels() -> None:
    assert dict(Channel.choices) == dict(vocabulary.CHANNEL_LABELS)
    channels = {c for level in rules.CHANNELS_BY_LEVEL.values() for c in level}
    assert channels <= set(vocabulary.CHANNELS)
    assert set(rules.CHANNELS_BY_LEVEL) == {vocabulary.AMBER, vocabulary.RED}


def test_the_course_drugs_are_the_vocabulary_drugs_and_the_catalogue() -> None:
    assert dict(Drug.choices) == dict(vocabulary.DRUG_LABELS)
    assert tuple(drugs.DRUGS) == vocabulary.DRUGS
    assert {key: drug.drug_class for key, drug in drugs.DRUGS.items()} == vocabulary.DRUG_CLASS
    assert set(vocabulary.DRUG_CLASS.values()) == set(vocabulary.DRUG_CLASSES)
    assert set(vocabulary.DRUGS) >= drugs.HEART_CHECK_DRUGS
    assert set(vocabulary.DRUGS) >= drugs.LIVER_CHECK_DRUGS


def test_the_nurse_guidance_covers_kinds_and_drugs_of_the_vocabulary() -> None:
    from clinicians import guidance

    assert set(guidance.KIND_GUIDANCE) <= set(vocabulary.KINDS)
    drugs_named = {drug for per_drug in guidance.KIND_GUIDANCE.values() for drug in per_drug}
    assert drugs_named - {guidance.ANY} <= set(vocabulary.DRUGS)
