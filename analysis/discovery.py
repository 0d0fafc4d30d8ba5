"""Scenario discovery: which parameter ranges make regrouping risk high (PRIM).

The Patient Rule Induction Method (Friedman & Fisher 1999, Statistics and Computing 9:123)
as used for scenario discovery (Bryant & Lempert 2010, Technological Forecasting & Social
Change 77:34; EMA Workbench's ``prim`` module): start from a box holding every run and
*peel* it -- repeatedly remove the thin slice (a fraction ``alpha`` of the runs in the box,
at the low or high end of one parameter, or one category of a categorical one) whose
removal leaves the highest share of "cases of interest" (e.g. runs in which the offensive
resumed) -- until fewer than ``min_support`` of the runs are left. Each step is a box on the
*peeling trajectory*; boxes trade

* **coverage**: the share of all cases that fall in the box, against
* **density**: the share of the box's runs that are cases (here, P(resumption) in it).

:func:`discover` picks the densest box with coverage >= ``min_coverage``, drops its
restrictions that do not matter (quasi-p > ``max_quasi_p``, a one-sided binomial test of the
box against the box without that restriction, as in EMA Workbench), and, if asked, looks
for a further box among the runs outside it (covering); a box whose density is not above
the base rate is not returned. :func:`tradeoff` tabulates a trajectory (EMA Workbench's
``show_tradeoff`` draws the same) and :func:`inspect` gives one box's limits with their
quasi-p values (``inspect``). :meth:`Box.rule` writes the box as
a readable rule, e.g. ``guarantee_credibility <= 0.3 and guarantee_delay_days >= 180``.

Written here rather than taken from a library: EMA Workbench (BSD) would bring scikit-learn,
statsmodels, seaborn and more as dependencies, and the standalone ``PRIM`` package on PyPI
is GPL-3, which does not fit an MIT project. The algorithm is short; the tests check it
against boxes planted in synthetic data. Pasting (re-growing a peeled box) is not done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

__all__ = ["Box", "describe", "discover", "format_value", "inspect", "peel", "tradeoff"]


@dataclass
class Box:
    """A box in parameter space and how well it captures the cases of interest.

    ``limits``: numeric columns -> (lo, hi), inclusive (-inf / inf: that side is open);
    categorical columns -> the set of categories kept. Only restricted columns appear.
    """

    limits: dict[str, Any]
    n: int  # runs in the box
    cases: int  # cases of interest in the box
    coverage: float
    density: float
    support: float  # share of all runs in the box
    quasi_p: dict[str, float] = field(default_factory=dict)

    def mask(self, x: pd.DataFrame) -> np.ndarray:
        """Which rows of ``x`` fall in the box."""
        inside = np.ones(len(x), dtype=bool)
        for col, lim in self.limits.items():
            if isinstance(lim, frozenset):
                inside &= x[col].isin(lim).to_numpy()
            else:
                v = x[col].to_numpy(dtype=float)
                inside &= (v >= lim[0]) & (v <= lim[1])
        return inside

    def rule(self, full: pd.DataFrame | None = None) -> str:
        """The box as words: ``a >= 0.3 and b in {x, y}`` (``full``: the unrestricted data,
        to write one-sided limits when a limit sits at the data's edge)."""
        parts = []
        for col, lim in self.limits.items():
            if isinstance(lim, frozenset):
                parts.append(f"{col} in {{{', '.join(sorted(map(str, lim)))}}}")
                continue
            lo, hi = lim
            gmin = float(full[col].min()) if full is not None else -np.inf
            gmax = float(full[col].max()) if full is not None else np.inf
            lo = lo if lo > gmin else -np.inf
            hi = hi if hi < gmax else np.inf
            if np.isfinite(lo) and np.isfinite(hi):
                parts.append(f"{format_value(lo)} <= {col} <= {format_value(hi)}")
            elif np.isfinite(lo):
                parts.append(f"{col} >= {format_value(lo)}")
            elif np.isfinite(hi):
                parts.append(f"{col} <= {format_value(hi)}")
        return " and ".join(parts) if parts else "(all runs)"


def format_value(v: float) -> str:
    """Short, exact-looking numbers for rules: 0.3, 180, 2.5e+04."""
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}"


# --- peeling ---------------------------------------------------------------------------------
def _categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _candidates(x: pd.DataFrame, inbox: np.ndarray, alpha: float
                ) -> list[tuple[str, str, np.ndarray]]:
    """Every one-step peel of the box: (column, description, new in-box mask)."""
    out = []
    for col in x.columns:
        s = x[col]
        if _categorical(s):
            present = pd.unique(s[inbox])
            if len(present) > 1:
                out += [(col, f"drop {c}", inbox & (s != c).to_numpy()) for c in present]
            continue
        v = s.to_numpy(dtype=float)
        vin = v[inbox]
        levels = np.unique(vin)
        if len(levels) < 2:
            continue
        lo_cut = np.quantile(vin, alpha)
        lo_cut = lo_cut if lo_cut > levels[0] else levels[1]  # remove at least one level
        hi_cut = np.quantile(vin, 1 - alpha)
        hi_cut = hi_cut if hi_cut < levels[-1] else levels[-2]
        out.append((col, "raise lower limit", inbox & (v >= lo_cut)))
        out.append((col, "lower upper limit", inbox & (v <= hi_cut)))
    return out


