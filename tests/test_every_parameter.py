"""Every parameter changes some output (a dead parameter is a bug, or a reviewed exception).

Each parameter is moved to another valid value and a short run on the small map is
compared with the unperturbed one, summary and daily series together. The base scenario
switches on every mechanism: a mirrored zone, guarantees that arrive, a reassurance force
and arms support, so that each parameter has something to act on.
"""

import typing

import pandas as pd
import pytest
from dmzsim.model.api import simulate
from dmzsim.model.params import Params
from dmzsim.model.theatre_map import load_map
from dmzsim.runs.publish.compare import same

from tests.helpers import SMALL_MAP, small

BASE = {"sequencing": "territory_first", "dmz_shape": "mirrored", "guarantee_delay_days": 30,
        "guarantee_delivery_prob": 0.9, "reassurance_force_personnel": 10_000.0,
        "arms_support": 0.3, "horizon_days": 320, "ru_theatre_share": 0.35,
        "resumption_cost_km2": 0.0, "ceasefire_dividend_km2_per_year": 0.0,
        "guarantor_cost_km2": 500.0}
SEEDS = (0, 1, 2, 3)

# Reviewed exceptions: parameters that cannot change outputs in the base scenario, and why.
# (None yet.)
INERT: dict[str, str] = {}

# Where the base scenario hides a parameter's effect, the scenario that shows it.
CONTEXT: dict[str, dict] = {
    "withdrawal_start_day": {"withdrawal_start_day": 0, "sequencing": "guarantees_first"},
    "rear_fortification": {"dmz_shape": "unilateral"},
    "withdrawal_multiplier": {"withdrawal_days": 300},
    "ua_theatre_cap_personnel": {"ua_theatre_share": 0.6},
    "unilateral_zone": {"dmz_shape": "unilateral"},
    "hasty_multiplier": {"initial_fortification": 0.0, "rear_fortification": 0.0},
    "political_noise": {"sequencing": "frozen_line", "resumption_cost_km2": 300.0},
    "campaign_days": {"campaign_days": 20},
    "lookahead_days": {"lookahead_days": 14, "discount_per_year": 0.0, "ru_theatre_share": 1.0,
                       "campaign_days": 20},
    "ceasefire_dividend_years": {"sequencing": "frozen_line", "ceasefire_dividend_years": 0.1,
                                 "ceasefire_dividend_km2_per_year": 3000.0},
    "political_shock_sd": {"political_shock_per_year": 6.0, "sequencing": "frozen_line",
                           "resumption_cost_km2": 300.0},
    "guarantor_shock_sd": {"guarantor_shock_per_year": 6.0},
    "guarantor_shock_per_year": {"guarantor_shock_per_year": 6.0},
    "max_attack_frontage_km": {"max_attack_frontage_km": 25.0, "sequencing": "frozen_line",
                               "resumption_cost_km2": 300.0, "ru_theatre_share": 0.15},
    "political_shock_force_sd": {"political_shock_per_year": 6.0, "sequencing": "frozen_line",
                                 "ru_theatre_share": 0.6},
    "incident_cost_relief": {"zone_incident_per_year": 26.0, "sequencing": "frozen_line",
                             "resumption_cost_km2": 300.0},
}


def _other_value(name: str, value, field) -> typing.Any:
    choices = typing.get_args(field.annotation)
    if choices and all(isinstance(c, str) for c in choices):
        return next(c for c in choices if c != value)
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    if isinstance(value, bool):
        return not value
    if name == "aims_scenario":  # a name the map defines: another of its aims scenarios
        return next(a for a in load_map(SMALL_MAP).aims if a != value)
    if isinstance(value, str):  # a name the map defines: another of its zones
        return next(z for z in load_map(SMALL_MAP).zones if z != value)
    if isinstance(value, int):
        new = value * 2 if value > 0 else value + 30
        return int(min(new, hi)) if new <= hi else max(lo, value // 2)
    new = value * 1.5 if value > 0 else (hi - lo) / 2
    return float(min(new, hi)) if new <= hi else float(max(lo, value / 2))


def _outputs(params: Params):
    out = []
    for s in SEEDS:
        r = simulate(params, s, series_every=1, map_path=SMALL_MAP)
        out.append((r.summary, r.series))
    return out


def _differ(a, b) -> bool:
    for (sa, da), (sb, db) in zip(a, b, strict=True):
        if sa.keys() != sb.keys():
            return True
        for k in sa:
            if not same(sa[k], sb[k]):
                return True
        if da.shape != db.shape:
            return True
        try:
            pd.testing.assert_frame_equal(da, db)
        except AssertionError:
            return True
    return False


@pytest.mark.parametrize("name", [n for n in Params.model_fields if n not in INERT])
def test_parameter_changes_some_output(name):
    field = Params.model_fields[name]
    base = small(**{**BASE, **CONTEXT.get(name, {})})
    changed = base.replace(**{name: _other_value(name, getattr(base, name), field)})
    assert _differ(_outputs(base), _outputs(changed)), f"{name} changed nothing"
