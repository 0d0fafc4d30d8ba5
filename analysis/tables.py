"""Per-arm tables from an experiment's summary records (``ExperimentResults.summary``).

Every function takes the summary DataFrame (one row per finished run, with ``arm``,
``point``, ``replicate`` and the model's summary fields) and returns a tidy DataFrame, so
the same numbers feed the report, the figures and a researcher's notebook.

Conventions:

* A run that did not resume is censored at the horizon H (``horizon_days`` of the config).
* Arms are compared *paired*: the run of arm A at (point, replicate) is matched with the
  run of arm B at the same (point, replicate), which had the same seed (common random
  numbers). Only pairs present in both arms count.
* With several design points, per-arm numbers pool over the points (each point weighted
  by its number of finished runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from dmzsim.analysis.estimators import (
    CONFIDENCE,
    KaplanMeier,
    kaplan_meier,
    mean_interval,
    paired_bootstrap,
    paired_counts,
    quantile_band,
    tango_paired_difference,
    wilson,
)
from dmzsim.model import outputs

PAIR_KEY = ["point", "replicate"]

def arm_label(arm: str) -> str:
    """``territory_first-unilateral`` -> ``Territory first (unilateral)``; arms shown once
    for several (:mod:`analysis.arm_groups`): ``guarantees_first-unilateral=mirrored`` ->
    ``Guarantees first (unilateral = mirrored)``, ``a-x+b-y`` -> ``A (x) = B (y)``."""
    if "+" in arm:
        return " = ".join(arm_label(part) for part in arm.split("+"))
    head, _, tail = arm.partition("-")
    text = head.replace("_", " ")
    text = text[:1].upper() + text[1:]
    tail = tail.replace("_", " ").replace("=", " = ")
    return f"{text} ({tail})" if tail else text


def arms_in(summary: pd.DataFrame, arms: Sequence[str] | None = None) -> list[str]:
    """The arms to report, in the given order (default: order of first appearance)."""
    present = list(dict.fromkeys(summary["arm"])) if len(summary) else []
    return [a for a in arms if a in present] if arms is not None else present


# Derived outputs that add up two outputs of the run record: (name, its parts). Where a
# results folder lacks a part (made before the part existed), the sum is left out.
SUMS = (("ground_ceded_or_lost_km2", ("area_ceded_km2", "territory_lost_km2")),
        ("belt_towns_ceded_or_lost", ("belt_towns_ceded", "belt_towns_lost")))


def with_derived(summary: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Add the derived outputs (kind "derived" in :mod:`model.outputs`):

    * ``ceasefire_days`` = min(day resumed, H): the survival time, censored at H. Because
      the only censoring is at the horizon, the Kaplan-Meier restricted mean to H equals
      the plain mean of this column, which is what makes paired RMST differences a simple
      paired bootstrap;
    * ``ground_ceded_or_lost_km2`` = ground ceded by the deal + territory lost after
      resumption, and ``belt_towns_ceded_or_lost`` the same in fortress-belt towns:
      Ukraine's whole cost, whichever way the ground went.
    """
    df = summary.copy()
    resumed = df["resumed"].astype(bool).to_numpy()
    day = pd.to_numeric(df["day_resumed"], errors="coerce").to_numpy(dtype=float)
    df["ceasefire_days"] = np.where(resumed, np.minimum(day, horizon), horizon)
    for name, parts in SUMS:
        if all(p in df for p in parts):
            df[name] = sum(pd.to_numeric(df[p], errors="coerce") for p in parts)
    return df


# --- risk ---------------------------------------------------------------------------------
def risk_table(summary: pd.DataFrame, arms: Sequence[str] | None = None,
               conf: float = CONFIDENCE) -> pd.DataFrame:
    """P(resumption within H) per arm with Wilson intervals."""
    rows = []
    for arm in arms_in(summary, arms):
        r = summary.loc[summary["arm"] == arm, "resumed"].astype(bool)
        est = wilson(int(r.sum()), len(r), conf)
        rows.append({"arm": arm, "runs": len(r), "resumed": int(r.sum()),
                     "p": est.estimate, "lo": est.lo, "hi": est.hi})
    return pd.DataFrame(rows, columns=["arm", "runs", "resumed", "p", "lo", "hi"])