def _box(x: pd.DataFrame, y: np.ndarray, inbox: np.ndarray) -> Box:
    limits: dict[str, Any] = {}
    for col in x.columns:
        s = x[col]
        if _categorical(s):
            kept = frozenset(pd.unique(s[inbox]).tolist())
            if len(kept) < s.nunique():
                limits[col] = kept
        else:
            v = s.to_numpy(dtype=float)
            lo, hi = float(v[inbox].min()), float(v[inbox].max())
            lo = lo if lo > v.min() else -np.inf  # a side at the data's edge is open
            hi = hi if hi < v.max() else np.inf
            if np.isfinite(lo) or np.isfinite(hi):
                limits[col] = (lo, hi)
    n, cases, total = int(inbox.sum()), int(y[inbox].sum()), int(y.sum())
    return Box(limits, n, cases, cases / total if total else np.nan,
               cases / n if n else np.nan, n / len(y))


def peel(x: pd.DataFrame, y: np.ndarray, alpha: float = 0.05,
         min_support: float = 0.05) -> list[Box]:
    """The peeling trajectory: boxes from all runs down to ``min_support`` of them.

    Each step takes the peel that leaves the highest density, even when that density is
    lower than the box's (Friedman & Fisher's rule; demanding an increase would stall on
    data whose cases sit at opposite edges). Ties go to the peel that keeps more runs.
    """
    y = np.asarray(y, dtype=bool)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} rows of parameters but {len(y)} outcomes")
    x = x.reset_index(drop=True)
    inbox = np.ones(len(y), dtype=bool)
    trajectory = [_box(x, y, inbox)]
    min_n = max(1, int(np.ceil(min_support * len(y))))
    while True:
        best, best_key = None, (-1.0, 0)
        for _, _, cand in _candidates(x, inbox, alpha):
            n = int(cand.sum())
            if n < min_n or n == int(inbox.sum()):
                continue
            key = (float(y[cand].mean()), n)
            if key > best_key:
                best, best_key = cand, key
        if best is None:
            return trajectory
        inbox = best
        trajectory.append(_box(x, y, inbox))


def _restrictions(box: Box) -> list[tuple[str, str]]:
    """The box's one-sided limits and category sets: (column, "lo" | "hi" | "set")."""
    out = []
    for col, lim in box.limits.items():
        if isinstance(lim, frozenset):
            out.append((col, "set"))
            continue
        out += [(col, side) for side, v in zip(("lo", "hi"), lim, strict=True)
                if np.isfinite(v)]
    return out


def _relax(limits: dict[str, Any], col: str, side: str) -> dict[str, Any]:
    """``limits`` without one restriction (a numeric side becomes -inf or +inf)."""
    out = dict(limits)
    if side == "set":
        del out[col]
        return out
    lo, hi = out[col]
    lo, hi = (-np.inf, hi) if side == "lo" else (lo, np.inf)
    if np.isinf(lo) and np.isinf(hi):
        del out[col]
    else:
        out[col] = (lo, hi)
    return out


def _quasi_p(x: pd.DataFrame, y: np.ndarray, box: Box) -> dict[str, float]:
    """One-sided binomial p of the box's cases against the box without each restriction.

    Small p: the restriction matters (the looser box has a clearly lower density).
    Keys are ``column`` for category sets and ``column>=`` / ``column<=`` for limits.
    """
    out = {}
    for col, side in _restrictions(box):
        m = Box(_relax(box.limits, col, side), 0, 0, 0, 0, 0).mask(x)
        p0 = float(y[m].mean()) if m.any() else 0.0
        key = {"set": col, "lo": f"{col}>=", "hi": f"{col}<="}[side]
        out[key] = float(binom.sf(box.cases - 1, box.n, p0))  # = binomtest(..., "greater")
    return out


def _prune(x: pd.DataFrame, y: np.ndarray, box: Box, max_quasi_p: float) -> Box:
    """Drop restrictions one at a time (least significant first) while any has p > max."""
    while True:
        box.quasi_p = _quasi_p(x, y, box)
        if not box.quasi_p:
            return box
        keys = _restrictions(box)
        i = int(np.argmax(list(box.quasi_p.values())))
        if list(box.quasi_p.values())[i] <= max_quasi_p:
            return box
        limits = _relax(box.limits, *keys[i])
        m = Box(limits, 0, 0, 0, 0, 0).mask(x)
        n, cases, total = int(m.sum()), int(y[m].sum()), int(y.sum())
        box = Box(limits, n, cases, cases / total if total else np.nan,
                  cases / n if n else np.nan, n / len(y))


