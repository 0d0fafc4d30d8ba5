"""The report's scenario-discovery sections: where regrouping risk is high and which
parameters tell whether the offensive resumes.

* :func:`discovery`: PRIM boxes above the base rate as rules, the peeling trajectory's
  coverage/density trade-off, box 1's limits with their quasi-p values and, for a sampled
  design, a pairs plot of the runs coloured by outcome;
* :func:`feature_scoring`: extra-trees and univariate feature scores per swept parameter,
  and extra-trees scores of every output the experiment names for analysis.

Both need swept parameters and add nothing otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from dmzsim.analysis import discovery_figures
from dmzsim.analysis.discovery import Box, describe, discover, inspect, peel, tradeoff
from dmzsim.analysis.feature_scoring import feature_scores, have_extra_trees
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc, pretty
from dmzsim.model import outputs

SAMPLED = ("lhs", "sobol", "morris")  # designs whose points scatter over the ranges
PRIM = {"alpha": 0.05, "min_support": 0.05}  # peeling settings of the report's boxes


def discovery(doc: Doc, ctx: ReportContext) -> None:
    """PRIM boxes: regions of the swept parameters where the offensive resumes
    clearly more often than overall; the peeling trade-off, box 1 in detail, and a
    pairs plot of a sampled design."""
    if not ctx.names:
        return
    cols = list(ctx.names) + (["arm"] if len(ctx.arms) > 1 else [])
    x = ctx.summary[cols].reset_index(drop=True)
    y = ctx.summary["resumed"].astype(bool).to_numpy()
    doc.h(2, "Scenario discovery: where regrouping risk is high")
    if y.all() or not y.any():
        doc.p("Every run ended the same way, so there is no high-risk region to describe.")
        _pairs(doc, ctx, x, y, None)
        return
    boxes = discover(x, y, min_coverage=0.5, max_boxes=2, **PRIM)
    base = float(np.mean(y))
    if boxes:
        doc.ul(describe(boxes, x, y, f"P(resumption within {ctx.h} days)"))
        doc.p("PRIM peeling (α = 0.05, minimum support 5%), the densest box covering at "
              "least half of the resumed runs, restrictions kept only if significant "
              "(quasi-p ≤ 0.05); the second box is searched among the runs outside the "
              "first. Only boxes where P(resumption) is above the base rate "
              f"({base:.2f}) are listed.")
    else:
        doc.p("PRIM found no region of the swept parameters where the offensive resumes "
              f"more often than overall (base rate {base:.2f}): no box is listed.")
    _tradeoff(doc, ctx, x, y, boxes[0] if boxes else None)
    if boxes:
        _inspection(doc, x, y, boxes[0])
    _pairs(doc, ctx, x, y, boxes[0] if boxes else None)


def _tradeoff(doc: Doc, ctx: ReportContext, x: pd.DataFrame, y: np.ndarray,
              chosen: Box | None) -> None:
    table = tradeoff(peel(x, y, **PRIM))
    path = discovery_figures.tradeoff_plot(
        table, float(np.mean(y)), ctx.figures / "prim_tradeoff.png", ctx.stamp, chosen,
        f"P(resumption within {ctx.h} days)")
    doc.img(path, ctx.folder, "PRIM peeling trajectory: coverage against density")
    doc.p(f"Each point is one box of the peeling trajectory ({len(table)} boxes, from all "
          "runs down to 5% of them): peeling trades coverage (the share of resumed runs "
          "inside the box) for density (P(resumption) inside it); the colour counts the "
          "parameters the box restricts. The star is box 1 after its insignificant "
          "restrictions were dropped.")


def _inspection(doc: Doc, x: pd.DataFrame, y: np.ndarray, box: Box) -> None:
    table = inspect(box, x, y)
    if not table["kept"].astype(bool).any():
        table = table.drop(columns="kept")
    for col in ("qp_lower", "qp_upper"):
        table[col] = table[col].map(_p_text)
    doc.table(pretty(table, {"lower": 3, "upper": 3}),
              "Box 1, parameter by parameter: its limits (the data's edge where a side is "
              "open) and quasi-p values, a one-sided binomial test of the box's resumed "
              "runs against P(resumption) in the box with that one limit removed (as in "
              "EMA Workbench; small: the limit matters; –: that side is not restricted).")


def _p_text(p: float) -> str:
    """A p value as text: 0.042, 3.1e-08; – for none."""
    if not math.isfinite(p):
        return "–"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _pairs(doc: Doc, ctx: ReportContext, x: pd.DataFrame, y: np.ndarray,
           box: Box | None) -> None:
    if ctx.exp.design.method not in SAMPLED:
        return
    first = list(box.limits) if box else []
    if y.any() and not y.all():  # then the most telling by the univariate score
        first += feature_scores(x, y, "univariate")["name"].tolist()
    cols = discovery_figures.pairs_columns(x, first, most=6)
    if len(cols) < 2:
        return
    path = discovery_figures.pairs_plot(x[cols], y, ctx.figures / "pairs.png", ctx.stamp,
                                        box)
    doc.img(path, ctx.folder, "The design's runs, parameter against parameter")
    shown = "" if len(cols) == len(ctx.names) else (
        f" ({len(cols)} of the {len(ctx.names)} swept parameters: box 1's, then the most "
        "telling by the univariate F test)")
    doc.p(f"Every run of the {ctx.exp.design.method} design as a point{shown}, red where "
          "the offensive resumed; histograms of each parameter on the diagonal, the "
          "resumed runs stacked on top; the black frame is box 1 where it restricts the "
          "pair.")


def feature_scoring(doc: Doc, ctx: ReportContext) -> None:
    """How much each swept parameter tells about whether the offensive resumed: the
    extra-trees importance (where scikit-learn is installed) and the univariate F test."""
    if len(ctx.names) < 2:
        return
    cols = list(ctx.names) + (["arm"] if len(ctx.arms) > 1 else [])
    x = ctx.summary[cols].reset_index(drop=True)
    y = ctx.summary["resumed"].astype(bool).to_numpy()
    if y.all() or not y.any():
        return
    doc.h(2, "Feature scores: which parameters tell whether the offensive resumes")
    uni = feature_scores(x, y, "univariate").rename(columns={"score": "p (univariate)"})
    if have_extra_trees():
        trees = feature_scores(x, y, "extra_trees").rename(columns={"score": "extra trees"})
        table = trees.merge(uni, on="name")
        how = ("extra trees: the impurity importance of 100 extremely randomised trees "
               "fitted to resumed yes/no (shares summing to 1; they also catch "
               "interactions; EMA Workbench's default feature score)")
    else:
        table = uni
        how = ("the extra-trees score (EMA Workbench's default) needs scikit-learn, which "
               "is not installed: `pip install -e '.[discovery]'` and re-run `dmzsim report`")
    table["p (univariate)"] = table["p (univariate)"].map(_p_text)
    doc.table(pretty(table, {"extra trees": 3, "F": 1}),
              f"Most telling first. {how[0].upper()}{how[1:]}; p (univariate): the "
              "one-way F test of the parameter between runs that resumed and runs that "
              "did not (small: it differs; it sees each parameter alone)"
              + ("; the arm enters as its category codes." if "arm" in cols else "."))
    _scores_by_output(doc, ctx, x)


def _scores_by_output(doc: Doc, ctx: ReportContext, x: pd.DataFrame) -> None:
    """Extra-trees scores of every output ``[analysis] sensitivity`` names, one column
    each (EMA Workbench's ``get_feature_scores_all``)."""
    named = (ctx.exp.config.get("analysis") or {}).get("sensitivity") or []
    named = [n for n in named if n in ctx.summary]
    if not have_extra_trees() or named in ([], [outputs.risk().name]):
        return
    table = pd.DataFrame({"name": list(x.columns)})
    for name in named:
        y = pd.to_numeric(ctx.summary[name], errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(y)  # e.g. warning days only where an offensive came
        if keep.sum() < 10 or np.unique(y[keep]).size < 2:
            continue
        out = outputs.get(name)
        yk = y[keep].astype(bool) if out is not None and out.boolean else y[keep]
        scores = feature_scores(x[keep], yk, "extra_trees")
        table = table.merge(scores.rename(columns={"score": name}), on="name")
    if table.shape[1] < 3:
        return
    table = table.sort_values(table.columns[1], ascending=False)
    doc.table(pretty(table, dict.fromkeys(table.columns[1:], 3)),
              "Extra-trees scores of each output the experiment names for analysis (yes/no "
              "outputs: classification; numbers: regression; runs where an output is "
              "undefined left out of its column). Each column sums to 1.")
