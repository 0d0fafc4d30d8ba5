"""``dmzsim report FOLDER``: tables, figures and plain-words headlines for one experiment.

:func:`write_report` reads an experiment folder written by ``dmzsim run`` (through
:mod:`analysis.loader` only) and writes into it ``report.md``, ``report.html`` (the same
content, self-contained apart from the PNGs) and ``figures/*.png``. ``dmzsim run`` calls it
when a sweep ends; run it again at any time, e.g. on a folder that is still filling up.

The report is built as a list of blocks (heading, paragraph, list, table, figure) and
rendered twice, so the Markdown and the HTML can never say different things.

Imports of pandas, matplotlib and SciPy happen inside the functions, so that importing this
module (as the CLI does to build its parser) stays instant.
"""

from __future__ import annotations

import argparse
import html
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HELP = "write report.md, report.html and figures/ for an experiment folder"

CONF = 0.95
RATIO_CAP = 20.0  # force ratios drawn at most at this value (an empty axis gives inf)


# --- CLI ------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, help="experiment folder, e.g. results/sequencing")


def run(args: argparse.Namespace) -> int:
    path = write_report(args.folder)
    print(f"report: {path}  (and {path.with_suffix('.html').name}, figures/)")
    return 0


def report_main(argv: list[str] | None = None) -> int:
    """``dmzsim report FOLDER`` as a stand-alone entry point (``python -m analysis.report``)."""
    parser = argparse.ArgumentParser(prog="dmzsim report", description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except FileNotFoundError as err:
        print(f"dmzsim report: error: {err}", file=sys.stderr)
        return 2


# --- the document -----------------------------------------------------------------------------
@dataclass
class Doc:
    """Blocks: ("h", level, text), ("p", text), ("ul", items), ("table", DataFrame, note),
    ("img", relative path, caption)."""

    blocks: list[tuple[Any, ...]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def ul(self, items: list[str]) -> None:
        if items:
            self.blocks.append(("ul", items))

    def table(self, df: Any, note: str = "") -> None:
        self.blocks.append(("table", df, note))

    def img(self, path: Path, folder: Path, caption: str) -> None:
        self.blocks.append(("img", path.relative_to(folder).as_posix(), caption))


def write_report(folder: str | Path) -> Path:
    """Write report.md, report.html and figures/ into ``folder``; returns report.md's path."""
    from analysis.loader import load_experiment

    folder = Path(folder)
    exp = load_experiment(folder)
    doc = build(exp)
    md_path = folder / "report.md"
    _write(md_path, render_markdown(doc))
    _write(folder / "report.html", render_html(doc, f"Report: {_name(exp)}"))
    return md_path


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _name(exp: Any) -> str:
    return str(exp.manifest.get("experiment") or exp.config.get("name") or exp.folder.name)


def build(exp: Any) -> Doc:
    """The whole report of one experiment as blocks."""
    from analysis.figures import Stamp

    ctx = _Context(exp, Stamp.from_manifest(exp.manifest, exp.config))
    doc = Doc()
    doc.h(1, f"Experiment `{ctx.name}`: report")
    _overview(doc, ctx)
    if ctx.summary.empty:
        doc.p("No run has finished yet, so there is nothing to estimate.")
    else:
        for section in (_headlines, _risk, _survival, _outcomes, _by_parameter, _series,
                        _attack_map, _sensitivity, _discovery):
            section(doc, ctx)
    _failures(doc, ctx)
    _manifest(doc, ctx)
    _methods(doc, ctx)
    return doc


class _Context:
    """What every section needs: the experiment, its tables, where figures go."""

    def __init__(self, exp: Any, stamp: Any) -> None:
        from analysis.tables import arms_in, with_derived

        self.exp, self.stamp = exp, stamp
        self.name = _name(exp)
        self.folder = Path(exp.folder)
        self.figures = self.folder / "figures"
        self.horizon = float(exp.config.get("horizon_days")
                             or exp.config.get("base", {}).get("horizon_days") or 730)
        summary = exp.summary
        if "status" in summary:
            summary = summary[summary["status"].fillna("ok") == "ok"]
        self.summary = with_derived(summary, self.horizon) if len(summary) else summary
        self.arms = arms_in(self.summary, exp.arms or None) if len(summary) else []
        base = exp.config.get("baseline_arm")
        self.baseline = base if base in self.arms else (self.arms[0] if self.arms else None)
        self.names = [n for n in exp.design.names if n in self.summary.columns]
        self.risk: Any = None  # tables filled in by the headline section
        self.surv: Any = None
        self.diffs: Any = None
        self.odiff: Any = None

    @property
    def h(self) -> str:
        return f"{self.horizon:g}"


# --- sections ---------------------------------------------------------------------------------
def _overview(doc: Doc, ctx: _Context) -> None:
    exp, s = ctx.exp, ctx.summary
    if exp.config.get("description"):
        doc.p(str(exp.config["description"]))
    n_points = len(exp.design.points) if exp.design.points is not None else 1
    reps = s.groupby(["arm", "point"]).size() if len(s) else None
    rep_text = ("no finished runs" if reps is None else
                f"{reps.min()} replicates per cell" if reps.min() == reps.max() else
                f"{reps.min()}–{reps.max()} replicates per cell (adaptive or unfinished)")
    doc.p(f"{len(s)} finished runs, {len(exp.failures)} failed; {len(ctx.arms)} arms × "
          f"{n_points} design points ({exp.design.method}), {rep_text}; horizon "
          f"{ctx.h} days. Generated {time.strftime('%Y-%m-%d %H:%M')} from "
          f"`{ctx.folder}`; config hash `{ctx.stamp.config_hash[:12]}`, dmzsim "
          f"{ctx.stamp.version}, git `{ctx.stamp.commit}`.")
    if exp.config.get("map"):
        doc.p(f"Every run used the experiment's own map, `{exp.config['map']}` (copied to "
              "`map.toml` in this folder), not the model's default map.")
    if reps is not None and reps.min() != reps.max():
        doc.p("Replicate counts differ between cells, so numbers pooled over design points "
              "weight each cell by its number of runs.")


def _fmt_ci(est: float, lo: float, hi: float, digits: int = 2) -> str:
    f = f"{{:,.{digits}f}}"
    return f"{f.format(est)} ({CONF:.0%} CI {f.format(lo)}–{f.format(hi)})"


def _days(v: float) -> str:
    return "not reached" if math.isinf(v) else f"{v:,.0f}"


def _median_words(sv: Any, h: str) -> str:
    if math.isinf(sv["median"]):
        return f"not reached within {h} days"
    return (f"{sv['median']:,.0f} days ({CONF:.0%} CI {_days(sv['median_lo'])}–"
            f"{_days(sv['median_hi'])})")


def _compare_words(diff: float, lo: float, hi: float, unit: str = "", digits: int = 2
                   ) -> str:
    """-0.11 (-0.17, -0.05) -> '0.11 lower (95% CI 0.05–0.17)'."""
    f = f"{{:,.{digits}f}}"
    u = f" {unit}" if unit else ""
    if lo > 0:
        return f"{f.format(diff)}{u} higher ({CONF:.0%} CI {f.format(lo)}–{f.format(hi)})"
    if hi < 0:
        return (f"{f.format(-diff)}{u} lower ({CONF:.0%} CI {f.format(-hi)}–"
                f"{f.format(-lo)})")
    return (f"not clearly different ({f.format(diff)}{u}, {CONF:.0%} CI {f.format(lo)} to "
            f"{f.format(hi)})")


def _headlines(doc: Doc, ctx: _Context) -> None:
    from analysis.tables import (
        arm_label,
        outcome_differences,
        risk_differences,
        risk_table,
        survival_curves,
        survival_table,
    )

    risk = risk_table(ctx.summary, ctx.arms, CONF).set_index("arm")
    surv = survival_table(survival_curves(ctx.summary, ctx.horizon, ctx.arms, CONF))
    surv = surv.set_index("arm")
    ctx.risk, ctx.surv = risk, surv
    doc.h(2, "Headline comparisons")
    items = []
    for arm in ctx.arms:
        r, sv = risk.loc[arm], surv.loc[arm]
        items.append(
            f"**{arm_label(arm)}**: P(offensive resumes within {ctx.h} days) = "
            f"{_fmt_ci(r['p'], r['lo'], r['hi'])}, {int(r['runs'])} runs; median time to "
            f"resumption {_median_words(sv, ctx.h)}; on average the ceasefire held "
            f"{_fmt_ci(sv['rmst'], sv['rmst_lo'], sv['rmst_hi'], 0)} of the first {ctx.h} "
            "days.")
    doc.ul(items)
    if len(ctx.arms) < 2:
        return
    diffs = risk_differences(ctx.summary, ctx.baseline, ctx.arms, CONF)
    odiff = outcome_differences(ctx.summary, ctx.baseline, ctx.horizon, arms=ctx.arms,
                                conf=CONF)
    ctx.diffs, ctx.odiff = diffs, odiff
    base = arm_label(ctx.baseline)
    items = []
    for _, d in diffs.iterrows():
        o = odiff[odiff["arm"] == d["arm"]].set_index("outcome")
        text = (f"**{arm_label(d['arm'])}** vs {base}: P(resumption) "
                f"{_compare_words(d['diff'], d['lo'], d['hi'])}, paired over "
                f"{int(d['pairs'])} runs with the same seeds")
        if "ceasefire_days" in o.index:
            c = o.loc["ceasefire_days"]
            text += (f"; ceasefire days within the horizon "
                     f"{_compare_words(c['diff'], c['lo'], c['hi'], 'days', 0)}")
        if "territory_lost_km2" in o.index:
            c = o.loc["territory_lost_km2"]
            words = _compare_words(c["diff"], c["lo"], c["hi"], "km²", 0)
            text += f"; territory lost after resumption {words}"
        items.append(text + ".")
    doc.p(f"Each arm against the baseline, **{base}** (differences are arm minus baseline):")
    doc.ul(items)


def _risk(doc: Doc, ctx: _Context) -> None:
    from analysis import figures
    from analysis.tables import arm_label

    doc.h(2, f"Risk of resumption within {ctx.h} days")
    risk = ctx.risk.reset_index()
    path = figures.risk_bars(risk, ctx.horizon, ctx.figures / "p_resumed_by_arm.png",
                             ctx.stamp)
    doc.img(path, ctx.folder, "P(resumption) by arm with 95% Wilson intervals")
    doc.table(_pretty(risk.assign(arm=risk["arm"].map(arm_label)),
                      {"p": 3, "lo": 3, "hi": 3}),
              "p: share of runs in which the offensive resumed; lo–hi: 95% Wilson interval.")
    if ctx.diffs is not None and len(ctx.diffs):
        d = ctx.diffs.assign(arm=ctx.diffs["arm"].map(arm_label),
                             baseline=ctx.diffs["baseline"].map(arm_label))
        doc.h(3, "Paired differences against the baseline")
        doc.table(_pretty(d, {"p_arm": 3, "p_baseline": 3, "diff": 3, "lo": 3, "hi": 3}),
                  "Pairs share (design point, replicate) and so the seed. only_arm / "
                  "only_baseline: pairs in which only that arm's run resumed. Interval: "
                  "Tango's score interval for paired proportions.")


def _survival(doc: Doc, ctx: _Context) -> None:
    from analysis import figures
    from analysis.tables import arm_label, survival_curves

    doc.h(2, "Time to resumption")
    curves = survival_curves(ctx.summary, ctx.horizon, ctx.arms, CONF)
    path = figures.survival(curves, ctx.figures / "survival.png", ctx.stamp)
    doc.img(path, ctx.folder, "Kaplan–Meier survival of the ceasefire by arm")
    s = ctx.surv.reset_index()
    s = s.assign(arm=s["arm"].map(arm_label))
    for c in ("median", "median_lo", "median_hi"):
        s[c] = s[c].map(_days)
    doc.table(_pretty(s, {"S_H": 3, "S_H_lo": 3, "S_H_hi": 3, "rmst": 0, "rmst_lo": 0,
                          "rmst_hi": 0}),
              f"S_H: P(no offensive by day {ctx.h}) with its log-log band; median: days to "
              "resumption (Brookmeyer–Crowley interval; 'not reached' = beyond the "
              f"horizon or the data); rmst: mean days without an offensive within {ctx.h} "
              "days.")


def _outcomes(doc: Doc, ctx: _Context) -> None:
    from analysis import figures
    from analysis.tables import OUTCOMES, arm_label, outcome_table

    doc.h(2, "Costs: territory, towns, losses, warning")
    table = outcome_table(ctx.summary, ctx.horizon, arms=ctx.arms, conf=CONF)
    if table.empty:
        return
    path = figures.outcome_bands(table, ctx.figures / "outcomes.png", ctx.stamp)
    doc.img(path, ctx.folder, "Outcomes by arm: quantile bands, median and mean with 95% CI")
    t = table.assign(arm=table["arm"].map(arm_label),
                     outcome=table["outcome"].map(lambda c: OUTCOMES.get(c, (c, ""))[0]))
    doc.table(_pretty(t, dict.fromkeys(("mean", "lo", "hi", "q05", "q25", "q50", "q75", "q95"), 1)),
              "Over all runs of the arm (0 where nothing was lost); mean with a 95% "
              "bootstrap interval; qNN: quantiles. Territory and towns lost count only what "
              "the offensive took after it resumed, not ground ceded by the deal itself "
              "(e.g. a unilateral withdrawal). Warning days count only runs with an "
              "offensive.")
    if ctx.odiff is not None and len(ctx.odiff):
        d = ctx.odiff.assign(arm=ctx.odiff["arm"].map(arm_label),
                             baseline=ctx.odiff["baseline"].map(arm_label),
                             outcome=ctx.odiff["outcome"].map(
                                 lambda c: OUTCOMES.get(c, (c, ""))[0]))
        doc.h(3, "Paired differences of the costs against the baseline")
        doc.table(_pretty(d, {"diff": 1, "lo": 1, "hi": 1}),
                  "Mean of (arm − baseline) over runs with the same seed; 95% percentile "
                  "bootstrap over pairs (2,000 resamples, fixed seed).")


def _by_parameter(doc: Doc, ctx: _Context) -> None:
    from analysis import figures
    from analysis.tables import arm_label, risk_by

    if ctx.exp.design.method not in ("grid", "table") or not ctx.names:
        return
    doc.h(2, "Risk by swept parameter")
    if len(ctx.names) == 1:
        df = risk_by(ctx.summary, ["arm", ctx.names[0]], conf=CONF)
        path = figures.risk_lines(df, ctx.names[0], ctx.horizon,
                                  ctx.figures / f"p_by_{ctx.names[0]}.png", ctx.stamp)
        doc.img(path, ctx.folder, f"P(resumption) by {ctx.names[0]}")
        return
    x, y = ctx.names[0], ctx.names[1]
    rest = ctx.names[2:]
    if rest:
        doc.p(f"Heatmaps over {x} × {y}, pooled over {', '.join(rest)}.")
    for arm in ctx.arms:
        grid = risk_by(ctx.summary, [x, y], arm=arm, conf=CONF)
        title = f"{arm_label(arm)}: P(resumption within {ctx.h} days)"
        path = figures.risk_heatmap(grid, x, y, ctx.figures / f"heatmap_{arm}.png",
                                    ctx.stamp, title)
        doc.img(path, ctx.folder, title)


def _series(doc: Doc, ctx: _Context) -> None:
    import pandas as pd

    from analysis import figures

    series = ctx.exp.series
    if series is None or series.empty or "force_ratio_main_axis" not in series:
        return
    doc.h(2, "Force ratio over time")
    path = figures.fan_chart(series, "force_ratio_main_axis", ctx.figures / "fan_ratio.png",
                             ctx.stamp, "force ratio RU : UA, main axis (log)", ctx.arms,
                             cap=RATIO_CAP, log=True)
    doc.img(path, ctx.folder, "Force ratio on the main axis: median, 50% and 90% bands")
    ratio = pd.to_numeric(series["force_ratio_main_axis"], errors="coerce")
    share = float((ratio >= RATIO_CAP).mean())
    doc.p(f"Ratios of {RATIO_CAP:g} or more (including an axis with no Ukrainian defender, "
          f"ratio ∞: {share:.0%} of all recorded days) are drawn at the dotted line.")
    if "ua_area_km2" in series:
        path = figures.fan_chart(series, "ua_area_km2", ctx.figures / "fan_ua_area.png",
                                 ctx.stamp, "area Ukraine holds (km²)", ctx.arms)
        doc.img(path, ctx.folder, "Area Ukraine holds: median, 50% and 90% bands")


def _attack_map(doc: Doc, ctx: _Context) -> None:
    from analysis import figures

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


def _sensitivity(doc: Doc, ctx: _Context) -> None:
    from analysis import figures
    from analysis.sensitivity import indices

    design = ctx.exp.design
    if design.method not in ("sobol", "morris"):
        return
    doc.h(2, "Sensitivity of P(resumption)")
    arm = ctx.arms[0] if len(ctx.arms) > 1 else None
    try:
        df = indices(design, ctx.summary, "resumed", arm=arm)
    except ValueError as err:
        doc.p(f"Indices not computed: {err}")
        return
    output = f"P(resumption within {ctx.h} days)"
    if design.method == "sobol":
        path = figures.sobol_bars(df, ctx.figures / "sobol.png", ctx.stamp, output)
        doc.img(path, ctx.folder, "Sobol' indices with 95% bootstrap intervals")
        doc.table(_pretty(df.sort_values("ST", ascending=False),
                          dict.fromkeys(("S1", "S1_conf", "ST", "ST_conf"), 3)),
                  "S1: share of variance due to the parameter alone; ST: including its "
                  "interactions; _conf: half-width of the 95% interval (SALib).")
    else:
        path = figures.morris_plot(df, ctx.figures / "morris.png", ctx.stamp, output)
        doc.img(path, ctx.folder, "Morris screening")
        doc.table(_pretty(df.sort_values("mu_star", ascending=False),
                          dict.fromkeys(("mu_star", "mu_star_conf", "mu", "sigma"), 3)),
                  "μ*: mean absolute elementary effect over the parameter's range; σ: "
                  "spread of the effects (interactions, non-linearity).")
    est, conf = ((df["ST"], df["ST_conf"]) if design.method == "sobol"
                 else (df["mu_star"], df["mu_star_conf"]))
    if float(conf.median()) > float(est.abs().median()):
        doc.p("**Caution:** most confidence intervals are wider than the indices themselves; "
              "this design is too small to rank the parameters (more samples are needed).")
    share = df.attrs.get("noise_share", float("nan"))
    if math.isfinite(share):
        doc.p(f"Replicate noise makes up about {share:.0%} of the variance of the per-point "
              "P(resumption); indices are only as clear as that allows (more replicates "
              "per point shrink it).")


def _discovery(doc: Doc, ctx: _Context) -> None:
    import numpy as np

    from analysis.discovery import describe, discover

    if not ctx.names:
        return
    cols = list(ctx.names) + (["arm"] if len(ctx.arms) > 1 else [])
    x = ctx.summary[cols].reset_index(drop=True)
    y = ctx.summary["resumed"].astype(bool).to_numpy()
    doc.h(2, "Scenario discovery: where regrouping risk is high")
    if y.all() or not y.any():
        doc.p("Every run ended the same way, so there is no high-risk region to describe.")
        return
    boxes = discover(x, y, min_coverage=0.5, max_boxes=2)
    if not boxes:
        doc.p("PRIM found no region of the swept parameters where the offensive resumes "
              "clearly more often than overall (base rate "
              f"{float(np.mean(y)):.2f}).")
        return
    doc.ul(describe(boxes, x, y, f"P(resumption within {ctx.h} days)"))
    doc.p("PRIM peeling (α = 0.05, minimum support 5%), the densest box covering at least "
          "half of the resumed runs, restrictions kept only if significant (quasi-p ≤ "
          "0.05); the second box is searched among the runs outside the first.")


def _failures(doc: Doc, ctx: _Context) -> None:
    f = ctx.exp.failures
    if f is None or f.empty:
        return
    doc.h(2, "Failed runs")
    counts = f.groupby(["arm", "error_type"]).size().reset_index(name="runs")
    doc.table(counts, "Details (message, traceback) are in failures/; `dmzsim run --resume` "
              "retries them.")


def _manifest(doc: Doc, ctx: _Context) -> None:
    m = ctx.exp.manifest
    env = m.get("environment") or {}
    git = m.get("git") or {}
    rows = [("experiment", m.get("experiment")), ("source", m.get("source")),
            ("config hash", m.get("config_hash")), ("root seed", m.get("root_seed")),
            ("seed scheme", m.get("seed_scheme")), ("git commit", git.get("commit")),
            ("git dirty", git.get("dirty")), ("created", m.get("created")),
            ("updated", m.get("updated")), ("python", env.get("python")),
            ("platform", env.get("platform"))]
    if m.get("map"):
        rows.append(("map", f"{m['map'].get('file')} (sha256 {m['map'].get('sha256')}; "
                            "copied to map.toml)"))
    rows += [(name, v) for name, v in (env.get("versions") or {}).items() if v]
    for s in m.get("sessions") or []:
        rows.append((f"session {s.get('started')}",
                     f"{s.get('status')}; {s.get('ran_ok', '?')} ok, "
                     f"{s.get('ran_failed', '?')} failed; {s.get('wall_s', '?')} s; "
                     f"executor {(s.get('executor') or {}).get('kind')}"))
    import pandas as pd

    doc.h(2, "Manifest")
    doc.table(pd.DataFrame([(k, "" if v is None else str(v)) for k, v in rows],
                           columns=["field", "value"]),
              "Full record: manifest.json; resolved config: experiment.toml.")


def _methods(doc: Doc, ctx: _Context) -> None:
    doc.h(2, "Methods")
    doc.ul([
        f"A run that did not resume by day {ctx.h} is censored there. Arms share replicate "
        "seeds (common random numbers), so arm differences are computed over pairs of runs "
        "with the same (design point, replicate).",
        "P(resumption): Wilson score interval. Paired difference of P: Tango's score "
        "interval (its test at zero difference is McNemar's).",
        "Continuous costs: mean with a percentile bootstrap; paired differences: percentile "
        "bootstrap over pairs (2,000 resamples, seeded).",
        "Survival: Kaplan–Meier with Greenwood variance and log-log bands; median with the "
        "Brookmeyer–Crowley interval; restricted mean survival to the horizon with its "
        "Greenwood-type variance.",
        "Details and references: docs/analysis.md.",
    ])


# --- tables as text -------------------------------------------------------------------------
def _pretty(df: Any, digits: dict[str, int]) -> Any:
    out = df.copy()
    for col, d in digits.items():
        if col in out:
            out[col] = out[col].map(lambda v, d=d: _num(v, d))
    return out


def _num(v: Any, digits: int) -> str:
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "–"
    if math.isinf(f):
        return "∞" if f > 0 else "−∞"
    return f"{f:,.{digits}f}"


def _cells(df: Any) -> tuple[list[str], list[list[str]]]:
    head = [str(c) for c in df.columns]
    rows = [[_num(v, 3) if isinstance(v, float) else str(v) for v in row]
            for row in df.itertuples(index=False)]
    return head, rows


# --- rendering ----------------------------------------------------------------------------------
def render_markdown(doc: Doc) -> str:
    out: list[str] = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"{'#' * block[1]} {block[2]}")
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            head, rows = _cells(block[1])
            esc = [[c.replace("|", "\\|") for c in r] for r in [head, *rows]]
            lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
            if block[2]:
                lines += ["", f"*{block[2]}*"]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})")
    return "\n\n".join(out) + "\n"


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.45;color:#222}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}img{max-width:100%}figure{margin:1rem 0}
figcaption,.note{font-size:.85rem;color:#555}code{background:#f4f4f4;padding:0 .2rem}"""


def _inline(text: str) -> str:
    """Escape, then render the Markdown subset used here: **bold** and `code`."""
    t = html.escape(text, quote=False)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def render_html(doc: Doc, title: str) -> str:
    out = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"]
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{_inline(block[2])}</h{block[1]}>")
        elif kind == "p":
            out.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            head, rows = _cells(block[1])
            t = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head)
                 + "</tr></thead><tbody>"]
            t += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                  for r in rows]
            t.append("</tbody></table>")
            if block[2]:
                t.append(f"<p class=\"note\">{_inline(block[2])}</p>")
            out.append("".join(t))
        elif kind == "img":
            out.append(f"<figure><img src=\"{html.escape(block[1])}\" alt=\""
                       f"{html.escape(block[2])}\"><figcaption>{_inline(block[2])}"
                       "</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(report_main())
