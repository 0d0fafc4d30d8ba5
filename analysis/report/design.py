"""The report's sections that depend on the experiment's design and outputs.

Each section checks whether it applies (a grid of swept parameters, a recorded series,
runs that resumed with an attack point, a Sobol' or Morris design, any swept parameter)
and adds nothing otherwise, so one report builder serves every kind of experiment.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from dmzsim.analysis import discovery_figures, figures
from dmzsim.analysis.discovery import Box, describe, discover, inspect, peel, tradeoff
from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.feature_scoring import feature_scores, have_extra_trees
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc, pretty
from dmzsim.analysis.sensitivity import indices
from dmzsim.analysis.tables import arm_label, risk_by
from dmzsim.model import outputs

RATIO_CAP = 20.0  # force ratios drawn at most at this value (an empty axis gives inf)


def by_parameter(doc: Doc, ctx: ReportContext) -> None:
    """P(resumption) against the one swept parameter, or heatmaps over the first
    two per arm (grid and table designs: their points line up on axes)."""
    if ctx.exp.design.method not in ("grid", "table") or not ctx.names:
        return
    doc.h(2, "Risk by swept parameter")
    if len(ctx.names) == 1:
        df = risk_by(ctx.summary, ["arm", ctx.names[0]], conf=CONFIDENCE)
        path = figures.risk_lines(df, ctx.names[0], ctx.horizon,
                                  ctx.figures / f"p_by_{ctx.names[0]}.png", ctx.stamp)
        doc.img(path, ctx.folder, f"P(resumption) by {ctx.names[0]}")
        return
    x, y = ctx.names[0], ctx.names[1]
    rest = ctx.names[2:]
    if rest:
        doc.p(f"Heatmaps over {x} × {y}, pooled over {', '.join(rest)}.")
    for arm in ctx.arms:
        grid = risk_by(ctx.summary, [x, y], arm=arm, conf=CONFIDENCE)
        title = f"{arm_label(arm)}: P(resumption within {ctx.h} days)"
        path = figures.risk_heatmap(grid, x, y, ctx.figures / f"heatmap_{arm}.png",
                                    ctx.stamp, title)
        doc.img(path, ctx.folder, title)


def fan_charts(doc: Doc, ctx: ReportContext) -> None:
    """Fan charts of the main-axis force ratio and of the area Ukraine holds (when the
    runs recorded a series)."""
    recorded = ctx.exp.series
    if recorded is None or recorded.empty or "force_ratio_main_axis" not in recorded:
        return
    doc.h(2, "Force ratio over time")
    path = figures.fan_chart(recorded, "force_ratio_main_axis", ctx.figures / "fan_ratio.png",
                             ctx.stamp, f"{_title('force_ratio_main_axis')} (log)",
                             ctx.arms, cap=RATIO_CAP, log=True)
    doc.img(path, ctx.folder, "Force ratio on the main axis: median, 50% and 90% bands")
    ratio = pd.to_numeric(recorded["force_ratio_main_axis"], errors="coerce")
    share = float((ratio >= RATIO_CAP).mean())
    doc.p(f"Ratios of {RATIO_CAP:g} or more (including an axis with no Ukrainian defender, "
          f"ratio ∞: {share:.0%} of all recorded days) are drawn at the dotted line.")
    if "ua_area_km2" in recorded:
        path = figures.fan_chart(recorded, "ua_area_km2", ctx.figures / "fan_ua_area.png",
                                 ctx.stamp, _title("ua_area_km2"), ctx.arms)
        doc.img(path, ctx.folder, "Area Ukraine holds: median, 50% and 90% bands")


def _title(name: str) -> str:
    out = outputs.get(name, "day")
    return out.title if out is not None else name


def attack_map(doc: Doc, ctx: ReportContext) -> None:
    """Where the resumed offensives struck, over the map the runs used."""
    s = ctx.summary
    if "attack_lat" not in s or not s["attack_lat"].notna().any():
        return
    doc.h(2, "Where offensives struck")
    path = figures.attack_map(s, ctx.figures / "attack_map.png", ctx.stamp,
                              ctx.exp.map_path, ctx.arms)
    doc.img(path, ctx.folder, "Attack points of resumed offensives")
    doc.p("Each point is one resumed run: where its main effort struck, i.e. Ukraine's "
          "forward edge on the attack axis on the day the offensive resumed (the model's "
          "attack_lat/lon). How far it then went is in the costs table (territory lost). "
          "Runs without a resumption, and no-deal runs (war from day 0, no single attack "
          "axis), have no point. Points sit on the model's axes, so many runs share one.")


# method -> (figure function, file, caption, columns (ranking index, its half-width, ...),
# table note)
INDEX_VIEWS = {
    "sobol": ("sobol_bars", "sobol.png", "Sobol' indices with 95% bootstrap intervals",
              ("ST", "ST_conf", "S1", "S1_conf"),
              "S1: share of variance due to the parameter alone; ST: including its "
              "interactions; _conf: half-width of the 95% interval (SALib)."),
    "morris": ("morris_plot", "morris.png", "Morris screening",
               ("mu_star", "mu_star_conf", "mu", "sigma"),
               "μ*: mean absolute elementary effect over the parameter's range; σ: "
               "spread of the effects (interactions, non-linearity)."),
}


def sensitivity(doc: Doc, ctx: ReportContext) -> None:
    """Sobol' or Morris indices of P(resumption), or of each output the experiment's
    ``[analysis] sensitivity`` names, with a caution when the design is too small to
    rank the parameters."""
    if ctx.exp.design.method not in ("sobol", "morris"):
        return
    named = (ctx.exp.config.get("analysis") or {}).get("sensitivity")
    for name in named or [outputs.risk().name]:
        _sensitivity_of(doc, ctx, name)


def _sensitivity_of(doc: Doc, ctx: ReportContext, name: str) -> None:
    design = ctx.exp.design
    out = outputs.get(name)
    risk = name == outputs.risk().name
    output = (f"P(resumption within {ctx.h} days)" if risk else
              f"P({out.label})" if out is not None and out.boolean else
              f"mean {out.title}" if out is not None else name)
    doc.h(2, "Sensitivity of P(resumption)" if risk else f"Sensitivity of {output}")
    if name not in ctx.summary:
        doc.p(f"Indices not computed: the runs have no `{name}`.")
        return
    arm = ctx.arms[0] if len(ctx.arms) > 1 else None
    try:
        df = indices(design, ctx.summary, name, arm=arm)
    except ValueError as err:
        doc.p(f"Indices not computed: {err}")
        return
    draw, file, title, columns, note = INDEX_VIEWS[design.method]
    file = file if risk else file.replace(".png", f"_{name}.png")
    path = getattr(figures, draw)(df, ctx.figures / file, ctx.stamp, output)
    doc.img(path, ctx.folder, f"{title}: {output}")
    doc.table(pretty(df.sort_values(columns[0], ascending=False), dict.fromkeys(columns, 3)),
              note)
    est, conf = df[columns[0]], df[columns[1]]  # the ranking index and its half-width
    if float(conf.median()) > float(est.abs().median()):
        doc.p("**Caution:** most confidence intervals are wider than the indices themselves; "
              "this design is too small to rank the parameters (more samples are needed).")
    share = df.attrs.get("noise_share", float("nan"))
    if math.isfinite(share):
        doc.p(f"Replicate noise makes up about {share:.0%} of the variance of the per-point "
              f"{'P(resumption)' if risk else output}; indices are only as clear as that "
              "allows (more replicates per point shrink it).")


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
               "is not installed: `pip install scikit-learn` and re-run `dmzsim report`")
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
