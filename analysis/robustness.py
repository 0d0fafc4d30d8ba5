"""Robustness of policies across states of the world, on paired replicates.

The data are a cube ``y[p, w, r]``: the outcome of policy ``p`` in world ``w`` on
replicate ``r``, where replicate ``r`` of world ``w`` has the same seed under every policy
(common random numbers). A world-level measure is the policy's mean over replicates,
``m[p, w] = mean_r y[p, w, r]`` (for ``resumed``: P(resumption) in that world). Lower is
better (risk and cost). The measures, for each policy ``p`` over the W worlds:

* **mean**: ``mean_w m[p, w]`` (Laplace's principle of insufficient reason);
* **worst percentile**: the ``q``-th percentile over worlds of ``m[p, w]`` (q = 100 is
  Wald's maximin);
* **satisficing** (Rhodium's type 1; Starr 1963): the share of worlds in which every
  threshold holds; with the **distance to the nearest failing world** from the baseline
  world, in the uncertainties scaled to [0, 1] (the radius of the region around the
  baseline in which the policy never fails; Rhodium's type 2 spirit, see docs);
* **regret type 1** (Rhodium's ``regret_type1``; Kasprzyk et al. 2013): the ``q``-th
  percentile over worlds of ``|m[p, w] - m[p, b]|``, the deviation from the policy's own
  result in the baseline world ``b``;
* **regret type 2** (Rhodium's ``regret_type2``; Savage 1951): the ``q``-th percentile
  over worlds of ``m[p, w] - min_p' m[p', w]``, the loss against the best policy of
  each world.

Rhodium divides both regrets by the policy's value (relative regret); P(resumption) is
often 0, so here regret is absolute, in the measure's own units (``relative=True`` gives
Rhodium's form, for the cross-check). Intervals come from a bootstrap over replicate
seeds within worlds: **paired** resamples the same replicates for every policy of a
world, so the common noise cancels from regret and from comparisons; ``paired=False``
resamples each policy on its own (what a study without common random numbers could do).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE

OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
    "==": lambda a, b: np.isclose(a, b)}
MEASURES = ("mean", "worst", "regret1", "regret2", "satisficing")
HIGHER_IS_BETTER = {"satisficing"}
#: ``measure op number``: a threshold on a world-level measure (a policy's mean over the
#: replicates of one world), e.g. ``p_resumption <= 0.1``
THRESHOLD = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|==|<|>)\s*"
                       r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def parse_threshold(text: str) -> tuple[str, str, float]:
    """``"p_resumption <= 0.1"`` -> ("p_resumption", "<=", 0.1)."""
    found = THRESHOLD.match(text)
    if found is None:
        raise ValueError(f"not a threshold: {text!r}")
    return found.group(1), found.group(2), float(found.group(3))


@dataclass(frozen=True)
class Cube:
    """``values[p, w, r]`` with the names of its policies and worlds."""

    values: np.ndarray
    policies: list[str]
    worlds: list[int]

    def world_means(self) -> np.ndarray:
        """``m[p, w]``: the mean over replicates (NaN-aware)."""
        return np.nanmean(self.values, axis=2)


def cube(runs: pd.DataFrame, column: str, policies: list[str] | None = None,
         policy: str = "arm", world: str = "point") -> Cube:
    """Pivot one outcome of the runs to ``[policy, world, replicate]`` (NaN: missing)."""
    pols = policies or list(dict.fromkeys(runs[policy]))
    worlds = sorted(runs[world].unique())
    reps = sorted(runs["replicate"].unique())
    out = np.full((len(pols), len(worlds), len(reps)), np.nan)
    pi = {p: i for i, p in enumerate(pols)}
    wi = {w: i for i, w in enumerate(worlds)}
    ri = {r: i for i, r in enumerate(reps)}
    ok = runs[policy].isin(pi)
    sub = runs[ok]
    out[sub[policy].map(pi).to_numpy(), sub[world].map(wi).to_numpy(),
        sub["replicate"].map(ri).to_numpy()] = sub[column].to_numpy(dtype=float)
    return Cube(out, pols, [int(w) for w in worlds])


# --- the measures on world-level values m[p, w] -------------------------------------------
def worst(m: np.ndarray, q: float) -> np.ndarray:
    """The ``q``-th percentile over worlds of each policy's value."""
    return np.nanpercentile(m, q, axis=1)


def regret1(m: np.ndarray, baseline: int, q: float, relative: bool = False) -> np.ndarray:
    """Regret type 1: the ``q``-th percentile of ``|m[p, w] - m[p, baseline]|`` (divided by
    ``|m[p, baseline]|`` if ``relative``, as Rhodium does)."""
    base = m[:, [baseline]]
    dev = np.abs(m - base)
    if relative:
        dev = dev / np.abs(base)
    return np.nanpercentile(dev, q, axis=1)


def regret2_by_world(m: np.ndarray, relative: bool = False) -> np.ndarray:
    """``m[p, w] - min_p' m[p', w]`` (divided by ``|m[p, w]|`` if ``relative``)."""
    reg = m - np.nanmin(m, axis=0, keepdims=True)
    return reg / np.abs(m) if relative else reg


def regret2(m: np.ndarray, q: float, relative: bool = False) -> np.ndarray:
    """Regret type 2: the ``q``-th percentile over worlds of the loss against each
    world's best policy."""
    return np.nanpercentile(regret2_by_world(m, relative), q, axis=1)


