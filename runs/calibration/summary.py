"""What a calibration leaves in its folder, besides the trials' own runs: the table of
trials, the accepted set (every trial that met all its targets, not only the best), the
best trial's parameters and a report. Where each goes and what it holds:
:class:`analysis.results_layout.CalibrationLayout`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from dmzsim.analysis.results_layout import CalibrationLayout
from dmzsim.runs.calibration.search import trials_frame
from dmzsim.runs.calibration.spec import Calibration
from dmzsim.runs.experiment.tomlout import dumps


def _met(df: pd.DataFrame, cal: Calibration, name: str) -> pd.Series:
    tol = cal.experiment.spec.targets[name].tolerance
    return df[f"{name}__distance"] <= tol


def _fit_table(df: pd.DataFrame, cal: Calibration, best: pd.Series) -> list[str]:
    rows = ["| target | best trial's value | target range | met |", "|---|---|---|---|"]
    for name in cal.target_names:
        t = cal.experiment.spec.targets[name]
        rng = f"{t.low if t.low is not None else '−∞'} – {t.high if t.high is not None else '∞'}"
        met = best[f"{name}__distance"] <= t.tolerance
        rows.append(f"| {name} | {best[name]:.4g} | {rng} | {'yes' if met else 'no'} |")
    return rows


def _accepted_ranges(acc: pd.DataFrame, cal: Calibration) -> list[str]:
    if acc.empty:
        return ["No trial met every target: the accepted set is empty."]
    rows = [f"{len(acc)} accepted trials.", "", "| parameter | min | median | max |",
            "|---|---|---|---|"]
    for p in cal.ranges:
        v = acc[p]
        rows.append(f"| {p} | {v.min():.4g} | {v.median():.4g} | {v.max():.4g} |")
    return rows


def _importance(study: Any, cal: Calibration) -> list[str]:
    if len(cal.ranges) < 2 or len(trials_frame(cal, study)) < 4:
        return ["Needs two parameters or more and four trials or more."]
    import optuna

    try:
        imp = optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError) as err:  # e.g. every trial scored the same
        return [f"Not computed: {err}"]
    return ["| parameter | importance (fANOVA, share of the objective's variance) |",
            "|---|---|"] + [f"| {k} | {v:.2f} |" for k, v in imp.items()]


def _trade_offs(df: pd.DataFrame, cal: Calibration) -> list[str]:
    names = cal.target_names
    lines = []
    for a, b in itertools.combinations(names, 2):
        da, db = df[f"{a}__distance"], df[f"{b}__distance"]
        if da.nunique() > 1 and db.nunique() > 1:
            r = float(np.corrcoef(da.rank(), db.rank())[0, 1])
            if r < -0.3:
                lines.append(f"- {a} and {b} pull apart (Spearman ρ of their misses {r:.2f}): "
                             "trials closer to one are further from the other.")
        ma, mb = _met(df, cal, a), _met(df, cal, b)
        if ma.any() and mb.any() and not (ma & mb).any():
            lines.append(f"- {a} and {b}: each met by some trials, never both at once.")
    return lines or ["No pair of targets pulls apart in these trials."]


def write_outputs(cal: Calibration, study: Any, folder: Path) -> pd.DataFrame:
    """Write the files above; returns the trials' table."""
    layout = CalibrationLayout(folder)
    df = trials_frame(cal, study)
    df.to_parquet(layout.trial_table, index=False)
    acc = df[df["accepted"]]
    acc.to_parquet(layout.accepted, index=False)
    best = df.loc[df["objective"].idxmin()]
    layout.best.write_text(
        f"# dmzsim calibrate {cal.source}: trial {int(best['trial'])}, objective "
        f"{best['objective']:.4g}\n" + dumps({p: float(best[p]) for p in cal.ranges}),
        encoding="utf-8")
    never = [n for n in cal.target_names if not _met(df, cal, n).any()]
    report = [
        f"# Calibration `{cal.spec.name}`", "",
        f"{len(df)} trials of `{cal.spec.experiment}` (seed {cal.spec.seed}); parameters "
        f"{', '.join(cal.ranges)}; targets {', '.join(cal.target_names)}.", "",
        f"## Best trial ({int(best['trial'])}, objective {best['objective']:.4g})", "",
        *[f"- {p} = {best[p]:.6g}" for p in cal.ranges], "", *_fit_table(df, cal, best), "",
        "## Accepted set", "", *_accepted_ranges(acc, cal), "",
        "## Parameter importance", "", *_importance(study, cal), "",
        "## Trade-offs between targets", "", *_trade_offs(df, cal), "",
        "## Targets no trial met", "",
        *([f"- {n}" for n in never] or ["None."]), ""]
    layout.report.write_text("\n".join(report), encoding="utf-8")
    return df
