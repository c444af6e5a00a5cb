"""Single-item instruments: an overall quality-of-life rating and an ECOG self-report.

Both are ours to word, so their text ships with them:
- ``qol_rating``: overall quality of life in the past week, 0 (worst possible) to 10 (best
  possible), a numeric rating scale [D: the 0-10 range is the issue's; the wording is ours];
- ``ecog_self``: the patient's own ECOG performance status, 0-4, with the ECOG grade
  descriptions (Oken et al., Am J Clin Oncol 1982;5:649-655; ECOG-ACRIN places the scale in the
  public domain) in plain words [D]; grade 5 (dead) is not an answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from diary.instruments.base import Instrument, Item, ResponseScale, Scale, Scores

QOL_SCALE = ResponseScale(
    code="rating_0_10",
    minimum=0,
    maximum=10,
    labels=(
        "0 (worst possible)",
        *(str(n) for n in range(1, 10)),
        "10 (best possible)",
    ),
)

ECOG_SCALE = ResponseScale(
    code="ecog_0_4",
    minimum=0,
    maximum=4,
    labels=(
        "Fully active: I can do everything I could do before my illness.",
        "I cannot do heavy physical work, but I can walk about and do light work such as "
        "housework or office work.",
        "I can walk about and look after myself, but I cannot work. I am up and about more "
        "than half of my waking hours.",
        "I can look after myself only a little. I spend more than half of my waking hours in "
        "bed or a chair.",
        "I cannot look after myself at all. I spend all my time in bed or a chair.",
    ),
)


def _score_qol(answers: Mapping[str, int]) -> Scores:
    return {"QOL": answers.get("QOL")}


def _score_ecog(answers: Mapping[str, int]) -> Scores:
    return {"ECOG": answers.get("ECOG")}


QOL_RATING = Instrument(
    code="qol_rating",
    version="1",
    title="Overall quality of life",
    source="ToxWatch 0-10 rating [D]",
    recall="the past week",
    licensed=False,
    items=(
        Item(
            code="QOL",
            scale=QOL_SCALE,
            label="Overall quality of life",
            text="Overall, how would you rate your quality of life during the past week?",
        ),
    ),
    scales=(
        Scale(
            code="QOL",
            label="Overall quality of life",
            kind="rating",
            items=("QOL",),
            higher_is_better=True,
            maximum=10,
        ),
    ),
    scorer=_score_qol,
)

ECOG_SELF = Instrument(
    code="ecog_self",
    version="1",
    title="Activity level (ECOG performance status, self-reported)",
    source="ECOG performance status, Oken 1982 (public domain); patient wording [D]",
    recall="the past week",
    licensed=False,
    items=(
        Item(
            code="ECOG",
            scale=ECOG_SCALE,
            label="ECOG performance status",
            text="Which sentence describes you best during the past week?",
        ),
    ),
    scales=(
        Scale(
            code="ECOG",
            label="ECOG performance status (self-reported)",
            kind="rating",
            items=("ECOG",),
            higher_is_better=False,
            maximum=4,
        ),
    ),
    scorer=_score_ecog,
)
