"""The report's sections that depend on the experiment's design and outputs.

Each section checks whether it applies (a grid of swept parameters, a recorded series,
runs that resumed with an attack point, a Sobol' or Morris design)
and adds nothing otherwise, so one report builder serves every kind of experiment.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from dmzsim.analysis import figures
from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.provenance import Stamp
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc, pretty
from dmzsim.analysis.sensitivity import block_size, design_bins, indices
from dmzsim.analysis.tables import arm_label, risk_by, risk_difference_by
from dmzsim.model import outputs

RATIO_CAP = 20.0  # force ratios drawn at most at this value (an empty axis gives inf)


def by_parameter(doc: Doc, ctx: ReportContext) -> None:
    """P(resumption) against the one swept parameter, or heatmaps over the first two per
    arm and of each arm's paired difference from the baseline on one shared scale (grid
    and table designs: their points line up on axes); then a table with a row per design
    point."""
    if ctx.exp.design.method not in ("grid", "table") or not ctx.names:
        return
    doc.h(2, "Risk by swept parameter")
    if len(ctx.names) == 1:
        df = risk_by(ctx.summary, ["arm", ctx.names[0]], conf=CONFIDENCE)
        path = figures.risk_lines(df, ctx.names[0], ctx.horizon,
                                  ctx.figures / f"p_by_{ctx.names[0]}.png", ctx.stamp,
                                  factors=ctx.factors)
        doc.img(path, ctx.folder, f"P(resumption) by {ctx.names[0]} with 95% Wilson bands")
    else:
        _heatmaps(doc, ctx)
    _point_table(doc, ctx)


def _heatmaps(doc: Doc, ctx: ReportContext) -> None:
    x, y = ctx.names[0], ctx.names[1]
    rest = ctx.names[2:]
    if rest:
        doc.p(f"Heatmaps over {x} × {y}, pooled over {', '.join(rest)}.")
    for arm in ctx.arms:
        grid = risk_by(ctx.summary, [x, y], arm=arm, conf=CONFIDENCE)
        title = f"{arm_label(arm)}: P(resumption within {ctx.h} days)"
        path = figures.risk_heatmap(grid, x, y, ctx.figures / f"heatmap_{arm}.png",
                                    ctx.stamp, title)
        doc.img(path, ctx.folder, f"{title}; cells: P, its 95% Wilson interval, runs")
    others = [a for a in ctx.arms if a != ctx.baseline]
    if not others:
        return
    grids = {a: risk_difference_by(ctx.summary, [x, y], a, ctx.baseline, CONFIDENCE)
             for a in others}
    values = pd.concat([g["diff"] for g in grids.values()]).abs()
    scale = math.ceil(max(float(values.max()) if len(values) else 0.0, 0.05) * 20) / 20
    doc.h(3, f"Difference from the baseline, {arm_label(ctx.baseline)}")
    for arm, grid in grids.items():
        title = (f"{arm_label(arm)} − {arm_label(ctx.baseline)}: P(resumption within "
                 f"{ctx.h} days)")
        path = figures.difference_heatmap(grid, x, y, ctx.figures / f"difference_{arm}.png",
                                          ctx.stamp, title, scale)
        doc.img(path, ctx.folder, f"{title}; cells: the paired difference, its 95% Tango "
                                  "interval, pairs of runs")
    doc.p(f"Every difference map uses the same colour scale, ±{scale:.2f}, so the maps can "
          "be compared with one another: red, the arm resumes more often than the "
          "baseline at that point; blue, less often.")


def _point_table(doc: Doc, ctx: ReportContext) -> None:
    """One row per design point (its swept values), P(resumption) per arm."""
    per_arm = {a: risk_by(ctx.summary, ctx.names, arm=a, conf=CONFIDENCE)
               .set_index(ctx.names) for a in ctx.arms}
    points = sorted(set().union(*(set(t.index) for t in per_arm.values())))
    rows = []
    for point in points:
        key = point if isinstance(point, tuple) else (point,)
        row: dict[str, object] = {n: f"{v:g}" if isinstance(v, float) else str(v)
                                  for n, v in zip(ctx.names, key, strict=True)}
        for arm, t in per_arm.items():
            if point in t.index:
                r = t.loc[point]
                row[arm_label(arm)] = (f"{r['p']:.2f} [{r['lo']:.2f}–{r['hi']:.2f}] "
                                       f"(n={int(r['runs'])})")
            else:
                row[arm_label(arm)] = "–"
        rows.append(row)
    doc.h(3, "By design point")
    doc.table(pd.DataFrame(rows), f"P(resumption within {ctx.h} days) per design point "
              "and arm [95% Wilson interval] (n: runs at that point).")


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


@dataclass(frozen=True)
class IndexView:
    """How the report shows one design method's sensitivity indices."""

    draw: Callable[[pd.DataFrame, Path, Stamp, str], Path]  # the figure function
    file: str  # the figure's file name (for P(resumption); other outputs add their name)
    title: str  # the caption
    columns: tuple[str, ...]  # the table's: ranking index, its half-width, then others
    note: str  # under the table


