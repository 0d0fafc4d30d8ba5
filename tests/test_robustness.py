"""Robust decision making: the measures on hand-computed tables, Rhodium's definitions, the
flip map on a synthetic model with a known answer, pairing, PRIM against EMA Workbench's,
and levers/uncertainties through the runner and the report (fake model)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis import flip_map
from dmzsim.analysis.robustness import (
    Cube,
    Setting,
    failing_distance,
    measures,
    most_robust,
    regret1,
    regret2,
    robustness_table,
    satisfied,
)

ROOT = Path(__file__).resolve().parent.parent

# m[p, w]: three policies in four worlds, lower is better
M = np.array([[0.1, 0.2, 0.3, 0.4],
              [0.2, 0.2, 0.2, 0.2],
              [0.0, 0.1, 0.5, 0.6]])


# --- hand-computed values --------------------------------------------------------------------
def test_regret_and_satisficing_equal_hand_computed_values() -> None:
    # type 2, by world: best of each world is (0.0, 0.1, 0.2, 0.2)
    # p0: (0.1, 0.1, 0.1, 0.2); p1: (0.2, 0.1, 0, 0); p2: (0, 0, 0.3, 0.4)
    assert regret2(M, 100) == pytest.approx([0.2, 0.2, 0.4])
    assert regret2(M, 50) == pytest.approx([0.1, 0.05, 0.15])
    # type 1 from world 0: p0 |(0, .1, .2, .3)|, p1 0, p2 (0, .1, .5, .6)
    assert regret1(M, 0, 100) == pytest.approx([0.3, 0.0, 0.6])
    ok = satisfied({"p": M}, [("p", "<=", 0.2)])
    assert ok.mean(axis=1) == pytest.approx([0.5, 1.0, 0.5])
    both = satisfied({"p": M, "c": M * 10}, [("p", "<=", 0.2), ("c", "<", 1.5)])
    assert both.mean(axis=1) == pytest.approx([0.25, 0.0, 0.5])


def test_the_nearest_failing_world_is_measured_from_the_baseline() -> None:
    ok = satisfied({"p": M}, [("p", "<=", 0.2)])
    scaled = np.array([[0.0], [1 / 3], [2 / 3], [1.0]])
    assert failing_distance(ok, scaled, 0) == pytest.approx([2 / 3, np.inf, 2 / 3])


def test_the_most_robust_policy_under_each_measure_and_disagreement() -> None:
    s = Setting("p", [("p", "<=", 0.2)], percentile=100, baseline=0)
    got = measures({"p": M}, s)
    table = pd.DataFrame([{"policy": f"p{i}", "measure": k, "estimate": v[i]}
                          for k, v in got.items() for i in range(3)])
    best = most_robust(table).set_index("measure")
    assert best.loc["mean", "best"] == "p1" and best.loc["worst", "best"] == "p1"
    assert best.loc["satisficing", "best"] == "p1"
    assert best.loc["regret2", "best"] == "p0 = p1"  # both 0.2: a tie is named as one
    assert bool(best.loc["mean", "agrees_with_mean"])


# --- Rhodium's definitions (rhodium/robustness.py, Project-Platypus/Rhodium at
# b7b3d8a6baf1aecb5a582d79d3f38673c7e44d2a; GPL, so written out here, not imported) ---------
def _rhodium_regret1(results: list[float], baseline: float, percentile: float = 90) -> float:
    values = [abs((r - baseline) / baseline) for r in results]
    return float(np.percentile(values, percentile))


def _rhodium_regret2(all_results: list[list[float]], own: list[float],
                     percentile: float = 90) -> float:
    best = [min(r[i] for r in all_results) for i in range(len(all_results[0]))]
    values = [abs((own[i] - best[i]) / own[i]) for i in range(len(own))]
    return float(np.percentile(values, percentile))


def _rhodium_satisficing1(results: list[float], limit: float) -> float:
    return float(np.mean([r <= limit for r in results]))


def test_regret_and_satisficing_match_rhodiums_definitions() -> None:
    m = M + 0.05  # Rhodium's regrets are relative: no zero values
    rows = m.tolist()
    for p in range(3):
        assert regret1(m, 1, 90, relative=True)[p] == pytest.approx(
            _rhodium_regret1(rows[p], rows[p][1]))
        assert regret2(m, 90, relative=True)[p] == pytest.approx(
            _rhodium_regret2(rows, rows[p]))
        assert satisfied({"p": m}, [("p", "<=", 0.25)]).mean(axis=1)[p] == pytest.approx(
            _rhodium_satisficing1(rows[p], 0.25))


# --- a synthetic model with a known answer ---------------------------------------------------
def _crossing(n_worlds: int = 400, n_rep: int = 40, seed: int = 3, lo: float = 0.0,
              hi: float = 1.0) -> tuple[pd.DataFrame, Cube]:
    """Policy A resumes with probability x, policy B with 0.5, whatever x and z: their
    outcomes cross at x = 0.5. Common random numbers: one uniform per (world, replicate)
    decides both policies' runs."""
    rng = np.random.default_rng(seed)
    worlds = pd.DataFrame({"x": rng.uniform(lo, hi, n_worlds),
                           "z": rng.uniform(0, 1, n_worlds)})
    u = rng.uniform(0, 1, (n_worlds, n_rep))
    a = (u < worlds["x"].to_numpy()[:, None]).astype(float)
    b = (u < 0.5).astype(float)
    return worlds, Cube(np.stack([a, b]), ["A", "B"], list(range(n_worlds)))


