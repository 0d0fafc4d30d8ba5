"""PRIM scenario discovery recovers boxes planted in synthetic data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis.discovery import (
    Box,
    describe,
    discover,
    format_value,
    inspect,
    peel,
    tradeoff,
)
from scipy.stats import binomtest


def planted(n: int = 3000, noise: float = 0.05, seed: int = 0) -> tuple[pd.DataFrame,
                                                                        np.ndarray]:
    """Cases concentrate where a > 0.6 and b < 0.3; c is irrelevant; a few flipped labels."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n)})
    y = (x["a"] > 0.6).to_numpy() & (x["b"] < 0.3).to_numpy()
    flip = rng.random(n) < noise
    return x, y ^ flip


def test_discover_recovers_planted_box() -> None:
    x, y = planted()
    boxes = discover(x, y, min_coverage=0.6)
    assert len(boxes) == 1
    box = boxes[0]
    assert set(box.limits) == {"a", "b"}  # c is not restricted
    assert box.limits["a"] == (pytest.approx(0.6, abs=0.05), np.inf)
    assert box.limits["b"] == (-np.inf, pytest.approx(0.3, abs=0.05))
    assert box.density > 0.75 and box.coverage > 0.6
    assert all(p < 1e-6 for p in box.quasi_p.values())
    assert box.rule(x).startswith("a >= 0.")
    assert " and b <= 0." in box.rule(x)


def test_trajectory_shrinks_towards_the_planted_box() -> None:
    x, y = planted(n=1500)
    traj = peel(x, y, alpha=0.1, min_support=0.05)
    supp = [b.support for b in traj]
    assert traj[0].limits == {} and traj[0].support == 1.0
    assert all(s2 < s1 for s1, s2 in itertools.pairwise(supp))
    assert 0.05 <= supp[-1] < 0.1
    assert traj[-1].density > 0.85 > 3 * traj[0].density


def test_grid_levels_and_categories() -> None:
    """Grid parameters peel level by level; a categorical arm is peeled category by category.

    Risk is high only for delay >= 180 under territory_first; credibility is irrelevant.
    """
    rows = []
    for arm in ("territory_first", "guarantees_first"):
        for delay in (0, 30, 60, 90, 180, 365):
            for cred in (0.1, 0.5, 0.9):
                for r in range(20):
                    high = arm == "territory_first" and delay >= 180
                    rows.append({"arm": arm, "delay": delay, "cred": cred,
                                 "y": (r < 18) if high else (r < 1)})
    df = pd.DataFrame(rows)
    x = df[["arm", "delay", "cred"]]
    boxes = discover(x, df["y"].to_numpy(), min_coverage=0.6)
    assert len(boxes) == 1
    b = boxes[0]
    assert b.limits == {"arm": frozenset({"territory_first"}), "delay": (180.0, np.inf)}
    assert b.rule(x) == "arm in {territory_first} and delay >= 180"
    assert b.density == pytest.approx(0.9)
    assert b.mask(x).sum() == 120


def test_two_boxes_by_covering() -> None:
    """Two separate high-risk corners: the second box is found among the runs left over."""
    rng = np.random.default_rng(2)
    x = pd.DataFrame({"a": rng.random(4000), "b": rng.random(4000)})
    y = ((x["a"] < 0.25) & (x["b"] < 0.25)) | ((x["a"] > 0.75) & (x["b"] > 0.75))
    boxes = discover(x, y.to_numpy(), min_coverage=0.4, max_boxes=2)
    assert len(boxes) == 2
    assert sum(b.coverage for b in boxes) > 0.85
    assert all(b.density > 0.8 for b in boxes)


def test_no_box_when_nothing_stands_out() -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"a": rng.random(800), "b": rng.random(800)})
    y = rng.random(800) < 0.3
    assert discover(x, y) == []
    assert discover(x, np.zeros(800, bool)) == []


def test_describe_and_format() -> None:
    x = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    y = np.array([0, 0, 1, 1], bool)
    box = Box({"a": (2.0, 3.0)}, 2, 2, 1.0, 1.0, 0.5)
    (line,) = describe([box], x, y, "P(resumption within 730 days)")
    assert line == ("Box 1: a >= 2. In this box P(resumption within 730 days) = 1.00 "
                    "(all runs: 0.50); it holds 50% of the runs and 100% of the runs in "
                    "which the offensive resumed.")
    assert [format_value(v) for v in (0.3, 180.0, 25000.0, 1 / 3)] == ["0.3", "180",
                                                                       "25000", "0.333"]


