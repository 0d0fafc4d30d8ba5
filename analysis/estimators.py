"""Estimators with confidence intervals, each tested against a published or hand-worked answer.

* :func:`wilson` -- a binomial proportion (Wilson 1927 score interval).
* :func:`tango_paired_difference` -- the difference of two *paired* proportions, e.g.
  P(resumption) in two arms that share replicate seeds (Tango 1998 score interval).
  :func:`newcombe_paired_difference` (Newcombe 1998, "square-and-add", method 10) is kept as
  a closed-form cross-check.
* :func:`paired_bootstrap` -- the difference of means of a continuous outcome over pairs
  (bootstrap over pairs with a seeded numpy Generator: percentile, or BCa through
  ``scipy.stats.bootstrap``, which corrects for the skew of costs that are zero in most
  runs and large in a few).
* :func:`kaplan_meier` -- survival of the ceasefire with Greenwood variance and log-log
  pointwise bands, the median with its Brookmeyer-Crowley interval, and the restricted mean
  survival time (RMST) up to the horizon.

Why Tango for paired proportions: it inverts the score test whose value at a zero
difference is McNemar's statistic (b - c) / sqrt(b + c), so the interval and McNemar's test
always agree; it uses only the discordant pairs' information correctly, stays inside
[-1, 1], does not collapse to a point when there are no discordant pairs, and has close to
nominal coverage in small samples (Tango 1998, Stat Med 17:891; Fagerland, Lydersen & Laake
2014, Stat Med 33:2850, recommend it together with Newcombe's square-and-add interval).
With common random numbers most replicate pairs are concordant, which is exactly where
an unpaired interval would be far too wide and a Wald interval on (b - c) / n misbehaves.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import brentq
from scipy.stats import bootstrap, norm

__all__ = [
    "CONFIDENCE",
    "Interval",
    "KaplanMeier",
    "kaplan_meier",
    "mean_interval",
    "newcombe_paired_difference",
    "paired_bootstrap",
    "paired_counts",
    "quantile_band",
    "tango_paired_difference",
    "wilson",
]


CONFIDENCE = 0.95  # of every interval the project reports, unless a caller asks otherwise


class Interval(NamedTuple):
    """A point estimate with a two-sided confidence interval."""

    estimate: float
    lo: float
    hi: float

    @property
    def half_width(self) -> float:
        """Half the interval's width."""
        return (self.hi - self.lo) / 2

    def fmt(self, digits: int = 2, conf: float = CONFIDENCE) -> str:
        """``0.62 (95% CI 0.55–0.68)``."""
        f = f"{{:.{digits}f}}"
        return (f"{f.format(self.estimate)} ({conf:.0%} CI {f.format(self.lo)}–"
                f"{f.format(self.hi)})")


def _z(conf: float) -> float:
    if not 0.0 < conf < 1.0:
        raise ValueError(f"conf must be in (0, 1), got {conf}")
    return float(norm.ppf(0.5 + conf / 2.0))


