"""Regenerate the golden baseline: ``python -m tests.baseline.regenerate``.

Commit the new ``default.json`` only together with a CHANGELOG "Changed results" line
saying why the numbers moved.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from dmzsim.model.api import simulate

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "default.json"
CASES = [
    {"sequencing": "no_deal"},
    {"sequencing": "frozen_line"},
    {"sequencing": "territory_first"},
    {"sequencing": "guarantees_first"},
    {"sequencing": "simultaneous", "dmz_shape": "mirrored"},
]
SEEDS = (0, 1)


def compute() -> list[dict]:
    """Summaries of the default map for each case and seed."""
    out = []
    for case in CASES:
        for seed in SEEDS:
            summary = simulate(case, seed).summary
            clean = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                     for k, v in summary.items()}
            out.append({"params": case, "seed": seed, "summary": clean})
    return out


def main() -> None:
    BASELINE.write_text(json.dumps(compute(), indent=1, default=float) + "\n")
    print(f"wrote {BASELINE}")


if __name__ == "__main__":
    main()