def weak_second_region(n: int = 4000, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """A strong region (a > 0.8, P = 0.9) and a weak one (b > 0.7, P = 0.25) over a base
    of 0.05: the weak one beats the runs left outside the strong box (P ~ 0.11) but not
    all runs (P ~ 0.27), so it is no high-risk region."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n)})
    p = np.where(x["a"] > 0.8, 0.9, np.where(x["b"] > 0.7, 0.25, 0.05))
    return x, rng.random(n) < p


def test_a_box_below_the_base_rate_is_not_reported() -> None:
    x, y = weak_second_region()
    outside = (x["a"] <= 0.8).to_numpy()
    # among the runs outside the strong region alone, the weak one is a box ...
    (weak,) = discover(x[outside], y[outside], min_coverage=0.5)
    assert y[outside].mean() < weak.density < y.mean()
    # ... but after the strong box it is not listed: its P is below the base rate
    boxes = discover(x, y, min_coverage=0.5, max_boxes=2)
    assert len(boxes) == 1 and set(boxes[0].limits) == {"a"}
    assert all(b.density > y.mean() for b in boxes)


def test_tradeoff_coverage_never_rises_while_peeling() -> None:
    x, y = planted(n=1500)
    traj = peel(x, y, alpha=0.05, min_support=0.05)
    table = tradeoff(traj)
    assert list(table.columns) == ["id", "coverage", "density", "support", "n", "cases",
                                   "res_dim"]
    assert len(table) == len(traj) and table["id"].tolist() == list(range(len(traj)))
    assert table["coverage"].iloc[0] == 1.0 and table["res_dim"].iloc[0] == 0
    assert (np.diff(table["coverage"]) <= 0).all()
    assert (np.diff(table["n"]) < 0).all()
    assert table["res_dim"].max() >= 2
    assert table["density"].iloc[-1] > table["density"].iloc[0]


def test_inspect_quasi_p_is_a_one_sided_binomial_test() -> None:
    """Each quasi-p: binomtest(cases in box, runs in box, P in the box without that one
    limit, "greater"), computed here by hand with scipy."""
    x, y = planted(n=2000, noise=0.2, seed=5)
    box = Box({"a": (0.6, np.inf), "b": (0.1, 0.3)}, 0, 0, 0, 0, 0)
    inbox = box.mask(x)
    box = Box(box.limits, int(inbox.sum()), int(y[inbox].sum()), 0, 0, 0)
    table = inspect(box, x, y).set_index("parameter")
    assert table.loc["a", "lower"] == 0.6 and table.loc["a", "upper"] == x["a"].max()
    assert np.isnan(table.loc["a", "qp_upper"])

    def by_hand(limits: dict) -> float:
        m = Box(limits, 0, 0, 0, 0, 0).mask(x)
        return binomtest(box.cases, box.n, y[m].mean(), alternative="greater").pvalue

    expected = {("a", "qp_lower"): by_hand({"b": (0.1, 0.3)}),
                ("b", "qp_lower"): by_hand({"a": (0.6, np.inf), "b": (-np.inf, 0.3)}),
                ("b", "qp_upper"): by_hand({"a": (0.6, np.inf), "b": (0.1, np.inf)})}
    for (row, col), p in expected.items():
        assert table.loc[row, col] == pytest.approx(p, rel=1e-9, abs=1e-300)
    # the lower limit of b hardly matters (few cases below 0.1 are lost), a's does
    assert table.loc["b", "qp_lower"] > 1e-3 > table.loc["a", "qp_lower"]


def test_inspect_a_category_set() -> None:
    x = pd.DataFrame({"arm": ["t", "g"] * 50, "d": np.arange(100.0)})
    y = (x["arm"] == "t").to_numpy() & (x["d"] > 40).to_numpy()
    box = Box({"arm": frozenset({"t"}), "d": (41.0, np.inf)}, 30, 30, 1.0, 1.0, 0.3)
    table = inspect(box, x, y).set_index("parameter")
    assert table.loc["arm", "kept"] == "t" and np.isnan(table.loc["arm", "qp_upper"])
    m = (x["d"] >= 41).to_numpy()
    assert table.loc["arm", "qp_lower"] == pytest.approx(
        binomtest(30, 30, y[m].mean(), alternative="greater").pvalue)


# EMA Workbench 3.0 calls DataFrame.drop(inplace=True), which pandas 3.1 deprecates
@pytest.mark.filterwarnings("ignore:The inplace keyword:Warning:ema_workbench")
def test_same_box_and_quasi_p_as_ema_workbench() -> None:
    """Cross-check with EMA Workbench (in the dev extra): on the planted data its PRIM
    box restricts the same parameters to about the same limits, and its quasi-p of our
    box's restrictions equals ours."""
    prim = pytest.importorskip("ema_workbench.analysis.prim")
    sdutil = pytest.importorskip("ema_workbench.analysis.scenario_discovery_util")
    x, y = planted()
    (ours,) = discover(x, y, min_coverage=0.6)
    original = prim.PRIMObjectiveFunctions.ORIGINAL  # the densest peel, as ours
    theirs = prim.Prim(x, y, obj_function=original, peel_alpha=0.05).find_box()
    stats = theirs.peeling_trajectory
    fit = stats[stats["coverage"] >= 0.6]
    i = int(fit["density"].idxmax())
    lims = theirs.box_lims[i]
    init = theirs.box_lims[0]
    restricted = [c for c in x.columns if not (lims[c] == init[c]).all()]
    assert set(restricted) == set(ours.limits)
    assert float(lims.loc[0, "a"]) == pytest.approx(ours.limits["a"][0], abs=0.03)
    assert float(lims.loc[1, "b"]) == pytest.approx(ours.limits["b"][1], abs=0.03)
    # EMA's quasi-p of our box: relax one side to the data's edge
    ours_lims = pd.DataFrame({"a": [ours.limits["a"][0], x["a"].max()],
                              "b": [x["b"].min(), ours.limits["b"][1]],
                              "c": [x["c"].min(), x["c"].max()]})
    table = inspect(ours, x, y).set_index("parameter")
    for col, row, side in (("a", 0, "qp_lower"), ("b", 1, "qp_upper")):
        relaxed = ours_lims.copy()
        relaxed.loc[row, col] = init.loc[row, col]
        qp = sdutil._calculate_quasip(x, y, relaxed, ours.cases, ours.n)
        assert table.loc[col, side] == pytest.approx(qp, rel=1e-6, abs=1e-300)