# --- one proportion -----------------------------------------------------------------------
def wilson(k: int, n: int, conf: float = CONFIDENCE) -> Interval:
    """Wilson score interval for k successes in n trials (NaNs if n == 0)."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    z = _z(conf)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    # exact at the edges (the formula gives them up to round-off)
    return Interval(p, 0.0 if k == 0 else lo, 1.0 if k == n else hi)


# --- two paired proportions -----------------------------------------------------------------
def paired_counts(x: np.ndarray, y: np.ndarray) -> tuple[int, int, int, int]:
    """The paired 2x2 table (a, b, c, d) of two boolean arrays aligned by pair.

    a: both true; b: x true, y false; c: x false, y true; d: both false.
    """
    x, y = np.asarray(x, dtype=bool), np.asarray(y, dtype=bool)
    if x.shape != y.shape:
        raise ValueError(f"paired arrays differ in shape: {x.shape} vs {y.shape}")
    return (int(np.sum(x & y)), int(np.sum(x & ~y)), int(np.sum(~x & y)),
            int(np.sum(~x & ~y)))


def tango_paired_difference(b: int, c: int, n: int, conf: float = CONFIDENCE) -> Interval:
    """Tango's score interval for p_x - p_y = (b - c) / n from n pairs.

    ``b`` pairs had the event only under x, ``c`` only under y (see :func:`paired_counts`).
    The limits are the two roots of |T(delta)| = z, where T is Tango's score statistic
    with the constrained maximum-likelihood estimate of the discordant cell probability.
    """
    if n <= 0:
        return Interval(math.nan, math.nan, math.nan)
    if min(b, c) < 0 or b + c > n:
        raise ValueError(f"need b, c >= 0 and b + c <= n, got b={b}, c={c}, n={n}")
    z = _z(conf)
    est = (b - c) / n

    def score(delta: float) -> float:
        w = -b - c + (2 * n - b + c) * delta
        q21 = (math.sqrt(max(w * w + 8 * n * c * delta * (1 - delta), 0.0)) - w) / (4 * n)
        var = n * (2 * q21 + delta * (1 - delta))
        return (b - c - n * delta) / math.sqrt(var) if var > 0 else math.copysign(
            math.inf, b - c - n * delta)

    eps = 1e-12
    lo = -1.0 if score(-1 + eps) <= z else brentq(lambda d: score(d) - z, -1 + eps, 1 - eps,
                                                  xtol=1e-12)
    hi = 1.0 if score(1 - eps) >= -z else brentq(lambda d: score(d) + z, -1 + eps, 1 - eps,
                                                 xtol=1e-12)
    return Interval(est, lo, hi)


def newcombe_paired_difference(a: int, b: int, c: int, d: int,
                               conf: float = CONFIDENCE) -> Interval:
    """Newcombe's square-and-add interval (1998, method 10) for (b - c) / n."""
    n = a + b + c + d
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    p1, l1, u1 = wilson(a + b, n, conf)
    p2, l2, u2 = wilson(a + c, n, conf)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    # Newcombe's correlation estimate, shrunk towards 0 by n/2 when positive
    cross = a * d - b * c
    if denom == 0 or 0 <= cross <= n / 2:
        phi = 0.0
    else:
        phi = (cross - n / 2 if cross > 0 else cross) / math.sqrt(denom)
    est = p1 - p2
    lo = est - math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)
                             + (u2 - p2) ** 2, 0.0))
    hi = est + math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2)
                             + (p2 - l2) ** 2, 0.0))
    return Interval(est, max(lo, -1.0), min(hi, 1.0))


# --- continuous outcomes ------------------------------------------------------------------
BOOTSTRAP_METHODS = ("percentile", "BCa")


