"""The golden baseline: default-map summaries must not move without a CHANGELOG line.

If this fails after an intended change, run ``python -m tests.baseline.regenerate`` and
add a "Changed results" line to CHANGELOG.md.
"""

import json
import math

import pytest
from dmzsim.model.api import simulate

from tests.baseline.regenerate import BASELINE


@pytest.mark.parametrize("entry", json.loads(BASELINE.read_text()),
                         ids=lambda e: f"{e['params']}-{e['seed']}")
def test_matches_golden_baseline(entry):
    got = simulate(entry["params"], entry["seed"]).summary
    for key, want in entry["summary"].items():
        value = got[key]
        if want is None:
            assert isinstance(value, float) and math.isnan(value), key
        elif isinstance(want, str):
            assert value == want, key
        else:
            assert value == pytest.approx(want, rel=1e-9, abs=1e-9), key
