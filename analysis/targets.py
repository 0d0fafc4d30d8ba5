"""The model against its targets: each ``[targets.<name>]`` of an experiment, evaluated.

A target is a pattern from the sources (``docs/sources.md``) that the model must
reproduce: a rate of the no-deal war, the frozen line's failure rate by a day, the shape
of its hazard, the direction of a deal's effect. The statistics are the ones the report
uses (Wilson intervals for shares, seeded percentile bootstraps for the rest, paired by
replicate where two arms are compared), so ``dmzsim validate`` and the page it writes
(``docs/validation.md``) say exactly what the runs say.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE, wilson
from dmzsim.analysis.target_spec import TargetSpec

N_BOOT = 2000


@dataclass(frozen=True)
class TargetResult:
    """One target's value, its 95% interval and the verdict."""

    name: str
    spec: TargetSpec
    value: float
    lo: float
    hi: float
    n: int

    @property
    def distance(self) -> float:
        """How far the value lies outside the target range (0 inside), in its units."""
        low = -math.inf if self.spec.low is None else self.spec.low
        high = math.inf if self.spec.high is None else self.spec.high
        if not math.isfinite(self.value):
            return math.inf
        return max(low - self.value, self.value - high, 0.0)

    @property
    def verdict(self) -> str:
        """``inside``, ``within tolerance`` or ``outside``."""
        d = self.distance
        if d == 0.0:
            return "inside"
        return "within tolerance" if d <= self.spec.tolerance else "outside"

    @property
    def passed(self) -> bool:
        return self.verdict != "outside"


def _per_run(runs: pd.DataFrame, spec: TargetSpec) -> np.ndarray:
    """Each run's value of the output, per ``per_days`` days of the run if asked."""
    x = runs[spec.output].astype(float).to_numpy()
    if spec.per_days is not None:
        x = x / (runs["days_run"].astype(float).to_numpy() / spec.per_days)
    return x


def _boot(x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], seed: int
          ) -> tuple[float, float]:
    """Seeded percentile-bootstrap interval of ``fn`` over rows of ``x`` (1-d or 2-d)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(N_BOOT, len(x)))
    boots = np.sort(np.array([fn(x[i]) for i in idx], dtype=float))  # inf sorts last
    boots = boots[~np.isnan(boots)]
    if boots.size == 0:
        return math.nan, math.nan
    alpha = 1.0 - CONFIDENCE
    lo = boots[math.floor(alpha / 2 * (boots.size - 1))]
    hi = boots[math.ceil((1 - alpha / 2) * (boots.size - 1))]
    return float(lo), float(hi)


def _resumed_by(runs: pd.DataFrame, day: float) -> np.ndarray:
    day_resumed = runs["day_resumed"].astype(float).to_numpy()
    return runs["resumed"].astype(bool).to_numpy() & (day_resumed <= day)


def _hazard_ratio(both: np.ndarray) -> float:
    """``both`` columns: resumed by the middle, resumed by the end (0/1)."""
    first = both[:, 0].mean()
    at_peace = 1.0 - first
    second = (both[:, 1] - both[:, 0]).sum() / max(at_peace * len(both), 1e-12)
    return float(second / first) if first > 0 else math.inf


def evaluate_one(name: str, spec: TargetSpec, runs: pd.DataFrame, horizon: float,
                 seed: int = 0) -> TargetResult:
    """The statistic of one target over the runs of its arm (``runs`` holds all arms)."""
    arm = runs[runs["arm"] == spec.arm].sort_values("replicate")
    n = len(arm)
    stat = spec.statistic
    if n == 0:
        return TargetResult(name, spec, math.nan, math.nan, math.nan, 0)
    if stat in ("mean", "median", "quantile"):
        x = _per_run(arm, spec)
        fn = {"mean": np.mean, "median": np.median,
              "quantile": lambda v: np.quantile(v, spec.q)}[stat]
        return TargetResult(name, spec, float(fn(x)), *_boot(x, fn, seed), n)
    if stat == "ratio":
        assert spec.denominator is not None
        xy = arm[[spec.output, spec.denominator]].astype(float).to_numpy()

        def ratio(v: np.ndarray) -> float:
            return float(v[:, 0].mean() / v[:, 1].mean())
        return TargetResult(name, spec, ratio(xy), *_boot(xy, ratio, seed), n)
    if stat == "p_by_day":
        assert spec.day is not None
        k = int(_resumed_by(arm, spec.day).sum())
        ci = wilson(k, n)
        return TargetResult(name, spec, k / n, ci.lo, ci.hi, n)
    if stat == "hazard_ratio":
        both = np.column_stack([_resumed_by(arm, horizon / 2), _resumed_by(arm, horizon)])
        both = both.astype(float)
        return TargetResult(name, spec, _hazard_ratio(both), *_boot(both, _hazard_ratio, seed),
                            n)
    return _difference(name, spec, arm, runs, horizon, seed)


def _difference(name: str, spec: TargetSpec, arm: pd.DataFrame, runs: pd.DataFrame,
                horizon: float, seed: int) -> TargetResult:
    """P(resumed by the horizon) in the arm minus in ``versus``, paired by replicate."""
    other = runs[runs["arm"] == spec.versus].set_index("replicate")
    mine = arm.set_index("replicate")
    both = mine.index.intersection(other.index)
    d = np.column_stack([_resumed_by(mine.loc[both], horizon),
                         _resumed_by(other.loc[both], horizon)]).astype(float)

    def diff(v: np.ndarray) -> float:
        return float(v[:, 0].mean() - v[:, 1].mean())
    return TargetResult(name, spec, diff(d), *_boot(d, diff, seed), len(both))


def evaluate(targets: Mapping[str, TargetSpec], runs: pd.DataFrame, horizon: float
             ) -> list[TargetResult]:
    """Every target, in the file's order."""
    return [evaluate_one(name, spec, runs, horizon, seed=i)
            for i, (name, spec) in enumerate(targets.items())]


def _fmt(x: float) -> str:
    """Three significant figures at most, two below 1 (0.015 stays 0.015, not 0.01), and
    P-like values to two decimals."""
    if not math.isfinite(x):
        return "–" if math.isnan(x) else "∞"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.3g}"
    return f"{x:.2f}" if abs(x) >= 0.1 or x == 0 else f"{x:.2g}"


def _range(spec: TargetSpec) -> str:
    if spec.low is not None and spec.high is not None:
        text = f"{_fmt(spec.low)}–{_fmt(spec.high)}"
    else:
        text = f"≥ {_fmt(spec.low)}" if spec.low is not None else f"≤ {_fmt(spec.high)}"
    return text + (f" (± {_fmt(spec.tolerance)})" if spec.tolerance else "")


def table(results: list[TargetResult]) -> str:
    """The results as a Markdown table: target, source, value [interval], verdict."""
    rows = ["| target | arm | model [95% interval] | target range | verdict | source |",
            "|---|---|---|---|---|---|"]
    for r in results:
        verdict = r.verdict if r.passed else f"**outside** (by {_fmt(r.distance)})"
        what = r.spec.description or r.name
        rows.append(f"| {what} | {r.spec.arm} | {_fmt(r.value)} [{_fmt(r.lo)}–{_fmt(r.hi)}] "
                    f"| {_range(r.spec)} | {verdict} | {r.spec.source} |")
    passed = sum(r.passed for r in results)
    return "\n".join(rows) + f"\n\n{passed} of {len(results)} targets met."
