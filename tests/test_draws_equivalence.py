"""Rare events drawn as waiting times (``CeasefireModel.waiting_times``).

A quiet day run by its few processes is the full day to the bit; quiet days draw
nothing; and the runs with waiting times have the distributions of the runs with daily
draws (the size that fits here; ``benchmarks/draws_equivalence.py`` runs 1,000 an arm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dmzsim.model import api
from dmzsim.model.forces import RU, UA
from dmzsim.model.model import CeasefireModel
from dmzsim.model.processes.recording import SUMMARY_FIELDS

from benchmarks import draws_equivalence


class Waiting(CeasefireModel):
    series_every = 0


class WaitingNeverQuiet(Waiting):
    """Every day runs every process: what a quiet day must equal."""

    def _quiet_today(self) -> bool:
        return False


def _stream_states(m: CeasefireModel, but: tuple[str, ...] = ()) -> dict[str, object]:
    return {name: repr(g.bit_generator.state) for name, g in vars(m.streams).items()
            if isinstance(g, np.random.Generator) and name not in but}


@pytest.mark.parametrize(("sequencing", "shape"), [
    ("territory_first", "unilateral"), ("guarantees_first", "mirrored"),
    ("frozen_line", "unilateral")])
def test_a_quiet_day_is_the_full_day_to_the_bit(sequencing: str, shape: str) -> None:
    params = {"sequencing": sequencing, "dmz_shape": shape, "horizon_days": 500,
              "zone_incident_per_year": 12.0}
    for seed in (1, 2):
        runs = []
        for cls in (Waiting, WaitingNeverQuiet):
            m = cls(rng=seed, **params)
            m.run_for(m.p.horizon_days)
            runs.append((api.summary(m), _stream_states(m), m.forces.view("readiness").copy()))
        (a, sa, ra), (b, sb, rb) = runs
        assert repr(a) == repr(b)
        assert sa == sb
        np.testing.assert_array_equal(ra, rb)


def test_most_ceasefire_days_are_quiet_and_draw_nothing() -> None:
    """... nothing but the month's recruitment luck, which is drawn on a fixed calendar
    (every 30 days) whatever happens."""
    m = Waiting(rng=3, horizon_days=730)
    quiet = 0
    while m.running:
        before = _stream_states(m, but=("regeneration",))
        m.day += 1
        is_quiet = m._quiet_today()
        m.day -= 1
        m.step()
        if is_quiet:
            quiet += 1
            assert _stream_states(m, but=("regeneration",)) == before, m.day
    assert quiet > 0.7 * 730, quiet


def test_waiting_times_are_the_default_and_quiet_days_need_them() -> None:
    assert CeasefireModel(rng=3, horizon_days=60).waiting_times
    m = CeasefireModel(rng=3, horizon_days=60)
    m.waiting_times = False  # the reference mode, from here on
    m.day += 1
    assert not m._quiet_today()
    assert not api._model_class(0, False).waiting_times
    assert api._model_class(0, None) is api._SummaryOnlyModel


def test_violations_come_at_their_rate_with_waiting_times() -> None:
    """Small violations along the whole front: a Poisson count of the day's total rate
    each ceasefire day, in either mode."""
    days, rate = 365, 1.0
    counts = {}
    for waiting in (True, False):
        counts[waiting] = [api.simulate({"sequencing": "territory_first", "horizon_days": days,
                                         "violation_rate_per_100km_day": rate}, seed,
                                        waiting_times=waiting).summary["violations"]
                           for seed in range(12)]
    m = CeasefireModel(rng=0, violation_rate_per_100km_day=rate)
    expected = days * rate * m.theatre.front_km.sum() / 100.0  # about; the front moves
    for waiting, c in counts.items():
        assert abs(np.mean(c) / expected - 1.0) < 0.1, (waiting, np.mean(c), expected)


def test_the_two_modes_have_the_same_distributions() -> None:
    """Every output of the run record, both modes, 60 seeds of two arms (fixed seeds, so
    the test is deterministic; the benchmark's 1,000 an arm is the real check)."""
    arms = [("territory_first", "unilateral"), ("guarantees_first", "mirrored")]
    runs = draws_equivalence.samples(60, horizon=730, workers=1, arms=arms)
    assert len(runs) == 2 * 60 * 2
    table = draws_equivalence.compare(runs, SUMMARY_FIELDS)
    assert set(table["output"]) == set(SUMMARY_FIELDS)
    assert draws_equivalence.agree(table, alpha=0.01), table.sort_values("p").head()


def test_the_comparison_tells_different_distributions_apart() -> None:
    """The check can fail: a shifted output, a flag of another frequency and a number
    defined more often are each found."""
    rng = np.random.default_rng(0)
    n = 300
    base = pd.DataFrame({"arm": "a", "x": rng.normal(size=2 * n),
                         "flag": rng.random(2 * n) < 0.3,
                         "when": np.where(rng.random(2 * n) < 0.5, 1.0, np.nan),
                         "waiting_times": np.r_[np.ones(n, bool), np.zeros(n, bool)]})
    same = draws_equivalence.compare(base, ("x", "flag", "when"))
    assert draws_equivalence.agree(same, alpha=0.01)
    for name, change in (("x", lambda v: v + 0.5), ("flag", lambda v: v | (rng.random(n) < 0.3)),
                         ("when", lambda v: np.where(rng.random(n) < 0.4, 1.0, v))):
        shifted = base.copy()
        shifted.loc[: n - 1, name] = change(shifted.loc[: n - 1, name].to_numpy())
        table = draws_equivalence.compare(shifted, ("x", "flag", "when"))
        assert not draws_equivalence.agree(table, alpha=0.01), name


def test_regeneration_on_quiet_days_is_its_full_day() -> None:
    """``Regeneration.quiet_step`` keeps what one quiet day found of the units (all full,
    their sum; all ready) for the next: day after day it must give the numbers ``step``
    gives, including across the day a unit is formed from the depot (its strength then
    belongs in the side's sum), on days some units are still filling or recovering, and
    after something else wrote the units between two days."""
    runs = []
    for quiet in (True, False):
        m = Waiting(rng=4, horizon_days=900)
        m.run_for(500)  # a long ceasefire: every unit at nominal strength and ready
        regen, f = m.regeneration, m.forces
        rows = f.n
        assert all(f.strength[: f.n][f.of_side(side)].min() >= m.p.unit_personnel
                   for side in (RU, UA))
        regen.depot[:] = m.p.unit_personnel - 1.0  # a unit of each side formed at once
        for day in range(200):  # Russia reaches its theatre cap on the way
            if day == 30:  # written from outside, between two quiet days
                f.strength[: f.n][::7] *= 0.9
                f.readiness[: f.n][::5] = 0.6
            m.day += 1
            (regen.quiet_step if quiet else regen.step)()
        runs.append((f.view("strength").copy(), f.view("readiness").copy(),
                     regen.depot.copy(), regen.inflow_total.copy()))
        assert f.n >= rows + 2
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