def paired(summary: pd.DataFrame, arm: str, other: str, column: str
           ) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``column`` for the runs of two arms that share (point, replicate)."""
    a = summary.loc[summary["arm"] == arm, [*PAIR_KEY, column]]
    b = summary.loc[summary["arm"] == other, [*PAIR_KEY, column]]
    m = a.merge(b, on=PAIR_KEY, suffixes=("_a", "_b"), validate="one_to_one")
    m = m.sort_values(PAIR_KEY, kind="stable")  # row order must not change a bootstrap
    return m[f"{column}_a"].to_numpy(), m[f"{column}_b"].to_numpy()


def risk_differences(summary: pd.DataFrame, baseline: str,
                     arms: Sequence[str] | None = None, conf: float = CONFIDENCE) -> pd.DataFrame:
    """P(arm) - P(baseline) over paired runs, with Tango's score interval.

    ``b``: pairs where only the arm resumed; ``c``: only the baseline resumed.
    """
    rows = []
    for arm in arms_in(summary, arms):
        if arm == baseline:
            continue
        x, y = paired(summary, arm, baseline, "resumed")
        a, b, c, d = paired_counts(x.astype(bool), y.astype(bool))
        n = a + b + c + d
        est = tango_paired_difference(b, c, n, conf)
        rows.append({"arm": arm, "baseline": baseline, "pairs": n, "both": a,
                     "only_arm": b, "only_baseline": c, "neither": d,
                     "p_arm": (a + b) / n if n else np.nan,
                     "p_baseline": (a + c) / n if n else np.nan,
                     "diff": est.estimate, "lo": est.lo, "hi": est.hi})
    cols = ["arm", "baseline", "pairs", "both", "only_arm", "only_baseline", "neither",
            "p_arm", "p_baseline", "diff", "lo", "hi"]
    return pd.DataFrame(rows, columns=cols)


# --- survival -------------------------------------------------------------------------------
def survival_curves(summary: pd.DataFrame, horizon: float,
                    arms: Sequence[str] | None = None, conf: float = CONFIDENCE
                    ) -> dict[str, KaplanMeier]:
    """Kaplan-Meier curve of "the ceasefire still holds" per arm."""
    df = with_derived(summary, horizon)
    out = {}
    for arm in arms_in(df, arms):
        sub = df[df["arm"] == arm]
        out[arm] = kaplan_meier(sub["ceasefire_days"].to_numpy(),
                                sub["resumed"].astype(bool).to_numpy(), horizon, conf)
    return out


def survival_table(curves: Mapping[str, KaplanMeier]) -> pd.DataFrame:
    """Per arm: S(H) with its interval (1 - the Wilson interval of the share resumed, as
    P(resumption) has it, where every run is followed to H), median time to resumption,
    RMST to H (all with CIs)."""
    rows = []
    for arm, km in curves.items():
        p, med, rm = km.share_by(km.horizon), km.median(), km.rmst()
        rows.append({"arm": arm, "runs": km.n, "S_H": 1.0 - p.estimate, "S_H_lo": 1.0 - p.hi,
                     "S_H_hi": 1.0 - p.lo, "median": med.estimate, "median_lo": med.lo,
                     "median_hi": med.hi, "rmst": rm.estimate, "rmst_lo": rm.lo,
                     "rmst_hi": rm.hi})
    return pd.DataFrame(rows)


def resumption_by(curves: Mapping[str, KaplanMeier], days: Sequence[float]) -> pd.DataFrame:
    """P(resumption by day t) = 1 - S(t) per arm and day, with its interval.

    Read off the Kaplan-Meier curve: with censoring only at the horizon this is the share
    of runs resumed by day t (``resumed`` of ``runs``), with its Wilson interval as
    P(resumption) by the horizon has it (:meth:`KaplanMeier.share_by`; 1 - the log-log
    band of S where runs were censored earlier). Days at or past an arm's horizon are
    left out: P by the horizon itself is :func:`risk_table`'s.
    """
    rows = []
    for arm, km in curves.items():
        for day in days:
            if day >= km.horizon:
                continue
            p = km.share_by(day)
            rows.append({"arm": arm, "day": float(day), "runs": km.n,
                         "resumed": km.events_by(day), "p": p.estimate, "lo": p.lo,
                         "hi": p.hi})
    return pd.DataFrame(rows, columns=["arm", "day", "runs", "resumed", "p", "lo", "hi"])


# --- continuous outcomes ------------------------------------------------------------------
def outcome_table(summary: pd.DataFrame, horizon: float,
                  outcomes: Iterable[str] | None = None, arms: Sequence[str] | None = None,
                  conf: float = CONFIDENCE, seed: int = 0, method: str = "percentile"
                  ) -> pd.DataFrame:
    """Mean (bootstrap CI) and 5/25/50/75/95% quantiles of each outcome, per arm.

    ``method``: the bootstrap's, "percentile" or "BCa" (the report's and the published
    headline tables').
    ``outcomes`` defaults to the output table's per-arm outputs (costs and the like).
    NaN values are left out (``warning_days`` is NaN where no offensive came), so ``n``
    can be smaller than the number of runs.
    """
    if outcomes is None:
        outcomes = [o.name for o in outputs.per_arm()]
    df = with_derived(summary, horizon)
    rows = []
    for arm in arms_in(df, arms):
        sub = df[df["arm"] == arm]
        for col in outcomes:
            if col not in sub:
                continue
            x = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            est = mean_interval(x, conf, seed=seed, method=method)
            rows.append({"arm": arm, "outcome": col, "n": len(x), "mean": est.estimate,
                         "lo": est.lo, "hi": est.hi, **quantile_band(x)})
    cols = ["arm", "outcome", "n", "mean", "lo", "hi", "q05", "q25", "q50", "q75", "q95"]
    return pd.DataFrame(rows, columns=cols)


def outcome_differences(summary: pd.DataFrame, baseline: str, horizon: float,
                        outcomes: Iterable[str] | None = None,
                        arms: Sequence[str] | None = None, conf: float = CONFIDENCE,
                        seed: int = 0, method: str = "percentile") -> pd.DataFrame:
    """Mean(arm) - mean(baseline) over paired runs, bootstrap over pairs (``method``:
    "percentile" or "BCa"); ``outcomes`` defaults to the output table's paired outputs."""
    if outcomes is None:
        outcomes = [o.name for o in outputs.paired()]
    df = with_derived(summary, horizon)
    rows = []
    for arm in arms_in(df, arms):
        if arm == baseline:
            continue
        for col in outcomes:
            if col not in df:
                continue
            x, y = paired(df, arm, baseline, col)
            est = paired_bootstrap(x.astype(float), y.astype(float), conf, seed=seed,
                                   method=method)
            rows.append({"arm": arm, "baseline": baseline, "outcome": col, "pairs": len(x),
                         "diff": est.estimate, "lo": est.lo, "hi": est.hi})
    return pd.DataFrame(rows, columns=["arm", "baseline", "outcome", "pairs", "diff", "lo",
                                       "hi"])