def discover(x: pd.DataFrame, y: np.ndarray | Sequence[bool], alpha: float = 0.05,
             min_support: float = 0.05, min_coverage: float = 0.5,
             max_quasi_p: float = 0.05, max_boxes: int = 1) -> list[Box]:
    """Boxes where the cases of interest concentrate (empty if none beats the base rate).

    Only boxes whose density is above the base rate (the share of cases among all runs)
    are returned: a box at or below it is not a region where the cases concentrate.

    For each box: peel, take the densest box with coverage >= ``min_coverage`` (of the
    cases still uncovered), drop restrictions that do not matter, then repeat on the runs
    outside the box, up to ``max_boxes``. Coverage and density of every returned box are
    relative to *all* runs.
    """
    x = x.reset_index(drop=True)
    y = np.asarray(y, dtype=bool)
    total = int(y.sum())
    boxes: list[Box] = []
    left = np.ones(len(y), dtype=bool)
    while len(boxes) < max_boxes and y[left].sum() > 0 and (~y[left]).sum() > 0:
        xs, ys = x[left].reset_index(drop=True), y[left]
        traj = peel(xs, ys, alpha, min_support * len(y) / left.sum())
        fit = [b for b in traj[1:] if b.coverage >= min_coverage]
        if not fit:
            break
        best = max(fit, key=lambda b: (b.density, b.coverage))
        best = _prune(xs, ys, best, max_quasi_p)
        # A box is only a high-risk region if it beats the base rate of the runs it was
        # searched among *and* of all runs: a later box, found among the runs left outside
        # the earlier ones, may beat what is left and still be safer than the whole.
        if not best.limits or best.density <= max(ys.mean(), y.mean()):
            break
        full_mask = best.mask(x) & left
        n, cases = int(full_mask.sum()), int(y[full_mask].sum())
        boxes.append(Box(best.limits, n, cases, cases / total, cases / n, n / len(y),
                         best.quasi_p))
        left &= ~full_mask
    return boxes


def describe(boxes: Sequence[Box], x: pd.DataFrame, y: np.ndarray, what: str,
             cases: str = "runs in which the offensive resumed") -> list[str]:
    """Plain sentences, one per box, e.g. for the report.

    ``what``: the density's meaning, e.g. "P(resumption within 730 days)"; ``cases``: the
    cases of interest in words.
    """
    y = np.asarray(y, dtype=bool)
    base = float(y.mean()) if len(y) else np.nan
    lines = []
    for i, b in enumerate(boxes, 1):
        lines.append(
            f"Box {i}: {b.rule(x)}. In this box {what} = {b.density:.2f} (all runs: "
            f"{base:.2f}); it holds {b.support:.0%} of the runs and {b.coverage:.0%} of the "
            f"{cases}.")
    return lines


# --- the peeling trajectory and one box in detail ------------------------------------------
def tradeoff(trajectory: Sequence[Box]) -> pd.DataFrame:
    """The peeling trajectory as a table, one row per box (as EMA Workbench's
    ``peeling_trajectory``): ``id``, ``coverage``, ``density``, ``support`` (EMA's
    "mass"), ``n``, ``cases`` and ``res_dim``, the number of restricted parameters.

    Peeling only ever removes runs, so coverage never rises along the trajectory.
    """
    return pd.DataFrame({
        "id": range(len(trajectory)),
        "coverage": [b.coverage for b in trajectory],
        "density": [b.density for b in trajectory],
        "support": [b.support for b in trajectory],
        "n": [b.n for b in trajectory],
        "cases": [b.cases for b in trajectory],
        "res_dim": [len(b.limits) for b in trajectory],
    })


def inspect(box: Box, x: pd.DataFrame, y: np.ndarray | Sequence[bool]) -> pd.DataFrame:
    """Each restricted parameter of ``box``: its limits and their quasi-p values.

    Columns: ``parameter``, ``lower`` and ``upper`` (the data's edge where that side is
    not restricted), ``kept`` (the categories kept, for a categorical parameter) and
    ``qp_lower`` / ``qp_upper`` (NaN for an unrestricted side; a category set has one,
    in ``qp_lower``). A quasi-p value is EMA Workbench's (after Bryant & Lempert 2010): a
    one-sided binomial test of the box's cases out of its runs against the density of the
    box with that one restriction removed -- small: the restriction matters.
    """
    x = x.reset_index(drop=True)
    qp = _quasi_p(x, np.asarray(y, dtype=bool), box)
    rows = []
    for col, lim in box.limits.items():
        if isinstance(lim, frozenset):
            rows.append({"parameter": col, "lower": np.nan, "upper": np.nan,
                         "kept": ", ".join(sorted(map(str, lim))),
                         "qp_lower": qp.get(col, np.nan), "qp_upper": np.nan})
            continue
        v = x[col].to_numpy(dtype=float)
        lo, hi = lim
        rows.append({"parameter": col,
                     "lower": lo if np.isfinite(lo) else float(v.min()),
                     "upper": hi if np.isfinite(hi) else float(v.max()), "kept": "",
                     "qp_lower": qp.get(f"{col}>=", np.nan),
                     "qp_upper": qp.get(f"{col}<=", np.nan)})
    return pd.DataFrame(rows, columns=["parameter", "lower", "upper", "kept", "qp_lower",
                                       "qp_upper"])