def test_the_flip_map_puts_the_boundary_where_the_outcomes_cross() -> None:
    worlds, c = _crossing()
    m = c.world_means()
    top = flip_map.influential(worlds, m)
    assert top["name"].iloc[0] == "x"
    table = flip_map.flip_table(worlds, m, c.policies, "x", "z", n_bins=8)
    found = flip_map.boundaries(table, "x")
    assert found and all(abs(b - 0.5) <= 1 / 8 for b in found), found
    grid = flip_map.as_grid(table, "x", "z")
    assert (grid.iloc[0] == "A").all() and (grid.iloc[-1] == "B").all()


def test_the_flip_map_figure_is_drawn(tmp_path: Path) -> None:
    worlds, c = _crossing(n_worlds=60, n_rep=5)
    table = flip_map.flip_table(worlds, c.world_means(), c.policies, "x", "z", 3)
    path = flip_map.draw(table, "x", "z", c.policies, tmp_path / "flip.png")
    assert path.stat().st_size > 1000


def test_paired_regret_intervals_are_narrower_than_unpaired_ones() -> None:
    _, c = _crossing(n_worlds=30, n_rep=30, lo=0.3, hi=0.7)  # near the crossing
    s = Setting("p", [("p", "<=", 0.4)], percentile=90, baseline=0)
    paired = robustness_table({"p": c}, s, paired=True, n_boot=300, seed=1)
    unpaired = robustness_table({"p": c}, s, paired=False, n_boot=300, seed=1)
    width = {name: (t.high - t.low)[t.measure == "regret2"].mean()
             for name, t in (("paired", paired), ("unpaired", unpaired))}
    assert width["paired"] < 0.8 * width["unpaired"], width
    assert (paired.estimate == unpaired.estimate).all()  # same point estimates


# --- PRIM against EMA Workbench's --------------------------------------------------------------
def test_prim_finds_the_box_ema_workbench_finds() -> None:
    """The first box of each peeling trajectory with density >= 0.95 (EMA Workbench 3.0's
    ``Prim`` with its "original" objective, the share of cases left, as ours peels)."""
    prim = pytest.importorskip("ema_workbench.analysis.prim")
    from dmzsim.analysis.discovery import peel

    rng = np.random.default_rng(5)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 1000), "b": rng.uniform(0, 1, 1000)})
    y = ((x["a"] > 0.6) & (x["b"] < 0.5)).to_numpy()
    ours = next(b for b in peel(x, y, alpha=0.05, min_support=0.05) if b.density >= 0.95)
    box = prim.Prim(x, y, obj_function=prim.PRIMObjectiveFunctions.ORIGINAL,
                    peel_alpha=0.05, mass_min=0.05).find_box()
    t = box.peeling_trajectory
    i = int(t.index[t["density"] >= 0.95][0])
    lims = box.box_lims[i]
    assert ours.limits["a"][0] == pytest.approx(float(lims["a"].iloc[0]), abs=0.01)
    assert ours.limits["b"][1] == pytest.approx(float(lims["b"].iloc[1]), abs=0.01)
    assert ours.coverage == pytest.approx(float(t.loc[i, "coverage"]), abs=0.01)


# --- through the runner and the report (fake model) --------------------------------------------
ROBUST = {
    "name": "rob", "root_seed": 3, "horizon_days": 800, "replicates": 6,
    "levers": {"policies": {"tf": {"sequencing": "territory_first"},
                            "gf": {"sequencing": "guarantees_first"}}},
    "uncertainties": {"sampler": "sobol", "samples": 8, "parameters": {
        "guarantee_credibility": {"min": 0.1, "max": 0.9},
        "guarantee_delivery_prob": {"min": 0.3, "max": 1.0}}},
    "robustness": {"thresholds": ["p_resumption <= 0.3"]},
}


