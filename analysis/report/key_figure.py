"""The one figure a published experiment is known by, drawn with :mod:`analysis.figures`.

Which figure depends on the design, because each design answers a different question:

* a robust-decision study (``[levers]`` and ``[uncertainties]``): the flip map, which
  policy is best across the plane of the two uncertainties that most decide it;
* Sobol' or Morris: the sensitivity indices of P(resumption), or, when a convergence
  check finds them not estimable, P(resumption) in bins of each parameter;
* a grid or table over two or more parameters: the heatmap of P(resumption) over the
  first two, for the baseline arm (pooled over any further parameters);
* one swept parameter: P(resumption) against it, one line per arm;
* otherwise: P(resumption) by arm with Wilson intervals, beside Ukraine's whole cost per
  arm (ground and fortress-belt towns ceded by the deal or lost after resumption, and
  the oblast it holds at the end) where the runs record it.

It is written as PNG (``path``) with an SVG and a PDF beside it, for papers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dmzsim.analysis import figures, flip_map
from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.loader import ExperimentResults
from dmzsim.analysis.report.context import BOOTSTRAP, ReportContext
from dmzsim.analysis.report.design import INDEX_VIEWS
from dmzsim.analysis.robust_study import flip_of, study_of
from dmzsim.analysis.sensitivity import design_bins, indices
from dmzsim.analysis.tables import arm_label, outcome_table, risk_by


def key_figure(exp: ExperimentResults, path: Path) -> Path:
    """Draw the key figure of a loaded experiment (``load_experiment``) into ``path``.

    It reads the experiment as the report does (``ReportContext``: finished runs, the
    horizon, arms, baseline, swept parameters), so the two cannot disagree.
    """
    with figures.saved_as(figures.KEY_FORMATS):  # PNG, SVG and PDF beside it
        return _draw(ReportContext(exp), path)


def _draw(ctx: ReportContext, path: Path) -> Path:
    exp = ctx.exp
    if "levers" in exp.config:
        drawn = _flip_map(exp, path)
        if drawn is not None:
            return drawn
    elif exp.design.method in ("sobol", "morris"):
        drawn = _sensitivity(ctx, path)
        if drawn is not None:
            return drawn
    elif exp.design.method in ("grid", "table") and ctx.names:
        return _by_parameter(ctx, path)
    return _risk_bars(ctx, path)


def _flip_map(exp: ExperimentResults, path: Path) -> Path | None:
    """A robust study's flip map (the report's, :func:`analysis.robust_study.flip_of`), or
    None when fewer than two uncertainties vary."""
    study = study_of(exp)
    flip = flip_of(study)
    if flip is None:
        return None
    return flip_map.draw(flip.table, flip.a, flip.b, study.policies, path)


def _risk_bars(ctx: ReportContext, path: Path) -> Path:
    return risk_and_cost(ctx, path)


def risk_and_cost(ctx: ReportContext, path: Path) -> Path:
    """P(resumption) beside the whole cost per arm (risk bars alone for runs that record
    no cost); the report's summary shows the same figure."""
    costs = whole_costs(ctx)
    if not set(costs["outcome"]) & {panel[1] for panel in figures.COST_PANELS}:
        return figures.risk_bars(ctx.risk.reset_index(), ctx.horizon, path, ctx.stamp,
                                 factors=ctx.factors)
    return figures.risk_and_cost(ctx.risk.reset_index(), costs, ctx.horizon, path,
                                 ctx.stamp, factors=ctx.factors)


def whole_costs(ctx: ReportContext) -> pd.DataFrame:
    """The long outcome table (over all runs) of the outputs the cost panels draw."""
    names = [n for panel in figures.COST_PANELS for n in panel[1:4]] + [figures.HELD]
    return outcome_table(ctx.summary, ctx.horizon, names, ctx.arms, CONFIDENCE,
                         method=BOOTSTRAP)


def _by_parameter(ctx: ReportContext, path: Path) -> Path:
    names = ctx.names
    if len(names) == 1:
        df = risk_by(ctx.summary, ["arm", names[0]], conf=CONFIDENCE)
        return figures.risk_lines(df, names[0], ctx.horizon, path, ctx.stamp)
    grid = risk_by(ctx.summary, names[:2], arm=ctx.baseline, conf=CONFIDENCE)
    title = f"{arm_label(ctx.baseline)}: P(resumption within {ctx.horizon:g} days)"
    if len(names) > 2:
        title += f", pooled over {', '.join(names[2:])}"
    return figures.risk_heatmap(grid, names[0], names[1], path, ctx.stamp, title)


def _sensitivity(ctx: ReportContext, path: Path) -> Path | None:
    """The indices figure, or None when SALib cannot compute them (too few runs)."""
    arm = ctx.arms[0] if len(ctx.arms) > 1 else None
    try:
        df = indices(ctx.exp.design, ctx.summary, "resumed", arm=arm)
    except ValueError:
        return None
    output = f"P(resumption within {ctx.horizon:g} days)"
    if df.attrs.get("unreadable"):  # no indices to show: where the risk moves instead
        bins = design_bins(ctx.exp.design, ctx.summary, arm=arm)
        return None if bins.empty else figures.binned_risk(
            bins, path, ctx.stamp, f"resumption within {ctx.horizon:g} days")
    return INDEX_VIEWS[ctx.exp.design.method].draw(df, path, ctx.stamp, output)
