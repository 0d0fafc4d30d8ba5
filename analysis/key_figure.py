"""The one figure a published experiment is known by, drawn with :mod:`analysis.figures`.

Which figure depends on the design, because each design answers a different question:

* Sobol' or Morris: the sensitivity indices of P(resumption);
* a grid or table over two or more parameters: the heatmap of P(resumption) over the
  first two, for the baseline arm (pooled over any further parameters);
* one swept parameter: P(resumption) against it, one line per arm;
* otherwise: P(resumption) by arm with Wilson intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CONF = 0.95


def key_figure(exp: Any, path: Path) -> Path:
    """Draw the key figure of a loaded experiment (``load_experiment``) into ``path``."""
    from analysis.figures import Stamp

    stamp = Stamp.from_manifest(exp.manifest, exp.config)
    summary = exp.summary
    if "status" in summary:
        summary = summary[summary["status"].fillna("ok") == "ok"]
    horizon = float(exp.config.get("horizon_days") or 730)
    names = [n for n in exp.design.names if n in summary.columns]
    if exp.design.method in ("sobol", "morris"):
        drawn = _sensitivity(exp, summary, horizon, path, stamp)
        if drawn is not None:
            return drawn
    elif exp.design.method in ("grid", "table") and names:
        return _by_parameter(exp, summary, names, horizon, path, stamp)
    return _risk_bars(exp, summary, horizon, path, stamp)


def _risk_bars(exp: Any, summary: Any, horizon: float, path: Path, stamp: Any) -> Path:
    from analysis import figures
    from analysis.tables import risk_table

    risk = risk_table(summary, exp.arms or None, CONF)
    return figures.risk_bars(risk, horizon, path, stamp)


def _by_parameter(exp: Any, summary: Any, names: list[str], horizon: float, path: Path,
                  stamp: Any) -> Path:
    from analysis import figures
    from analysis.tables import arm_label, arms_in, risk_by

    if len(names) == 1:
        df = risk_by(summary, ["arm", names[0]], conf=CONF)
        return figures.risk_lines(df, names[0], horizon, path, stamp)
    arms = arms_in(summary, exp.arms or None)
    baseline = exp.config.get("baseline_arm")
    arm = baseline if baseline in arms else arms[0]
    grid = risk_by(summary, names[:2], arm=arm, conf=CONF)
    title = f"{arm_label(arm)}: P(resumption within {horizon:g} days)"
    if len(names) > 2:
        title += f", pooled over {', '.join(names[2:])}"
    return figures.risk_heatmap(grid, names[0], names[1], path, stamp, title)


def _sensitivity(exp: Any, summary: Any, horizon: float, path: Path, stamp: Any
                 ) -> Path | None:
    """The indices figure, or None when SALib cannot compute them (too few runs)."""
    from analysis import figures
    from analysis.sensitivity import indices
    from analysis.tables import arms_in

    arms = arms_in(summary, exp.arms or None)
    try:
        df = indices(exp.design, summary, "resumed", arm=arms[0] if len(arms) > 1 else None)
    except ValueError:
        return None
    output = f"P(resumption within {horizon:g} days)"
    if exp.design.method == "sobol":
        return figures.sobol_bars(df, path, stamp, output)
    return figures.morris_plot(df, path, stamp, output)
