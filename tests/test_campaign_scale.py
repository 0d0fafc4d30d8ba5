"""Campaigns that scale with superiority (``max_attack_frontage_km``): Russia's main effort
widens its frontage while its expected ratio stays at a breakthrough's, and combat fights
its breach on the width the forecast chose.

(a) On a hand-built world a larger superiority buys a wider offensive and a larger
    forecast gain; with the widest frontage at the attack frontage it does not.
(b) Without a surplus over a breakthrough nothing widens: the estimate is the same.
(c) The breach combat fights is as wide as the forecast's frontage, through Russia's own
    command.
(d) Null test: the widest frontage at (or below) the attack frontage reproduces the
    default's runs on paired seeds.
(e) The width chosen and what it is worth do not move with the partition into sectors
    or the cell size.
"""

import numpy as np
import pytest
from dmzsim.model import kernels
from dmzsim.model.aims import axis_of_advance
from dmzsim.model.api import simulate
from dmzsim.model.forces import RU, Posture
from dmzsim.model.main_effort import frontages
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import MECHANISMS_OFF
from dmzsim.model.processes import decision

from tests.helpers import SMALL_MAP, same_records
from tests.helpers import small as _small

QUIET = {"sequencing": "frozen_line", "decision_noise": 0.0}
SURPLUS = (20_000.0, 40_000.0, 80_000.0)  # Russian reserves added: ratios ~3.3, 5.2, 9


def small(**changes):
    """The small world with every mechanism of a late peace switched off but the one a test
    names: these tests measure each mechanism against the model without the others."""
    return _small(**{**MECHANISMS_OFF, **changes})


def _estimate(extra: float, **params) -> decision.Estimate:
    """Russia's estimate today on the small map (44 km of front), ``extra`` personnel
    of ready reserves added to its side."""
    m = CeasefireModel(small(**{**QUIET, **params}), rng=0, map_path=SMALL_MAP)
    m.add_unit(RU, extra, 1.0, Posture.RESERVE, -1)
    return decision.estimate(m, np.zeros(m.lines.windows.n), lookahead=False)


def test_the_frontage_rule_widens_while_the_ratio_holds():
    ratio = np.array([[3.5, 2.0, 5.0], [3.1, 1.0, 4.0], [2.9, 0.5, 3.2], [3.3, 0.2, 3.0]])
    # widest before the first shortfall; the narrowest where even it falls short
    assert kernels.widest_frontage(ratio, 3.0).tolist() == [1, 0, 3]
    assert frontages(small()).tolist() == [20.0]  # the default: no widening
    assert frontages(small(max_attack_frontage_km=42.0)).tolist() == [20, 25, 30, 35, 40, 42]


def test_a_larger_superiority_gives_a_larger_forecast_gain():
    on = [_estimate(x, max_attack_frontage_km=40.0) for x in SURPLUS]
    width = [float(e.frontage[0]) for e in on]
    gain = [float(e.gain[0]) for e in on]
    assert width == sorted(width) and width[0] > 20.0 and width[-1] == 40.0
    assert gain[0] < gain[1] <= gain[2] and gain[2] > 1.5 * gain[0]
    assert all(e.ratio[0] >= e.required for e in on)  # every width still breaks through
    # the cause switched off: on the attack frontage alone, more force buys no more ground
    off = [_estimate(x) for x in SURPLUS]
    assert all(float(e.frontage[0]) == 20.0 for e in off)
    assert max(e.gain[0] for e in off) == pytest.approx(min(e.gain[0] for e in off), rel=0.02)
    assert gain[-1] > 1.5 * off[-1].gain[0]


def test_without_a_surplus_nothing_widens():
    on, off = _estimate(5_000.0, max_attack_frontage_km=60.0), _estimate(5_000.0)
    assert on.ratio[0] < on.required
    for field in ("window", "ratio", "gain", "losses", "guarantor", "ending", "frontage"):
        assert np.array_equal(getattr(on, field), getattr(off, field)), field


def _resumed(params, seed: int) -> tuple[CeasefireModel, decision.Estimate]:
    """Run until Russia resumes; the model and the estimate it resumed on."""
    m = CeasefireModel(params, rng=seed, map_path=SMALL_MAP)
    while m.phase != "resumed" and m.day < params.horizon_days:
        m.step()
    assert m.phase == "resumed"
    return m, m.russia.last


def test_the_breach_is_as_wide_as_the_forecast():
    p = small(sequencing="frozen_line", ru_theatre_share=0.15, max_attack_frontage_km=40.0,
              resumption_cost_km2=300.0)
    m, est = _resumed(p, 5)  # a seed whose offensive widens, to 30 km
    effort = m.effort
    assert effort.frontage_km == float(est.frontage[0]) > p.attack_frontage_km
    lo, hi = m.lines.windows_at(effort.frontage_km).spans  # the front combat meets
    assert hi[effort.window] - lo[effort.window] == pytest.approx(effort.frontage_km)
    # the breach's strip is the forecast's corridor: cells within half the width of
    # its axis (a cell's half-diagonal either side)
    th = m.theatre
    centre = float(m.lines.windows_at(effort.frontage_km).centre[effort.window])
    ax, ay, dx, dy = axis_of_advance(th, effort.frontage_km, centre)
    x, y = th.raster.x_km.ravel(), th.raster.y_km.ravel()
    cells = effort.breach.cells
    across = -(x[cells] - ax) * dy + (y[cells] - ay) * dx
    reach = effort.frontage_km / 2.0
    assert across.max() == pytest.approx(reach, abs=th.cell_km)
    assert across.min() == pytest.approx(-reach, abs=th.cell_km)


@pytest.mark.parametrize("top", [20.0, 10.0])
def test_the_widest_frontage_at_the_attack_frontage_reproduces_the_default(top):
    arm = {"sequencing": "frozen_line", "ru_theatre_share": 0.15, "resumption_cost_km2": 300.0}
    default = [simulate(small(**arm), s, map_path=SMALL_MAP).summary for s in range(4)]
    off = [simulate(small(**arm, max_attack_frontage_km=top), s, map_path=SMALL_MAP).summary
           for s in range(4)]
    assert sum(r["resumed"] for r in default) >= 1  # the comparison is not empty
    assert same_records(default, off)


@pytest.mark.parametrize("change", [{"sector_km": 5.0}, {"sector_km": 22.0},
                                    {"cell_km": 1.0}])
def test_the_width_and_its_worth_do_not_move_with_the_representation(change):
    ref = _estimate(40_000.0, max_attack_frontage_km=40.0)
    est = _estimate(40_000.0, max_attack_frontage_km=40.0, **change)
    assert float(est.frontage[0]) == float(ref.frontage[0])
    assert est.gain[0] == pytest.approx(ref.gain[0], rel=0.05)
