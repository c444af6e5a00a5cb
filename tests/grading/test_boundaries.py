"""Every numeric threshold, just below, at and just above it: boundaries exactly as written."""

from __future__ import annotations

import pytest

from diary.grading import grade

Case = tuple[str, dict[str, object], int]


def cases(term: str, field: str, grades: list[tuple[object, int]], **others: object) -> list[Case]:
    return [(term, {field: value, **others}, expected) for value, expected in grades]


BOUNDARIES: list[Case] = [
    # Diarrhea: 1-3 G1, 4-6 G2, >=7 G3 stools/day over baseline [V]
    *cases("diarrhea", "stools_over_baseline", [(0, 0), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3)]),
    # Vomiting: any episode is G1 [V]
    *cases("vomiting", "vomiting_episodes_24h", [(0, 0), (1, 1)]),
    # Fever: 38.0-39.0 G1, >39.0-40.0 G2, >40.0 G3 (<=24 h) / G4 (>24 h) [V]
    *cases(
        "fever",
        "temp_c",
        [(37.9, 0), (38.0, 1), (38.1, 1), (39.0, 1), (39.1, 2), (40.0, 2)],
    ),
    *cases("fever", "temp_c", [(40.0, 2), (40.1, 3)], hours_above_40=0),
    *cases("fever", "hours_above_40", [(23.9, 3), (24, 3), (24.1, 4)], temp_c=40.1),
    *cases(
        "fever",
        "temp_f",
        [(100.3, 0), (100.4, 1), (102.2, 1), (102.3, 2), (104.0, 2)],
    ),
    *cases("fever", "temp_f", [(104.1, 3)], hours_above_40=24),
    *cases("fever", "temp_f", [(104.1, 4)], hours_above_40=25),
    # Hypoxia: <88% with exercise G2, <88% at rest G3; 88 does not meet "<88%" [V]
    *cases("hypoxia", "spo2_exertion", [(87, 2), (88, 0), (89, 0)]),
    *cases("hypoxia", "spo2_rest", [(87, 3), (88, 0), (89, 0)]),
    # Rash maculo-papular: <10% G1, 10-30% G2, >30% G2 (mild) / G3 (moderate, severe) [V]
    *cases(
        "rash_maculo_papular",
        "bsa_pct",
        [(0, 0), (0.1, 1), (9.9, 1), (10, 2), (10.1, 2), (30, 2)],
    ),
    *cases("rash_maculo_papular", "bsa_pct", [(30, 2), (30.1, 2)], symptom_severity="mild"),
    *cases("rash_maculo_papular", "bsa_pct", [(30, 2), (30.1, 3)], symptom_severity="moderate"),
    *cases("rash_acneiform", "bsa_pct", [(0, 0), (0.1, 1), (9.9, 1), (10, 2), (10.1, 2), (30, 2)]),
    *cases("rash_acneiform", "bsa_pct", [(30, 2), (30.1, 2)], symptom_severity="none"),
    *cases("rash_acneiform", "bsa_pct", [(30, 2), (30.1, 3)], symptom_severity="severe"),
    # Dry skin: <10% G1, 10-30% G2, >30% G3 (BSA primary [D]) [V]
    *cases("dry_skin", "bsa_pct", [(0, 0), (9.9, 1), (10, 2), (30, 2), (30.1, 3)]),
    # Alopecia: <50% G1, >=50% G2 [V]
    *cases("alopecia", "hair_loss_pct", [(0, 0), (0.5, 1), (49.9, 1), (50, 2), (50.1, 2)]),
    # Weight loss: 5 to <10% G1, 10 to <20% G2, >=20% G3 [V]
    *cases(
        "weight_loss",
        "current_weight_kg",
        [(57.1, 0), (57, 1), (56.9, 1), (54.1, 1), (54, 2), (48.1, 2), (48, 3), (47.9, 3)],
        baseline_weight_kg=60,
    ),
    # Febrile neutropenia: ANC <1000 with >38.3 once, or >=38.0 for more than one hour [V]
    *cases("febrile_neutropenia", "anc_per_mm3", [(999, 3), (1000, 0), (1001, 0)], temp_c=38.4),
    *cases("febrile_neutropenia", "temp_c", [(38.2, 0), (38.3, 0), (38.31, 3)], anc_per_mm3=800),
    *cases("febrile_neutropenia", "temp_f", [(100.94, 0), (100.95, 3)], anc_per_mm3=800),
    *cases(
        "febrile_neutropenia",
        "hours_at_or_above_38",
        [(0.9, 0), (1, 0), (1.1, 3)],
        anc_per_mm3=800,
        temp_c=38.0,
    ),
    *cases(
        "febrile_neutropenia",
        "temp_c",
        [(37.9, 0), (38.0, 3)],
        anc_per_mm3=800,
        hours_at_or_above_38=2,
    ),
    # Neutrophils: <LLN G1, <1500 G2, <1000 G3, <500 G4 [V]
    *cases(
        "neutrophil_count_decreased",
        "anc_per_mm3",
        [(2001, 0), (2000, 0), (1999, 1), (1500, 1), (1499, 2), (1000, 2), (999, 3)],
        lln_per_mm3=2000,
    ),
    *cases("neutrophil_count_decreased", "anc_per_mm3", [(500, 3), (499, 4), (0, 4)]),
    # Platelets: <LLN G1, <75,000 G2, <50,000 G3, <25,000 G4 [V]
    *cases(
        "platelet_count_decreased",
        "platelets_per_mm3",
        [(150_000, 0), (149_999, 1), (75_000, 1), (74_999, 2)],
        lln_per_mm3=150_000,
    ),
    *cases(
        "platelet_count_decreased",
        "platelets_per_mm3",
        [(50_000, 2), (49_999, 3), (25_000, 3), (24_999, 4)],
    ),
    # Anemia: <LLN G1, <10.0 G2, <8.0 G3 g/dL [V]
    *cases("anemia", "hb_g_dl", [(12.0, 0), (11.9, 1), (10.0, 1), (9.9, 2)], lln_g_dl=12.0),
    *cases("anemia", "hb_g_dl", [(8.0, 2), (7.9, 3)]),
    # ALT/AST: >ULN-3.0 G1, >3.0-5.0 G2, >5.0-20.0 G3, >20.0 G4 x ULN [V]
    *(
        case
        for short in ("alt", "ast")
        for case in cases(
            f"{short}_increased",
            f"{short}_x_uln",
            [(1.0, 0), (1.01, 1), (3.0, 1), (3.01, 2), (5.0, 2), (5.01, 3), (20.0, 3), (20.01, 4)],
        )
    ),
    # ... abnormal baseline: 1.5-3.0 G1, >3.0-5.0 G2, >5.0-20.0 G3, >20.0 G4 x baseline [V]
    *(
        case
        for short in ("alt", "ast")
        for case in cases(
            f"{short}_increased",
            f"{short}_x_baseline",
            [(1.49, 0), (1.5, 1), (3.0, 1), (3.01, 2), (5.0, 2), (5.01, 3), (20.0, 3), (20.1, 4)],
        )
    ),
    # Bilirubin: >ULN-1.5 G1, >1.5-3.0 G2, >3.0-10.0 G3, >10.0 G4 x ULN [V]
    *cases(
        "blood_bilirubin_increased",
        "bilirubin_x_uln",
        [(1.0, 0), (1.1, 1), (1.5, 1), (1.51, 2), (3.0, 2), (3.01, 3), (10.0, 3), (10.01, 4)],
    ),
    # Creatinine: >ULN-1.5 G1, >1.5-3.0 G2, >3.0-6.0 G3, >6.0 G4 x ULN; x baseline G2/G3 [V]
    *cases(
        "creatinine_increased",
        "creatinine_x_uln",
        [(1.0, 0), (1.01, 1), (1.5, 1), (1.51, 2), (3.0, 2), (3.01, 3), (6.0, 3), (6.01, 4)],
    ),
    *cases(
        "creatinine_increased",
        "creatinine_x_baseline",
        [(1.5, 0), (1.51, 2), (3.0, 2), (3.01, 3)],
    ),
    # LVEF: 50-40% G2, 39-20% G3, <20% G4; drop 10-19 G2, >=20 G3 [V]
    *cases(
        "ejection_fraction_decreased",
        "lvef_pct",
        [(51, 0), (50.1, 0), (50, 2), (40, 2), (39.9, 3), (39, 3), (20, 3), (19.9, 4)],
    ),
    *cases(
        "ejection_fraction_decreased",
        "drop_from_baseline_pts",
        [(9.9, 0), (10, 2), (19, 2), (19.9, 2), (20, 3)],
        lvef_pct=60,
    ),
    # QTc: 450-480 G1, 481-500 G2, >=501 G3; >60 ms change G3 [V]
    *cases(
        "electrocardiogram_qt_corrected_interval_prolonged",
        "qtc_ms",
        [(449, 0), (450, 1), (480, 1), (480.5, 2), (481, 2), (500, 2), (500.5, 3), (501, 3)],
    ),
    *cases(
        "electrocardiogram_qt_corrected_interval_prolonged",
        "qtc_increase_ms",
        [(60, 0), (60.1, 3)],
        qtc_ms=420,
    ),
    # Hypokalemia: <LLN G1, <3.0 G3, <2.5 G4 mmol/L [V]
    *cases(
        "hypokalemia",
        "potassium_mmol_l",
        [(3.5, 0), (3.49, 1), (3.0, 1), (2.99, 3), (2.5, 3), (2.49, 4)],
        lln_mmol_l=3.5,
    ),
]