def test_levers_and_uncertainties_become_arms_and_a_design() -> None:
    from dmzsim.runs import experiment

    exp = experiment.from_dict(ROBUST)
    assert exp.arm_names == ["tf", "gf"] and exp.spec.design.method == "sobol"
    again = experiment.from_dict(tomllib.loads(exp.to_toml()))  # the resolved config
    assert again.config_hash == exp.config_hash
    grid = experiment.from_dict({**ROBUST, "levers": {"grid": {
        "sequencing": ["territory_first", "frozen_line"], "dmz_width_km": [5.0, 10.0]}}})
    assert grid.arm_names == ["territory_first-5p0", "territory_first-10p0",
                              "frozen_line-5p0", "frozen_line-10p0"]


def test_named_values_are_drawn_in_equal_shares_by_lhs() -> None:
    from dmzsim.runs import experiment

    exp = experiment.from_dict({**ROBUST, "uncertainties": {
        "sampler": "lhs", "samples": 9, "parameters": {
            "beyond_aims_value": [0.0, 0.25, 1.0],
            "concentration_days": {"min": 7, "max": 42}}}})
    rows = exp.spec.design.rows
    assert sorted(r["beyond_aims_value"] for r in rows) == [0.0] * 3 + [0.25] * 3 + [1.0] * 3
    assert all(isinstance(r["concentration_days"], int) for r in rows)


def test_every_policy_meets_every_world_with_the_same_seeds(tmp_path: Path) -> None:
    from dmzsim.analysis.loader import load_experiment
    from dmzsim.runs.cli import main

    path = tmp_path / "rob.toml"
    from dmzsim.runs.experiment import tomlout

    path.write_text(tomlout.dumps(ROBUST))
    sys.path.insert(0, str(ROOT))
    code = main(["robust", str(path), "--out", str(tmp_path / "out"), "--serial",
                 "--no-progress", "--simulate", "tests.fake_model:simulate"])
    assert code == 0
    runs = load_experiment(tmp_path / "out" / "rob").summary
    seeds = runs.pivot_table(index=["point", "replicate"], columns="arm", values="seed")
    assert (seeds["tf"] == seeds["gf"]).all() and len(seeds) == 8 * 4 * 6
    report = (tmp_path / "out" / "rob" / "report.md").read_text()
    for heading in ("Policies under deep uncertainty", "Robustness of each policy",
                    "Where each policy fails", "Where the ranking flips",
                    "Sensitivity to the uncertainties", "regret type 2", "P_1y", "P_2y"):
        assert heading in report, heading
    assert (tmp_path / "out" / "rob" / "figures" / "flip_map.png").exists()


def test_robust_refuses_a_file_without_levers(tmp_path: Path, capsys) -> None:
    from dmzsim.runs.cli import main
    from dmzsim.runs.experiment import tomlout

    from tests.fake_model import tiny_config

    path = tmp_path / "tiny.toml"
    path.write_text(tomlout.dumps(tiny_config()))
    assert main(["robust", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "no [levers] or [uncertainties]" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- sensitivity only where estimable ------------------------------------------------------
def test_sobol_indices_come_with_a_convergence_verdict() -> None:
    from dmzsim.analysis.sensitivity import converged_sobol
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = sobol_sample.sample(problem, 512, calc_second_order=False, seed=2)
    good = converged_sobol(problem, 4 * x[:, 0] + x[:, 1])
    assert good.note is None
    assert good.table.set_index("name").loc["a", "ST"] > 0.8
    rng = np.random.default_rng(0)
    noisy = converged_sobol(problem, (rng.uniform(size=len(x)) < 0.3).astype(float)[:8 * 5])
    assert noisy.note is not None and noisy.table is not None
    flat = converged_sobol(problem, np.zeros(len(x)))
    assert flat.table is None and "same in every world" in flat.note


def test_a_heatmap_over_a_named_uncertainty_labels_its_values(tmp_path: Path) -> None:
    """An uncertainty with named values (an aims scenario) on a design heatmap's axis is
    drawn, its names as ticks (a robust study's folder goes through the ordinary report
    too; a number format on a name failed there)."""
    from dmzsim.analysis.figures import risk_heatmap
    from dmzsim.analysis.provenance import Stamp

    grid = pd.DataFrame({"aims_scenario": ["oblast", "maximal"] * 2,
                         "cost": [1.0, 1.0, 2.0, 2.0], "p": [0.1, 0.5, 0.0, 0.3],
                         "lo": [0.0] * 4, "hi": [0.6] * 4, "runs": [10] * 4})
    path = risk_heatmap(grid, "aims_scenario", "cost", tmp_path / "h.png",
                        Stamp("test", "0" * 12, "0", "0"), "named")
    assert path.exists()
    from dmzsim.analysis.figures import _tick
    assert [_tick(v) for v in ("maximal", 2.0, np.float64(0.5))] == ["maximal", "2", "0.5"]
