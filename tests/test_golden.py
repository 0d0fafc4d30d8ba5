"""The golden baseline: default-map summaries must not move without a CHANGELOG line.

Compared by the rule ``dmzsim verify`` uses (``runs/publish/compare.py``): counts, days,
yes/no and categories exactly, real numbers within 1e-9 relative (their last bits may
differ between CPUs). If this fails after an intended change, run
``python -m tests.baseline.regenerate`` and add a "Changed results" line to CHANGELOG.md.
"""

import json

import pytest
from dmzsim.model.api import simulate
from dmzsim.runs.publish.compare import compare_records

from tests.baseline.regenerate import BASELINE


@pytest.mark.parametrize("entry", json.loads(BASELINE.read_text()),
                         ids=lambda e: f"{e['params']}-{e['seed']}")
def test_matches_golden_baseline(entry):
    got = simulate(entry["params"], entry["seed"]).summary
    moved = [d for d in compare_records(entry["summary"], got) if not d.within]  # null: NaN
    assert not moved, "\n".join(f"{d.name}: baseline {d.reference!r}, now {d.now!r}"
                                for d in moved)