def paired_bootstrap(x: np.ndarray, y: np.ndarray, conf: float = CONFIDENCE, n_boot: int = 2000,
                     seed: int = 0, stat: str = "mean", method: str = "percentile"
                     ) -> Interval:
    """Bootstrap interval for stat(x) - stat(y), resampling whole pairs.

    ``x[i]`` and ``y[i]`` are the two arms' outcomes of pair i (same replicate seed).
    Resampling pairs keeps the within-pair correlation that common random numbers create.
    ``stat`` is "mean" or "median". The Generator is seeded, so the interval is repeatable.
    ``method``: "percentile" (the quantiles of the resampled differences), or "BCa"
    (bias-corrected and accelerated: ``scipy.stats.bootstrap`` with ``paired=True``).
    Where every pair gives the same difference the interval is that value (BCa is
    undefined there).
    """
    if method not in BOOTSTRAP_METHODS:
        raise ValueError(f"method must be one of {BOOTSTRAP_METHODS}, got {method!r}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"need two 1-d arrays of equal length, got {x.shape}, {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) == 0:
        return Interval(math.nan, math.nan, math.nan)
    fn = {"mean": np.mean, "median": np.median}[stat]
    est = float(fn(x) - fn(y))
    if method == "BCa":
        return _bca(x, y, fn, est, conf, n_boot, seed)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    boots = fn(x[idx], axis=1) - fn(y[idx], axis=1)
    alpha = 1.0 - conf
    lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return Interval(est, float(lo), float(hi))


def _bca(x: np.ndarray, y: np.ndarray | None, fn: Any, est: float, conf: float,
         n_boot: int, seed: int) -> Interval:
    """The BCa interval of fn(x) - fn(y) over pairs (of fn(x) if ``y`` is None), by
    ``scipy.stats.bootstrap``."""
    spread = np.ptp(x) > 0 or (y is not None and np.ptp(y) > 0)
    if len(x) < 2 or not spread:
        return Interval(est, est, est)  # one run, or nothing varies: no spread to resample

    def diff(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return fn(a, axis=axis) - fn(b, axis=axis)

    def one(a: np.ndarray, axis: int = -1) -> np.ndarray:
        return fn(a, axis=axis)

    data, stat = ((x,), one) if y is None else ((x, y), diff)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate resample gives NaN, handled below
        res = bootstrap(data, stat, paired=y is not None, vectorized=True,
                        n_resamples=n_boot, confidence_level=conf, method="BCa",
                        rng=np.random.default_rng(seed))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Interval(est, est, est)
    return Interval(est, lo, hi)


def mean_interval(x: np.ndarray, conf: float = CONFIDENCE, n_boot: int = 2000,
                  seed: int = 0, method: str = "percentile") -> Interval:
    """Bootstrap interval for the mean of one sample (NaNs dropped); ``method`` as in
    :func:`paired_bootstrap`."""
    if method not in BOOTSTRAP_METHODS:
        raise ValueError(f"method must be one of {BOOTSTRAP_METHODS}, got {method!r}")
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return Interval(math.nan, math.nan, math.nan)
    if method == "BCa":
        return _bca(x, None, np.mean, float(np.mean(x)), conf, n_boot, seed)
    return paired_bootstrap(x, np.zeros_like(x), conf, n_boot, seed)


def quantile_band(x: np.ndarray, qs: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
                  ) -> dict[str, float]:
    """Named quantiles of a sample, NaNs dropped: ``{"q05": ..., "q50": ...}``."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    vals = np.quantile(x, qs) if len(x) else np.full(len(qs), math.nan)
    return {f"q{round(q * 100):02d}": float(v) for q, v in zip(qs, vals, strict=True)}


# --- survival -----------------------------------------------------------------------------
@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve: S(t) just after each distinct event time, with bands.

    ``time[0]`` is 0 with S = 1 unless there are events at time 0 (then S(0) < 1).
    ``se`` is Greenwood's standard error of S; ``lo``/``hi`` are the log-log bands.
    ``first_censored``: the earliest censoring time (inf: none censored); up to it every
    one of the ``n`` runs is followed, so the curve is a plain share there.
    """

    time: np.ndarray
    surv: np.ndarray
    se: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    n_at_risk: np.ndarray
    n_events: np.ndarray
    n: int
    horizon: float
    conf: float
    first_censored: float = math.inf

    def at(self, t: float) -> float:
        """S(t): the curve's value at time t (right-continuous step function)."""
        i = int(np.searchsorted(self.time, t, side="right")) - 1
        return float(self.surv[i]) if i >= 0 else 1.0

    def band_at(self, t: float) -> Interval:
        """S(t) with its pointwise log-log interval."""
        i = int(np.searchsorted(self.time, t, side="right")) - 1
        if i < 0:
            return Interval(1.0, 1.0, 1.0)
        return Interval(float(self.surv[i]), float(self.lo[i]), float(self.hi[i]))

    def events_by(self, t: float) -> int:
        """The number of events at or before time t."""
        return round(float(self.n_events[self.time <= t].sum()))

    def share_by(self, t: float) -> Interval:
        """1 - S(t), the share with an event by t, with its interval.

        Up to the first censoring time every run is followed, so 1 - S(t) is k events
        of n and gets the Wilson interval, like any proportion (also at k = 0 or n, where
        the log-log band collapses to a point); later, 1 - the log-log band of S.
        """
        if t <= self.first_censored:
            return wilson(self.events_by(t), self.n, self.conf)
        s = self.band_at(t)
        return Interval(1.0 - s.estimate, 1.0 - s.hi, 1.0 - s.lo)

    def median(self) -> Interval:
        """Median time with the Brookmeyer-Crowley interval from the log-log band.

        The estimate is the first time S <= 0.5; the limits are the first times the lower
        and the upper band reach 0.5. A value that is never reached within the data is
        ``inf`` (report it as "not reached by day H").
        """
        def first(curve: np.ndarray) -> float:
            hit = np.nonzero(curve <= 0.5 + 1e-12)[0]
            return float(self.time[hit[0]]) if len(hit) else math.inf

        return Interval(first(self.surv), first(self.lo), first(self.hi))

    def rmst(self, tau: float | None = None) -> Interval:
        """Restricted mean survival time to ``tau`` (default: the horizon), normal CI.

        RMST = integral of S(t) from 0 to tau: the expected ceasefire days within tau.
        Variance: sum over event times t_j <= tau of A_j^2 d_j / (n_j (n_j - d_j)), with
        A_j the area under S from t_j to tau (Klein & Moeschberger 2003, section 4.5).
        """
        tau = self.horizon if tau is None else float(tau)
        t = np.append(self.time[self.time < tau], tau)
        s = self.surv[: len(t) - 1]
        areas = np.diff(t) * s  # area of each step up to tau
        est = float(areas.sum())
        tail = np.cumsum(areas[::-1])[::-1]  # area from t_j to tau
        var = 0.0
        for j in range(len(t) - 1):
            d, r = self.n_events[j], self.n_at_risk[j]
            if d > 0 and r > d:
                var += tail[j] ** 2 * d / (r * (r - d))
        half = _z(self.conf) * math.sqrt(var)
        return Interval(est, max(est - half, 0.0), min(est + half, tau))


def kaplan_meier(time: np.ndarray, event: np.ndarray, horizon: float | None = None,
                 conf: float = CONFIDENCE) -> KaplanMeier:
    """Kaplan-Meier estimate of P(T > t) from right-censored data.

    ``time``: event or censoring times; ``event``: True where the event happened. With
    ``horizon`` H, events after H are treated as censored at H (administrative censoring;
    a run that did not resume has time H and event False).
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError("time and event must be 1-d arrays of equal length")
    if np.any(~np.isfinite(t[e])):
        raise ValueError("an event needs a finite time")
    if horizon is None:
        horizon = float(np.max(t)) if len(t) else 0.0
    late = t > horizon
    t = np.where(late | ~np.isfinite(t), horizon, t)
    e = e & ~late
    n = len(t)
    first_censored = float(t[~e].min()) if (~e).any() else math.inf
    times = np.unique(t[e])
    at_risk = np.array([np.sum(t >= s) for s in times], dtype=float)
    events = np.array([np.sum((t == s) & e) for s in times], dtype=float)
    factors = 1.0 - events / np.maximum(at_risk, 1.0)
    surv = np.cumprod(factors)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), np.inf)
    gw = np.cumsum(terms)  # Greenwood's sum: var(log S)
    with np.errstate(invalid="ignore"):
        se = np.where(surv > 0, surv * np.sqrt(gw), 0.0)  # S = 0: no variance left
    lo, hi = _loglog_band(surv, gw, conf)
    if len(times) == 0 or times[0] > 0:  # prepend S(0) = 1
        times = np.insert(times, 0, 0.0)
        surv, se = np.insert(surv, 0, 1.0), np.insert(se, 0, 0.0)
        lo, hi = np.insert(lo, 0, 1.0), np.insert(hi, 0, 1.0)
        at_risk, events = np.insert(at_risk, 0, float(n)), np.insert(events, 0, 0.0)
    return KaplanMeier(times, surv, se, lo, hi, at_risk, events, n, float(horizon), conf,
                       first_censored)


def _loglog_band(surv: np.ndarray, gw: np.ndarray, conf: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise band exp(-exp(log(-log S) +- z sqrt(gw) / |log S|)) (Kalbfleisch-Prentice).

    Where S = 1 the band is [1, 1]; where S = 0 it is [0, 0] (as R's survival package).
    """
    z = _z(conf)
    lo, hi = np.array(surv, dtype=float), np.array(surv, dtype=float)
    ok = (surv > 0) & (surv < 1) & np.isfinite(gw)
    log_s = np.log(surv[ok])
    w = z * np.sqrt(gw[ok]) / np.abs(log_s)
    lo[ok] = np.exp(-np.exp(np.log(-log_s) + w))
    hi[ok] = np.exp(-np.exp(np.log(-log_s) - w))
    return lo, hi
