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

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE, wilson
from dmzsim.analysis.loader import DesignInfo
from dmzsim.analysis.results_layout import ResultsLayout
from SALib.analyze import morris, sobol

__all__ = ["Convergence", "binned_risk", "block_size", "converged_sobol", "design_bins",
           "indices", "morris_indices", "noise_share", "saltelli_blocks", "samples_needed",
           "sobol_indices"]


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


def block_size(num_vars: int, second_order: bool = False) -> int:
    """Rows of one Saltelli block (one base sample): A, B and one or two mixes per
    parameter."""
    return 2 * num_vars + 2 if second_order else num_vars + 2


def sobol_indices(problem: dict[str, Any], y: np.ndarray, second_order: bool = False,
                  conf_level: float = CONFIDENCE, num_resamples: int = 1000,
                  seed: int = RESAMPLING_SEED) -> pd.DataFrame:
    """Sobol' S1 and ST (and S2 rows if ``second_order``) with confidence half-widths."""
    d = problem["num_vars"]
    per_block = block_size(d, second_order)
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
        second = bool(design.settings.get("second_order"))
        df = sobol_indices(design.problem, y, second, seed=seed)
        _attach_convergence(df, design.problem, y, second, seed)
    else:
        df = morris_indices(design.problem, design.sample, y,
                            int(design.settings.get("levels", 4)), seed=seed)
    df.attrs["y"] = y
    df.attrs["noise_share"] = noise_share(summary, column, arm)
    return df


def _attach_convergence(df: pd.DataFrame, problem: dict[str, Any], y: np.ndarray,
                        second_order: bool, seed: int) -> None:
    """``attrs["unreadable"]``: why the indices cannot be read (None if they can), and
    ``attrs["samples_needed"]``: base samples that would make them readable."""
    conv = converged_sobol(problem, y, second_order=second_order, seed=seed, full=df)
    df.attrs["unreadable"] = conv.note
    n = len(y) // block_size(problem["num_vars"], second_order)
    df.attrs["samples_needed"] = (samples_needed(conv.table, n)
                                  if conv.table is not None and conv.note else None)
    if conv.table is not None:
        df["ST_half"] = conv.table["ST_half"].to_numpy()