@pytest.mark.parametrize(
    ("term", "inputs", "expected"),
    BOUNDARIES,
    ids=[f"{t}-{'-'.join(f'{k}={v}' for k, v in i.items())}" for t, i, _ in BOUNDARIES],
)
def test_threshold_is_applied_exactly_as_written(
    term: str, inputs: dict[str, object], expected: int
) -> None:
    result = grade(term, inputs)
    assert (result.status, result.grade) == ("graded", expected)


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (64.3, 61.085, 1),  # exactly 5%: float arithmetic gives 4.999...
        (55.5, 49.95, 2),  # exactly 10%: float arithmetic gives 9.999...
        (83.1, 66.48, 3),  # exactly 20%: float arithmetic gives 19.999...
        (41.1, 36.99, 2),
        (49.9, 39.92, 3),
        (60, 48, 3),  # 12/60 is exactly 20% (case G166)
    ],
)
def test_weight_loss_percentage_is_computed_exactly(
    baseline: float, current: float, expected: int
) -> None:
    inputs = {"baseline_weight_kg": baseline, "current_weight_kg": current}
    assert grade("weight_loss", inputs).grade == expected


@pytest.mark.parametrize(
    ("fahrenheit", "celsius"), [(100.4, 38.0), (102.2, 39.0), (104.0, 40.0), (100.94, 38.3)]
)
def test_a_fahrenheit_reading_grades_like_its_exact_celsius_value(
    fahrenheit: float, celsius: float
) -> None:
    for hours in (0, 30):
        in_f = grade("fever", {"temp_f": fahrenheit, "hours_above_40": hours})
        in_c = grade("fever", {"temp_c": celsius, "hours_above_40": hours})
        assert in_f == in_c
        in_f = grade("febrile_neutropenia", {"anc_per_mm3": 500, "temp_f": fahrenheit})
        in_c = grade("febrile_neutropenia", {"anc_per_mm3": 500, "temp_c": celsius})
        assert in_f == in_c


def test_the_higher_reading_counts_when_both_units_are_sent() -> None:
    assert grade("fever", {"temp_c": 37.0, "temp_f": 102.3}).grade == 2
    assert grade("fever", {"temp_c": 39.5, "temp_f": 98.6}).grade == 2