# --- swept parameters ----------------------------------------------------------------------
def risk_by(summary: pd.DataFrame, params: Sequence[str], arm: str | None = None,
            conf: float = CONFIDENCE) -> pd.DataFrame:
    """P(resumption) with Wilson intervals for each combination of ``params`` values."""
    df = summary if arm is None else summary[summary["arm"] == arm]
    rows = []
    for key, sub in df.groupby(list(params), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        r = sub["resumed"].astype(bool)
        est = wilson(int(r.sum()), len(r), conf)
        rows.append({**dict(zip(params, key, strict=True)), "runs": len(r),
                     "p": est.estimate, "lo": est.lo, "hi": est.hi})
    return pd.DataFrame(rows, columns=[*params, "runs", "p", "lo", "hi"])


def risk_difference_by(summary: pd.DataFrame, params: Sequence[str], arm: str,
                       baseline: str, conf: float = CONFIDENCE) -> pd.DataFrame:
    """P(arm) - P(baseline) over paired runs, with Tango's interval, for each combination
    of ``params`` values (the runs of a design point pair with the baseline's at the same
    point and replicate)."""
    df = summary[summary["arm"].isin([arm, baseline])]
    rows = []
    for key, sub in df.groupby(list(params), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        d = risk_differences(sub, baseline, [arm], conf)
        if d.empty:
            continue
        r = d.iloc[0]
        rows.append({**dict(zip(params, key, strict=True)), "pairs": int(r["pairs"]),
                     "p_arm": r["p_arm"], "p_baseline": r["p_baseline"],
                     "diff": r["diff"], "lo": r["lo"], "hi": r["hi"]})
    return pd.DataFrame(rows, columns=[*params, "pairs", "p_arm", "p_baseline", "diff", "lo",
                                       "hi"])
