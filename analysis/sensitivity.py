"""Global sensitivity indices (SALib) from an experiment's design and its outputs.

The runner stores the SALib ``problem`` and the raw sampler matrix (``design.sample``,
rows in point order, log10 units for log-scale parameters) next to the results. Here the
runs' outcome is averaged over replicates at each design point (``DesignInfo.outputs``) and
handed to SALib's analysers together with exactly that sample:

* Sobol' (``design.method == "sobol"``): first-order S1 and total ST with bootstrap
  confidence half-widths (and S2 if the design has second-order columns);
* Morris (``"morris"``): mu* (mean absolute elementary effect) with its confidence
  half-width, mu and sigma.

Elementary effects are in the units of the sampler's space (SALib scales them by the
parameter's range), so mu* ranks parameters on their whole swept range.

Replicate noise: with few replicates of a binary outcome, part of each index is noise.
:func:`noise_share` estimates the share of the outputs' variance that is replicate noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.loader import DesignInfo
from dmzsim.analysis.results_layout import ResultsLayout
from SALib.analyze import morris, sobol

__all__ = ["indices", "morris_indices", "noise_share", "sobol_indices"]


def _check_outputs(y: np.ndarray, n_rows: int) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.shape != (n_rows,):
        raise ValueError(f"outputs have shape {y.shape}; the design has {n_rows} rows")
    missing = np.flatnonzero(~np.isfinite(y))
    if len(missing):
        raise ValueError(f"{len(missing)} of {n_rows} design points have no finished run "
                         f"(first: {missing[:5].tolist()}); Sobol'/Morris need every point. "
                         "Finish the sweep with --resume.")
    return y


# The bootstrap of the confidence intervals is seeded so a report is reproducible. SALib
# tests ``if seed:``, so 0 would silently mean "unseeded": the seed must be positive.
RESAMPLING_SEED = 1


def _seed(seed: int) -> int:
    if seed < 1:
        raise ValueError(f"seed = {seed}: SALib treats 0 as no seed; use a positive seed")
    return seed


def sobol_indices(problem: dict[str, Any], y: np.ndarray, second_order: bool = False,
                  conf_level: float = CONFIDENCE, num_resamples: int = 1000,
                  seed: int = RESAMPLING_SEED) -> pd.DataFrame:
    """Sobol' S1 and ST (and S2 rows if ``second_order``) with confidence half-widths."""
    d = problem["num_vars"]
    per_block = 2 * d + 2 if second_order else d + 2
    y = np.asarray(y, dtype=float)
    if len(y) % per_block:
        raise ValueError(f"{len(y)} outputs is not a multiple of {per_block} (Saltelli "
                         f"blocks for {d} parameters, second_order={second_order})")
    y = _check_outputs(y, len(y))
    res = sobol.analyze(problem, y, calc_second_order=second_order, conf_level=conf_level,
                        num_resamples=num_resamples, seed=_seed(seed))
    df = pd.DataFrame({"name": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                       "ST": res["ST"], "ST_conf": res["ST_conf"]})
    if second_order:
        pairs = [(problem["names"][i], problem["names"][j], res["S2"][i, j],
                  res["S2_conf"][i, j]) for i in range(d) for j in range(i + 1, d)]
        df.attrs["S2"] = pd.DataFrame(pairs, columns=["name_i", "name_j", "S2", "S2_conf"])
    return df


def morris_indices(problem: dict[str, Any], x: np.ndarray, y: np.ndarray,
                   num_levels: int = 4, conf_level: float = CONFIDENCE,
                   num_resamples: int = 1000, seed: int = RESAMPLING_SEED) -> pd.DataFrame:
    """Morris mu*, its confidence half-width, mu and sigma per parameter."""
    x = np.asarray(x, dtype=float)
    y = _check_outputs(y, len(x))
    res = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=conf_level,
                         num_levels=num_levels, seed=_seed(seed))
    return pd.DataFrame({"name": problem["names"], "mu_star": res["mu_star"],
                         "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                         "sigma": res["sigma"]})


def indices(design: DesignInfo, summary: pd.DataFrame, column: str = "resumed",
            arm: str | None = None, seed: int = RESAMPLING_SEED) -> pd.DataFrame | None:
    """The design's indices for ``column`` (per-point mean over replicates).

    ``column``: any yes/no output (its per-point mean is a probability) or numeric output
    of the runs (e.g. ``territory_lost_km2``); runs where it is undefined (NaN) are left
    out of their point's mean.

    ``design`` is the loader's ``DesignInfo``. Returns None for designs that are not
    Sobol' or Morris samples. The outputs' per-point values are in ``attrs["y"]``.
    """
    if design.method not in ("sobol", "morris") or design.problem is None:
        return None
    if design.sample is None:
        raise ValueError(f"the experiment folder has no {ResultsLayout.names().design_sample}; "
                         "SALib needs the raw sample the runs were made from")
    if column not in summary:
        raise ValueError(f"the runs have no output {column!r}")
    y = design.outputs(summary, column, arm=arm, agg="mean")
    runs = summary if arm is None else summary[summary["arm"] == arm]
    ran = runs.groupby("point").size().reindex(range(len(y)), fill_value=0).to_numpy() > 0
    undefined = np.flatnonzero(ran & ~np.isfinite(y))
    if len(undefined):
        raise ValueError(f"{column} is undefined in every run of {len(undefined)} design "
                         f"points (first: {undefined[:5].tolist()}), e.g. a day of "
                         "resumption where none resumed; Sobol'/Morris need a value at "
                         "every point")
    if design.method == "sobol":
        df = sobol_indices(design.problem, y, bool(design.settings.get("second_order")),
                           seed=seed)
    else:
        df = morris_indices(design.problem, design.sample, y,
                            int(design.settings.get("levels", 4)), seed=seed)
    df.attrs["y"] = y
    df.attrs["noise_share"] = noise_share(summary, column, arm)
    return df


def noise_share(summary: pd.DataFrame, column: str = "resumed",
                arm: str | None = None) -> float:
    """Share of the per-point means' variance that replicate noise alone would produce.

    With r replicates per point, noise adds E[within-point variance] / r to the variance
    of the per-point means. Near 0: indices reflect the parameters; near 1: mostly noise,
    add replicates. NaN if there are fewer than 2 replicates at any point.
    """
    df = summary if arm is None else summary[summary["arm"] == arm]
    g = df.groupby("point")[column]
    counts = g.count()
    if len(counts) < 2 or counts.min() < 2:
        return float("nan")
    within = g.var(ddof=1).astype(float)
    means = g.mean().astype(float)
    total = float(means.var(ddof=1))
    if total <= 0:
        return float("nan")
    return float(min((within / counts).mean() / total, 1.0))