def satisfied(means: Mapping[str, np.ndarray],
              thresholds: list[tuple[str, str, float]]) -> np.ndarray:
    """``ok[p, w]``: every threshold holds for policy ``p`` in world ``w``."""
    first = next(iter(means.values()))
    ok = np.ones(first.shape, dtype=bool)
    for name, op, value in thresholds:
        ok &= OPS[op](means[name], value)
    return ok


def failing_distance(ok: np.ndarray, scaled: np.ndarray, baseline: int) -> np.ndarray:
    """For each policy, the distance from the baseline world to its nearest failing world
    (``scaled``: the worlds' uncertainties in [0, 1], one row per world); inf if it never
    fails."""
    dist = np.sqrt(((scaled - scaled[baseline]) ** 2).sum(axis=1))
    out = np.full(ok.shape[0], np.inf)
    for p in range(ok.shape[0]):
        fails = ~ok[p]
        if fails.any():
            out[p] = float(dist[fails].min())
    return out


@dataclass(frozen=True)
class Setting:
    """What the measures need besides the data."""

    rank_by: str
    thresholds: list[tuple[str, str, float]]
    percentile: float = 90.0
    baseline: int = 0


def measures(means: Mapping[str, np.ndarray], s: Setting) -> dict[str, np.ndarray]:
    """Every measure for every policy (one array per measure), from world-level values."""
    m = means[s.rank_by]
    out = {"mean": np.nanmean(m, axis=1), "worst": worst(m, s.percentile),
           "regret1": regret1(m, s.baseline, s.percentile),
           "regret2": regret2(m, s.percentile)}
    if s.thresholds:
        out["satisficing"] = satisfied(means, s.thresholds).mean(axis=1)
    return out


# --- bootstrap over replicate seeds within worlds -------------------------------------------
def resample(cubes: Mapping[str, Cube], rng: np.random.Generator, paired: bool
             ) -> dict[str, np.ndarray]:
    """World-level means of one bootstrap resample of replicates. ``paired``: the same
    replicate indices for every policy of a world (and every outcome)."""
    n_p, n_w, n_r = next(iter(cubes.values())).values.shape
    shape = (1, n_w, n_r) if paired else (n_p, n_w, n_r)
    idx = np.broadcast_to(rng.integers(0, n_r, size=shape), (n_p, n_w, n_r))
    return {k: np.nanmean(np.take_along_axis(c.values, idx, axis=2), axis=2)
            for k, c in cubes.items()}


def robustness_table(cubes: Mapping[str, Cube], s: Setting, *, paired: bool = True,
                     n_boot: int = 500, seed: int = 0, conf: float = CONFIDENCE
                     ) -> pd.DataFrame:
    """One row per policy and measure: the estimate and its bootstrap interval."""
    point = measures({k: c.world_means() for k, c in cubes.items()}, s)
    rng = np.random.default_rng(seed)
    boots = [measures(resample(cubes, rng, paired), s) for _ in range(n_boot)]
    alpha = 1.0 - conf
    rows = []
    policies = next(iter(cubes.values())).policies
    for name, est in point.items():
        draws = np.array([b[name] for b in boots])
        lo, hi = np.nanquantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
        rows += [{"policy": p, "measure": name, "estimate": float(est[i]),
                  "low": float(lo[i]), "high": float(hi[i])}
                 for i, p in enumerate(policies)]
    return pd.DataFrame(rows)


def most_robust(table: pd.DataFrame) -> pd.DataFrame:
    """The best policy under each measure (lowest, or highest satisficing; tied ones
    joined by `` = ``), and whether it is (one of) the best under the mean."""
    rows = []
    for name, grp in table.groupby("measure", sort=False):
        est = grp["estimate"].to_numpy(dtype=float)
        top = np.nanmax(est) if name in HIGHER_IS_BETTER else np.nanmin(est)
        tied = grp["policy"][np.abs(est - top) <= 1e-12].tolist()
        rows.append({"measure": name, "best": " = ".join(tied), "estimate": float(top),
                     "tied": tied})
    out = pd.DataFrame(rows)
    by_mean = out.loc[out["measure"] == "mean", "tied"]
    if len(by_mean):
        out["agrees_with_mean"] = [bool(set(t) & set(by_mean.iloc[0])) for t in out["tied"]]
    return out.drop(columns="tied")


def scaled_worlds(worlds: pd.DataFrame) -> np.ndarray:
    """Each uncertainty scaled to [0, 1] over the worlds (named values: their rank among
    the values, scaled), one row per world."""
    cols = []
    for name in worlds.columns:
        s = worlds[name]
        v = (s.astype(float) if pd.api.types.is_numeric_dtype(s)
             else s.astype("category").cat.codes.astype(float))
        span = v.max() - v.min()
        cols.append(((v - v.min()) / span if span > 0 else v * 0.0).to_numpy())
    return np.column_stack(cols) if cols else np.zeros((len(worlds), 0))


def nearest_world(worlds: pd.DataFrame, values: Mapping[str, object]) -> int:
    """The world closest to ``values`` (e.g. the base values of the uncertainties), in
    the uncertainties scaled to [0, 1]."""
    probe = worlds.copy()
    probe.loc[len(probe)] = [values[c] for c in worlds.columns]
    scaled = scaled_worlds(probe)
    dist = ((scaled[:-1] - scaled[-1]) ** 2).sum(axis=1)
    return int(np.argmin(dist))