# Design method -> its view; the report's section and the key figure both draw from here.
INDEX_VIEWS = {
    "sobol": IndexView(figures.sobol_bars, "sobol.png",
                       "Sobol' indices with 95% bootstrap intervals",
                       ("ST", "ST_conf", "S1", "S1_conf"),
                       "S1: share of variance due to the parameter alone; ST: including its "
                       "interactions; _conf: half-width of the 95% interval (SALib); ST_half: "
                       "ST from the first half of the sample (a convergence check)."),
    "morris": IndexView(figures.morris_plot, "morris.png", "Morris screening",
                        ("mu_star", "mu_star_conf", "mu", "sigma"),
                        "μ*: mean absolute elementary effect over the parameter's range; σ: "
                        "spread of the effects (interactions, non-linearity)."),
}


def _not_estimable(doc: Doc, ctx: ReportContext, df: pd.DataFrame, name: str, output: str,
                   file: str) -> None:
    """A note instead of indices that cannot be read, and, for a yes/no output, its rate
    in bins of each parameter (estimable from the same runs)."""
    problem = ctx.exp.design.problem
    need = df.attrs.get("samples_needed")
    per_block = block_size(problem["num_vars"], bool(ctx.exp.design.settings.get(
        "second_order")))
    runs = (f" About N = {need:,} base samples ({need * per_block:,} runs) "
            "would give intervals narrow enough to rank the parameters." if need else "")
    doc.p(f"**No indices:** {df.attrs['unreadable']}.{runs} Indices read from this design "
          "would be noise, so none are shown.")
    out = outputs.get(name)
    if not (name == outputs.risk().name or (out is not None and out.boolean)):
        return
    arm = ctx.arms[0] if len(ctx.arms) > 1 else None
    bins = design_bins(ctx.exp.design, ctx.summary, name, arm=arm)
    if bins.empty:
        return
    label = output.removeprefix("P(").removesuffix(")")
    path = figures.binned_risk(bins, ctx.figures / file.replace(".png", "_bins.png"),
                               ctx.stamp, label)
    doc.img(path, ctx.folder, f"{output} in bins of each parameter")
    firsts = bins.groupby("name", sort=False).first().reset_index()
    rates = bins.groupby("name", sort=False)["p"].apply(
        lambda p: " / ".join(f"{x:.3f}" for x in p)).reset_index(name="P by bin")
    table = firsts[["name", "p_value"]].merge(rates, on="name")
    doc.table(pretty(table, {"p_value": 3}),
              f"P by bin: {output} in bins of equal numbers of runs, lowest values of the "
              "parameter first; p_value: test that the rate is the same in every bin (a "
              "Wald test whose covariance comes from a bootstrap over the Saltelli blocks, "
              "whose runs share all parameters but one; intervals from the same bootstrap; "
              f"with {len(table)} parameters tested, read it against "
              f"0.05 / {len(table)} = {0.05 / len(table):.4f}).")


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
    view = INDEX_VIEWS[design.method]
    file = view.file if risk else view.file.replace(".png", f"_{name}.png")
    if df.attrs.get("unreadable"):
        _not_estimable(doc, ctx, df, name, output, file)
        return
    path = view.draw(df, ctx.figures / file, ctx.stamp, output)
    doc.img(path, ctx.folder, f"{view.title}: {output}")
    doc.table(pretty(df.sort_values(view.columns[0], ascending=False),
                     dict.fromkeys(view.columns, 3)), view.note)
    est, conf = df[view.columns[0]], df[view.columns[1]]  # the ranking index, its half-width
    if float(conf.median()) > float(est.abs().median()):
        doc.p("**Caution:** most confidence intervals are wider than the indices themselves; "
              "this design is too small to rank the parameters (more samples are needed).")
    share = df.attrs.get("noise_share", float("nan"))
    if math.isfinite(share):
        doc.p(f"Replicate noise makes up about {share:.0%} of the variance of the per-point "
              f"{'P(resumption)' if risk else output}; indices are only as clear as that "
              "allows (more replicates per point shrink it).")
