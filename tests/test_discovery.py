"""PRIM scenario discovery recovers boxes planted in synthetic data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis.discovery import Box, describe, discover, format_value, peel


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