def binned_risk(summary: pd.DataFrame, names: list[str], column: str = "resumed",
                bins: int = 4, arm: str | None = None, clusters: np.ndarray | None = None,
                n_boot: int = 1000, seed: int = RESAMPLING_SEED) -> pd.DataFrame:
    """P(``column``) in ``bins`` equal-count bins of each parameter, over all runs.

    What a Sobol' design can still say when its indices cannot be estimated: a yes/no
    outcome that is 1 in a few per cent of runs needs thousands of base samples for
    indices, but its rate along each parameter is estimable from the same runs.

    Runs of one Saltelli block (``clusters``: its base sample, ``point // (D + 2)``)
    share all parameters but one, so they are not independent: intervals are then a
    cluster bootstrap over blocks (percentile, ``n_boot``), and ``p_value`` a Wald test,
    with the bootstrap's covariance, that the rate is the same in every bin. Without
    ``clusters``: Wilson intervals and a chi-square test. Rows: name, bin, lo, hi, k, n,
    p, p_lo, p_hi, p_value; parameters ordered by ``p_value``."""
    runs = summary if arm is None else summary[summary["arm"] == arm]
    y = runs[column].astype(float).to_numpy()
    groups = None if clusters is None else np.asarray(clusters)[
        (summary["arm"] == arm).to_numpy() if arm is not None else slice(None)]
    rows = []
    for name in names:
        x = pd.to_numeric(runs[name], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        if len(np.unique(x[ok])) < 2:
            continue
        ranks = pd.Series(x[ok]).rank(method="first")
        cut = pd.qcut(ranks, bins, labels=False).to_numpy()
        k = np.bincount(cut, weights=y[ok], minlength=bins)
        n = np.bincount(cut, minlength=bins).astype(float)
        if groups is None:
            lo, hi, pv = _wilson_bins(k, n)
        else:
            lo, hi, pv = _cluster_bins(cut, y[ok], groups[ok], bins, n_boot, seed)
        for b in range(bins):
            xb = x[ok][cut == b]
            rows.append({"name": name, "bin": b, "lo": float(xb.min()), "hi": float(xb.max()),
                         "k": int(k[b]), "n": int(n[b]), "p": k[b] / n[b], "p_lo": lo[b],
                         "p_hi": hi[b], "p_value": pv})
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    order = df.groupby("name")["p_value"].first().sort_values(kind="stable").index
    return df.set_index("name").loc[list(order)].reset_index()


def design_bins(design: DesignInfo, summary: pd.DataFrame, column: str = "resumed",
                arm: str | None = None) -> pd.DataFrame:
    """:func:`binned_risk` over a Sobol' design's parameters, its runs clustered by
    Saltelli block: what the report and the key figure show when the indices cannot be
    read."""
    return binned_risk(summary, list(design.problem["names"]), column, arm=arm,
                       clusters=saltelli_blocks(design, summary))


def saltelli_blocks(design: DesignInfo, summary: pd.DataFrame) -> np.ndarray:
    """Each run's Saltelli block (its base sample): runs of one block share every
    parameter but one, the clusters :func:`binned_risk` resamples."""
    per_block = block_size(design.problem["num_vars"],
                           bool(design.settings.get("second_order")))
    return summary["point"].to_numpy() // per_block


def _wilson_bins(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    from scipy.stats import chi2_contingency

    ivs = [wilson(int(a), int(b)) for a, b in zip(k, n, strict=True)]
    table = np.stack([k, n - k], axis=1)
    pv = float(chi2_contingency(table)[1]) if (table.sum(axis=0) > 0).all() else 1.0
    return np.array([i.lo for i in ivs]), np.array([i.hi for i in ivs]), pv


def _cluster_bins(cut: np.ndarray, y: np.ndarray, groups: np.ndarray, bins: int,
                  n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Percentile intervals of each bin's rate and a Wald test of equal rates, from a
    bootstrap that resamples whole clusters."""
    from scipy.stats import chi2

    ids, g = np.unique(groups, return_inverse=True)
    k = np.zeros((len(ids), bins))
    n = np.zeros((len(ids), bins))
    np.add.at(k, (g, cut), y)
    np.add.at(n, (g, cut), 1.0)
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    with np.errstate(invalid="ignore", divide="ignore"):
        p_star = k[draw].sum(axis=1) / n[draw].sum(axis=1)
        p_hat = k.sum(axis=0) / n.sum(axis=0)
    lo, hi = np.nanpercentile(p_star, [2.5, 97.5], axis=0)
    cov = np.cov(p_star[np.isfinite(p_star).all(axis=1)], rowvar=False)
    # a bin at 0 or 1 in every resample has no bootstrap variance: give each bin at least
    # a binomial's, with its rate pulled off the edge (k + 1/2) / (n + 1)
    n_bin, k_bin = n.sum(axis=0), k.sum(axis=0)
    shrunk = (k_bin + 0.5) / (n_bin + 1.0)
    floor = shrunk * (1.0 - shrunk) / np.maximum(n_bin, 1.0)
    cov[np.diag_indices(bins)] = np.maximum(np.diag(cov), floor)
    contrast = np.eye(bins)[1:] - np.eye(bins)[0]  # each bin against the first
    d = contrast @ p_hat
    stat = float(d @ np.linalg.solve(contrast @ cov @ contrast.T, d))
    return lo, hi, float(chi2.sf(stat, bins - 1))


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


# --- can the indices be read? -----------------------------------------------------------------
@dataclass(frozen=True)
class Convergence:
    """Sobol' indices at N and N/2 and whether they can be read (``note`` says why not)."""

    table: pd.DataFrame | None
    note: str | None


def converged_sobol(problem: dict[str, Any], y: np.ndarray, max_half_width: float = 0.1,
                    second_order: bool = False, seed: int = RESAMPLING_SEED,
                    full: pd.DataFrame | None = None) -> Convergence:
    """Total and first-order indices on the full Saltelli sample and on its first half,
    each with a bootstrap half-width. Readable only if the full sample's total-index
    half-widths are at most ``allowed_half_width`` (``max_half_width``, or a fifth of the
    largest total index if that is more: ±0.12 on a total of 1 beside totals of 0 ranks
    the parameters as surely as ±0.1 does), the totals do not exceed 1 by more than
    their half-width, and the half sample's totals lie within the full's intervals."""
    y = np.asarray(y, dtype=float)
    if not np.nanstd(y) > 0:
        return Convergence(None, "the output is the same in every world: nothing to share "
                                 "out among the uncertainties")
    per_block = block_size(problem["num_vars"], second_order)
    n = len(y) // per_block
    if n < 4:
        return Convergence(None, f"N = {n} base samples is too few for an interval")
    full = sobol_indices(problem, y, second_order, seed=seed) if full is None else full
    half = sobol_indices(problem, y[: (n // 2) * per_block], second_order, seed=seed)
    table = full.assign(ST_half=half["ST"].to_numpy())
    return Convergence(table, _unreadable(table, n, max_half_width))


RELATIVE_HALF_WIDTH = 0.2  # of the largest total index (``allowed_half_width``)


def allowed_half_width(t: pd.DataFrame, max_half_width: float = 0.1) -> float:
    """The widest total-index interval that still ranks the parameters."""
    top = float(t["ST"].max()) if len(t) else 0.0
    return max(max_half_width, RELATIVE_HALF_WIDTH * top if math.isfinite(top) else 0.0)


def _unreadable(t: pd.DataFrame, n: int, max_half_width: float) -> str | None:
    allowed = allowed_half_width(t, max_half_width)
    wide = t["ST_conf"] > allowed
    over = t["ST"] > 1 + t["ST_conf"]
    moved = (t["ST_half"] - t["ST"]).abs() > t["ST_conf"]
    if over.any():
        return (f"total indices exceed 1 by more than their interval ({_names(t, over)}): "
                f"the N = {n} estimate has not converged")
    if wide.any():
        return (f"total-index intervals wider than ±{allowed:.2g} ({_names(t, wide)}) "
                f"at N = {n}: more samples are needed")
    if moved.any():
        return (f"the indices moved by more than their interval between N = {n // 2} and "
                f"N = {n} ({_names(t, moved)}): not converged")
    return None


def _names(t: pd.DataFrame, mask: pd.Series) -> str:
    return ", ".join(t.loc[mask, "name"].astype(str).head(4))


def samples_needed(table: pd.DataFrame, n: int, max_half_width: float = 0.1) -> int:
    """Roughly how many base samples would bring the widest total-index interval to
    :func:`allowed_half_width` (half-widths shrink as 1/sqrt(N))."""
    max_half_width = allowed_half_width(table, max_half_width)
    widest = float(table["ST_conf"].max())
    if not math.isfinite(widest) or widest <= max_half_width:
        return n
    need = n * (widest / max_half_width) ** 2
    return int(2 ** math.ceil(math.log2(need)))
