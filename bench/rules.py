"""bench/rules: the CPU of ``alerts.rules.evaluate`` alone, in one process (issue 17).

The snapshots are those the ingest benches make the rules judge: patients on T-DXd, zongertinib
and sevabertinib (baseline SpO2 97/95, no breathlessness), two weeks of history at two entries a
day and a current entry, all with the bodies of ``bench.ingest.make_entry`` graded by
``diary.grading`` as ``alerts.pipeline`` passes them (history oldest first, local times).
``--mix wide`` adds brain metastases, risk factors and PRO-CTCAE composites to every snapshot,
so that every rule module is reached.

Prints the best of ``--rounds`` timed rounds (µs per evaluation; only ratios run back to back
mean anything on a shared machine), then one round under cProfile: function calls per
evaluation and the calls of the functions named in issue 17 (``Rule.fire``, ``_answer``,
``Fraction``), which do not depend on the machine's load.

    .venv/bin/python bench/rules.py [--snapshots 500] [--rounds 5] [--mix bench|wide]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts import rules  # noqa: E402
from bench.ingest import make_entry  # noqa: E402
from diary.grading import grade  # noqa: E402

DRUGS = {"trastuzumab_deruxtecan": "adc", "zongertinib": "tki", "sevabertinib": "tki"}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WATCHED = ("fire", "_answer", "__new__")  # Fraction.__new__: one per Fraction made


def _report(rng: random.Random, at: datetime, wide: bool) -> rules.Report:
    body = make_entry(rng)
    symptoms = body["symptoms"]
    if wide and rng.random() < 0.5:
        symptoms["headache"] = {"pain_severity": rng.choice(("none", "mild", "moderate"))}
        symptoms["cough"] = {"cough_severity": rng.choice(("none", "mild"))}
    meds = body["medications"]
    composites = (
        {key: rng.randint(0, 3) for key in rng.sample(sorted(rules.PROCTCAE), 3)} if wide else {}
    )
    return rules.Report(
        entry_id=body["id"],
        recorded_at=at.astimezone(datetime.fromisoformat(body["recorded_at"]).tzinfo),
        symptoms=symptoms,
        grades={term: grade(term, inputs).grade for term, inputs in symptoms.items()},
        composites=composites,
        loperamide_mg=float(meds["loperamide_mg"]),
        tki_doses_taken=meds["tki_doses_taken"],
        tki_doses_missed=meds["tki_doses_missed"],
    )


def snapshots(count: int, wide: bool) -> list[rules.Snapshot]:
    rng = random.Random(17)
    made = []
    for n in range(count):
        drug = list(DRUGS)[n % len(DRUGS)]
        history = tuple(
            _report(rng, NOW - timedelta(hours=12 * k + rng.uniform(1, 11)), wide)
            for k in range(28, 0, -1)
        )
        made.append(
            rules.Snapshot(
                drug=drug,
                drug_class=DRUGS[drug],
                baseline=rules.Baseline(
                    stools_per_day=2, spo2_rest=97, spo2_exertion=95, sob_exertion="none"
                ),
                risk_factors=("age_under_65",) if wide and n % 2 else (),
                brain_metastases=wide,
                treatment_started_on=date(2026, 9, 24),
                last_infusion_on=date(2026, 11, 20) if DRUGS[drug] == "adc" else None,
                infusion_dates=(date(2026, 10, 30), date(2026, 11, 20))
                if DRUGS[drug] == "adc"
                else (),
                current=_report(rng, NOW, wide),
                history=history,
            )
        )
    return made


def evaluate_all(made: list[rules.Snapshot]) -> None:
    for snapshot in made:
        rules.evaluate(snapshot)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--snapshots", type=int, default=500)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--mix", choices=("bench", "wide"), default="bench")
    args = p.parse_args(argv)
    made = snapshots(args.snapshots, args.mix == "wide")
    evaluate_all(made)  # warm-up
    best = float("inf")
    for _ in range(args.rounds):
        began = time.process_time()
        evaluate_all(made)
        best = min(best, time.process_time() - began)
    profiler = cProfile.Profile()
    profiler.runcall(evaluate_all, made)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    calls = sum(row[1] for row in stats.values())
    watched = dict.fromkeys(WATCHED, 0)
    findings = {
        (r.finding.__code__.co_filename, r.finding.__code__.co_firstlineno) for r in rules.RULES
    }
    asked = sum(row[1] for (f, line, _), row in stats.items() if (f, line) in findings)
    for (filename, _, name), row in stats.items():
        if name in watched and (name != "__new__" or filename.endswith("fractions.py")):
            watched[name] += row[1]
    n = len(made)
    print(f"alerts.rules.evaluate, {n} snapshots (--mix {args.mix}), best of {args.rounds}:")
    print(f"  {1e6 * best / n:.1f} µs per evaluation (CPU time)")
    print(f"  {calls / n:.1f} function calls per evaluation (cProfile)")
    print(f"  {asked / n:.1f} rule predicates asked per evaluation (of {len(rules.RULES)})")
    for name, count in watched.items():
        shown = "Fraction()" if name == "__new__" else name
        print(f"  {shown}: {count / n:.1f} calls per evaluation")
    print(
        "reproduce: .venv/bin/python bench/rules.py "
        f"--snapshots {n} --rounds {args.rounds} --mix {args.mix}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
