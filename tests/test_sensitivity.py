"""Sensitivity indices against analytic answers (Ishigami, linear models)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from dmzsim.analysis.loader import DesignInfo
from dmzsim.analysis.sensitivity import indices, morris_indices, noise_share, sobol_indices
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_exact(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices (Ishigami & Homma 1990; Sobol' 1993)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


def test_sobol_on_ishigami() -> None:
    """S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244) within sampling error."""
    x = sobol_sample.sample(ISHIGAMI, 2048, calc_second_order=False, seed=1)
    df = sobol_indices(ISHIGAMI, ishigami(x), num_resamples=200, seed=2)
    s1, st = ishigami_exact()
    assert df["S1"].to_numpy() == pytest.approx(s1, abs=0.03)
    assert df["ST"].to_numpy() == pytest.approx(st, abs=0.03)
    assert (df["S1_conf"] > 0).all() and (df["S1_conf"] < 0.1).all()


def test_sobol_second_order_ishigami() -> None:
    """The only interaction of Ishigami is x1-x3: S2_13 = ST_1 - S1_1 = 0.244."""
    x = sobol_sample.sample(ISHIGAMI, 2048, calc_second_order=True, seed=1)
    df = sobol_indices(ISHIGAMI, ishigami(x), second_order=True, num_resamples=100)
    s2 = df.attrs["S2"].set_index(["name_i", "name_j"])["S2"]
    assert s2[("x1", "x3")] == pytest.approx(0.244, abs=0.06)
    assert abs(s2[("x1", "x2")]) < 0.06


def test_morris_on_linear_model() -> None:
    """y = 3 x1 + 0 x2 - 2 x3 on [0,1]^3: mu* = |coef|, sigma = 0 (effects are constant);
    on a range [0, 10] the effect per unit of range is 10 times larger."""
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 1], [0, 10]]}
    x = morris_sample.sample(problem, 20, num_levels=4, seed=3)
    y = 3 * x[:, 0] + 0 * x[:, 1] - 2 * x[:, 2]
    df = morris_indices(problem, x, y, num_levels=4).set_index("name")
    assert df["mu_star"].to_numpy() == pytest.approx([3.0, 0.0, 20.0])
    assert df.loc["c", "mu"] == pytest.approx(-20.0)
    assert df["sigma"].to_numpy() == pytest.approx([0, 0, 0], abs=1e-9)


def _design(method: str, problem: dict, sample: np.ndarray, **settings: object) -> DesignInfo:
    points = pd.DataFrame(sample, columns=problem["names"])
    return DesignInfo(method, problem["names"], points, problem, sample, dict(settings))


def test_indices_from_design_and_replicated_runs() -> None:
    """The experiment path: two noisy replicates per point, averaged before SALib."""
    x = sobol_sample.sample(ISHIGAMI, 512, calc_second_order=False, seed=4)
    y = ishigami(x)
    rng = np.random.default_rng(5)
    rows = [{"arm": "base", "point": p, "replicate": r, "out": y[p] + rng.normal(0, 0.1)}
            for p in range(len(x)) for r in range(2)]
    summary = pd.DataFrame(rows)
    design = _design("sobol", ISHIGAMI, x, second_order=False)
    df = indices(design, summary, column="out")
    s1, _ = ishigami_exact()
    assert df["S1"].to_numpy() == pytest.approx(s1, abs=0.08)
    assert df.attrs["noise_share"] < 0.01
    assert indices(DesignInfo("grid", [], pd.DataFrame()), summary) is None


def test_indices_refuse_missing_points() -> None:
    x = sobol_sample.sample(ISHIGAMI, 8, calc_second_order=False, seed=4)
    summary = pd.DataFrame({"arm": "base", "point": range(len(x) - 1), "replicate": 0,
                            "resumed": 1.0})
    with pytest.raises(ValueError, match="1 of 40 design points have no finished run"):
        indices(_design("sobol", ISHIGAMI, x), summary)


def test_noise_share() -> None:
    """Pure noise around equal means -> share near 1; distinct means, no noise -> 0."""
    rng = np.random.default_rng(0)
    noise = pd.DataFrame({"point": np.repeat(np.arange(200), 5), "y": rng.normal(size=1000)})
    assert noise_share(noise, "y") == pytest.approx(1.0, abs=0.25)
    clean = pd.DataFrame({"point": np.repeat(np.arange(50), 2),
                          "y": np.repeat(np.arange(50.0), 2)})
    assert noise_share(clean, "y") == 0.0


def test_confidence_intervals_are_reproducible_and_zero_is_refused():
    x = sobol_sample.sample(ISHIGAMI, 256, calc_second_order=False, seed=5)
    y = ishigami(x)
    a = sobol_indices(ISHIGAMI, y, num_resamples=100)
    b = sobol_indices(ISHIGAMI, y, num_resamples=100)
    pd.testing.assert_frame_equal(a, b)  # same default seed: same bootstrap
    with pytest.raises(ValueError, match="seed = 0"):
        sobol_indices(ISHIGAMI, y, num_resamples=100, seed=0)


def test_an_output_undefined_at_a_point_is_a_clear_error() -> None:
    """E.g. the day of resumption at a point where no run resumed: no index from it."""
    x = sobol_sample.sample(ISHIGAMI, 8, calc_second_order=False, seed=4)
    day = np.where(np.arange(len(x)) == 3, np.nan, 100.0)
    summary = pd.DataFrame({"arm": "base", "point": range(len(x)), "replicate": 0,
                            "day_resumed": day})
    with pytest.raises(ValueError, match=r"day_resumed is undefined in every run of 1 "
                                         r"design points \(first: \[3\]\)"):
        indices(_design("sobol", ISHIGAMI, x), summary, "day_resumed")
    with pytest.raises(ValueError, match="the runs have no output 'territory_lost'"):
        indices(_design("sobol", ISHIGAMI, x), summary, "territory_lost")


def test_the_experiment_names_outputs_to_analyse() -> None:
    """``[analysis] sensitivity``: known outputs pass, an unknown name is an error that
    names the key and lists the choices, and no [analysis] leaves the hash alone."""
    from dmzsim.runs.experiment.config import ExperimentError, from_dict

    base = {"name": "x", "root_seed": 1, "replicates": 1, "design": {
        "method": "sobol", "samples": 4, "parameters": {
            "guarantee_credibility": {"min": 0.0, "max": 1.0}}}}
    cfg = from_dict({**base, "analysis": {"sensitivity": ["resumed", "territory_lost_km2",
                                                          "ceasefire_days"]}})
    assert cfg.resolved["analysis"]["sensitivity"][1] == "territory_lost_km2"
    assert "analysis" not in from_dict(base).resolved
    with pytest.raises(ExperimentError) as err:
        from_dict({**base, "analysis": {"sensitivity": ["resumed", "territory_lost"]}},
                  source="x.toml")
    text = str(err.value)
    assert "analysis.sensitivity" in text and "unknown output 'territory_lost'" in text
    assert "'territory_lost_km2'" in text  # among the choices
    for bad in (["decided_by"], ["attack_sector"], [], ["resumed", "resumed"]):
        with pytest.raises(ExperimentError, match=r"analysis\.sensitivity"):
            from_dict({**base, "analysis": {"sensitivity": bad}})
    with pytest.raises(ExperimentError, match="sensitivty"):
        from_dict({**base, "analysis": {"sensitivty": ["resumed"]}})


def test_binned_risk_finds_the_parameter_that_moves_the_rate_and_not_the_others() -> None:
    """Outcome 1 exactly when a < 0.25: P by bin 1 / 0 / 0 / 0 along a, flat along b;
    with or without Saltelli-like clusters (blocks of runs sharing b), a comes first."""
    from dmzsim.analysis.sensitivity import binned_risk

    rng = np.random.default_rng(3)
    n = 400
    a, b = rng.permutation(np.arange(n) / n), np.repeat(rng.uniform(size=n // 4), 4)
    runs = pd.DataFrame({"a": a, "b": b, "resumed": a < 0.25, "arm": "x"})
    for clusters in (None, np.arange(n) // 4):
        df = binned_risk(runs, ["b", "a"], clusters=clusters)
        assert list(dict.fromkeys(df["name"])) == ["a", "b"]
        on_a = df[df["name"] == "a"]
        assert on_a["p"].round(2).tolist() == [1.0, 0.0, 0.0, 0.0]
        assert on_a["p_value"].iloc[0] < 1e-6 < df[df["name"] == "b"]["p_value"].iloc[0]
        assert (on_a["p_lo"] <= on_a["p"]).all() and (on_a["p"] <= on_a["p_hi"]).all()
        assert on_a["n"].tolist() == [100] * 4


def test_indices_that_cannot_be_estimated_say_so_and_how_many_samples_would_do() -> None:
    from dmzsim.analysis.sensitivity import converged_sobol, samples_needed
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    x = sobol_sample.sample(problem, 64, calc_second_order=False, seed=2)
    noise = np.random.default_rng(5).normal(0.0, 0.3, len(x))  # a run's own chance
    rare = (x[:, 0] + x[:, 1] + noise > 1.8).astype(float)  # a binary, rare outcome
    conv = converged_sobol(problem, rare)
    assert conv.note is not None and "more samples are needed" in conv.note
    assert samples_needed(conv.table, 64) > 64
    x = sobol_sample.sample(problem, 512, calc_second_order=False, seed=2)
    assert converged_sobol(problem, 4 * x[:, 0] + x[:, 1]).note is None  # enough samples
