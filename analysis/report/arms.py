"""The report's sections that compare the arms: headlines, risk, time to resumption, costs.

Every section reads the per-arm tables (risk, survival, paired differences) from the
:class:`~analysis.report.context.ReportContext`, so the detailed sections show exactly the
numbers the headlines put in words, whatever their order. Which outputs the cost tables
and the headline sentences show is the output table's (:mod:`model.outputs`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from dmzsim.analysis import figures
from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc
from dmzsim.analysis.tables import arm_label, resumption_by
from dmzsim.model import outputs

# P(resumption) is also read off the survival curves by these days, where they fall
# before the horizon: whether an offensive comes early or late matters, not only whether;
# up to five years, the two to five years reconstitution takes (sources §4.8).
RISK_DAYS = (180.0, 365.0, 730.0, 1095.0, 1825.0)


# --- numbers in words -----------------------------------------------------------------------
def _fmt_ci(est: float, lo: float, hi: float, digits: int = 2) -> str:
    f = f"{{:,.{digits}f}}"
    return f"{f.format(est)} ({CONFIDENCE:.0%} CI {f.format(lo)}–{f.format(hi)})"


def _days(v: float) -> str:
    return "not reached" if math.isinf(v) else f"{v:,.0f}"


def _median_words(sv: pd.Series, h: str) -> str:
    if math.isinf(sv["median"]):
        return f"not reached within {h} days"
    return (f"{sv['median']:,.0f} days ({CONFIDENCE:.0%} CI {_days(sv['median_lo'])}–"
            f"{_days(sv['median_hi'])})")


def _compare_words(diff: float, lo: float, hi: float, unit: str = "", digits: int = 2
                   ) -> str:
    """-0.11 (-0.17, -0.05) -> '0.11 lower (95% CI 0.05–0.17)'."""
    f = f"{{:,.{digits}f}}"
    u = f" {unit}" if unit else ""
    if lo > 0:
        return f"{f.format(diff)}{u} higher ({CONFIDENCE:.0%} CI {f.format(lo)}–{f.format(hi)})"
    if hi < 0:
        return (f"{f.format(-diff)}{u} lower ({CONFIDENCE:.0%} CI {f.format(-hi)}–"
                f"{f.format(-lo)})")
    return (f"not clearly different ({f.format(diff)}{u}, {CONFIDENCE:.0%} CI {f.format(lo)} to "
            f"{f.format(hi)})")


# --- sections ---------------------------------------------------------------------------------
def cost_words(ctx: ReportContext, arm: str) -> str:
    """Ukraine's whole cost in one arm, in words (means over all runs), e.g. ``ground
    ceded or lost 5,446 km² (95% CI 5,100–6,507: 4,335 ceded by the deal, 1,111 lost
    after resumption); fortress-belt towns ceded or lost 3.90 (...); Ukraine holds 164
    km² of the oblast at the end``; "" where the runs do not record it."""
    parts = []
    for whole, ceded, lost, unit, digits in (
            ("ground_ceded_or_lost_km2", "area_ceded_km2", "territory_lost_km2", " km²", 0),
            ("belt_towns_ceded_or_lost", "belt_towns_ceded", "belt_towns_lost", "", 2)):
        w, c, lo = ctx.cost(arm, whole), ctx.cost(arm, ceded), ctx.cost(arm, lost)
        if w is None or c is None or lo is None:
            continue
        f = f"{{:,.{digits}f}}"
        out = outputs.get(whole)
        spread = ("in every run" if same_in_every_run(w) else
                  f"{CONFIDENCE:.0%} CI {f.format(w['lo'])}–{f.format(w['hi'])}")
        parts.append(f"{out.phrase if out is not None else whole} {f.format(w['mean'])}"
                     f"{unit} ({spread}: {f.format(c['mean'])} ceded by the deal, "
                     f"{f.format(lo['mean'])} lost after resumption)")
    held = ctx.cost(arm, "ua_oblast_area_km2_end")
    if held is not None:
        spread = ("in every run" if same_in_every_run(held) else
                  f"{CONFIDENCE:.0%} CI {held['lo']:,.0f}–{held['hi']:,.0f}")
        parts.append(f"Ukraine holds {held['mean']:,.0f} km² of the oblast at the end "
                     f"({spread})")
    return "; ".join(parts)


def headlines(doc: Doc, ctx: ReportContext) -> None:
    """Each arm's risk, median and mean ceasefire days in words, with Ukraine's whole
    cost; then the contrasts chosen, then each arm against the baseline."""
    risk, surv = ctx.risk, ctx.surv
    doc.h(2, "Headline comparisons")
    items = []
    for arm in ctx.arms:
        r, sv = risk.loc[arm], surv.loc[arm]
        cost = cost_words(ctx, arm)
        items.append(
            f"**{arm_label(arm)}**: P(offensive resumes within {ctx.h} days) = "
            f"{_fmt_ci(r['p'], r['lo'], r['hi'])}, {int(r['resumed'])} of {int(r['runs'])} "
            f"runs; median time to resumption {_median_words(sv, ctx.h)}; on average the "
            f"ceasefire held {_fmt_ci(sv['rmst'], sv['rmst_lo'], sv['rmst_hi'], 0)} of the "
            f"first {ctx.h} days" + (f". Cost (means over all runs): {cost}." if cost
                                      else "."))
    doc.ul(items)
    contrasts(doc, ctx)
    if len(ctx.arms) >= 2:
        _against_baseline(doc, ctx)


def contrast_words(ctx: ReportContext, names: Sequence[str] | None = None) -> list[str]:
    """Each contrast in words: P(resumption) and the paired outputs (``names`` of them;
    default: every paired output with a phrase), arm minus other."""
    items = []
    risk, costs = ctx.contrast_risk, ctx.contrast_costs
    for c in ctx.contrasts:
        head = f"**{c.label}**"
        if c.shown_arm is None or c.shown_other is None:
            missing = c.arm if c.shown_arm is None else c.other
            items.append(f"{head}: not in this folder (`{missing}` was not run here, e.g. "
                         "in a quick subset).")
            continue
        if c.shown_arm == c.shown_other:
            items.append(f"{head}: the two arms gave identical runs seed by seed (shown "
                         f"once, as **{arm_label(c.shown_arm)}**): the difference is 0 in "
                         "every pair of runs.")
            continue
        d = risk[(risk["arm"] == c.shown_arm) & (risk["baseline"] == c.shown_other)].iloc[0]
        o = costs[(costs["arm"] == c.shown_arm) & (costs["baseline"] == c.shown_other)]
        text = (f"{head}: P(resumption) {_compare_words(d['diff'], d['lo'], d['hi'])}, "
                f"paired over {int(d['pairs'])} runs with the same seeds")
        for out in outputs.paired():
            row = o[o["outcome"] == out.name]
            if out.phrase and len(row) and (names is None or out.name in names):
                r = row.iloc[0]
                words = _compare_words(r["diff"], r["lo"], r["hi"], out.unit,
                                       2 if out.count else 0)
                text += f"; {out.phrase} {words}"
        items.append(text + ".")
    return items


def contrasts(doc: Doc, ctx: ReportContext) -> None:
    """The contrasts chosen in the experiment file (``[analysis] contrasts``) or on the
    command line (``dmzsim report --contrast``): paired differences with intervals."""
    if not ctx.contrasts:
        return
    doc.h(3, "Contrasts")
    sources = sorted({c.source for c in ctx.contrasts})
    doc.p(f"The comparisons chosen ({' and '.join(sources)}), first arm minus second, "
          "over pairs of runs with the same seed:")
    doc.ul(contrast_words(ctx))
    if not ctx.contrast_risk.empty:
        doc.table(_contrast_table(ctx),
                  "Each Δ: mean of (first arm − second) over pairs of runs with the same "
                  "seed [95% interval: Tango's score interval for P, BCa bootstrap over "
                  "pairs for the means].")


def _contrast_table(ctx: ReportContext) -> pd.DataFrame:
    rows = []
    costs = ctx.contrast_costs
    for d in ctx.contrast_risk.itertuples():
        row = {"contrast": f"{arm_label(d.arm)} − {arm_label(d.baseline)}",
               "pairs (runs)": d.pairs, "P(first)": _num(d.p_arm, 3),
               "P(second)": _num(d.p_baseline, 3),
               "ΔP [95% CI]": _ci(d.diff, d.lo, d.hi, 3)}
        o = costs[(costs["arm"] == d.arm) & (costs["baseline"] == d.baseline)]
        for r in o.itertuples():
            row[f"Δ {_cost_header(r.outcome)}"] = _ci(r.diff, r.lo, r.hi,
                                                      _cost_digits(r.outcome))
        rows.append(row)
    return pd.DataFrame(rows)


def _against_baseline(doc: Doc, ctx: ReportContext) -> None:
    diffs, odiff = ctx.diffs, ctx.odiff
    assert diffs is not None and odiff is not None  # two arms or more
    base = arm_label(ctx.baseline)
    items = []
    for _, d in diffs.iterrows():
        o = odiff[odiff["arm"] == d["arm"]].set_index("outcome")
        text = (f"**{arm_label(d['arm'])}** vs {base}: P(resumption) "
                f"{_compare_words(d['diff'], d['lo'], d['hi'])}, paired over "
                f"{int(d['pairs'])} runs with the same seeds")
        for out in outputs.paired():
            if out.phrase and out.name in o.index:
                c = o.loc[out.name]
                words = _compare_words(c["diff"], c["lo"], c["hi"], out.unit,
                                       2 if out.count else 0)
                text += f"; {out.phrase} {words}"
        items.append(text + ".")
    chosen = " (chosen with `dmzsim report --baseline`)" if ctx.baseline_source == \
        "command line" else ""
    doc.p(f"Each arm against the baseline, **{base}**{chosen} (differences are arm minus "
          "baseline):")
    doc.ul(items)


def _ci(est: float, lo: float, hi: float, digits: int) -> str:
    """``0.412 [0.350–0.480]``, or ``-0.100 [-0.256 to 0.025]`` where a bound is
    negative: an estimate and its interval in one cell."""
    sep = " to " if (lo < 0 or hi < 0) else "–"
    return f"{_num(est, digits)} [{_num(lo, digits)}{sep}{_num(hi, digits)}]"


def same_in_every_run(row: pd.Series) -> bool:
    """An outcome table's row whose runs all gave one value (no interval to show)."""
    return bool(row["n"] > 1 and row["q05"] == row["q95"] == row["mean"])


def mean_cell(row: pd.Series, digits: int) -> str:
    """A mean from an outcome table's row with its interval, ``4,335 [3,315–4,845]``, or
    ``5,100 (every run)`` where all runs gave that value."""
    if same_in_every_run(row):
        return f"{_num(row['mean'], digits)} (every run)"
    return _ci(row["mean"], row["lo"], row["hi"], digits)


def _num(v: float, digits: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if math.isinf(v):
        return "not reached" if v > 0 else "−∞"
    return f"{v:,.{digits}f}"


def _styled(ctx: ReportContext) -> dict:
    """What the figures need to draw the arms by their factors."""
    return {"factors": ctx.factors}


def risk(doc: Doc, ctx: ReportContext) -> None:
    """P(resumption) per arm (chart and table), by the earlier days, and paired differences."""
    doc.h(2, f"Risk of resumption within {ctx.h} days")
    table = ctx.risk.reset_index()
    path = figures.risk_bars(table, ctx.horizon, ctx.figures / "p_resumed_by_arm.png",
                             ctx.stamp, **_styled(ctx))
    doc.img(path, ctx.folder, "P(resumption) by arm with 95% Wilson intervals (colour: "
                              "sequencing; hatched: mirrored zone)")
    p_col = f"P(resumed within {ctx.h} days) [95% Wilson]"
    doc.table(pd.DataFrame({
        "arm": table["arm"].map(arm_label), "runs": table["runs"],
        "runs resumed": table["resumed"],
        p_col: [_ci(r.p, r.lo, r.hi, 3) for r in table.itertuples()]}),
        "P: share of runs in which the offensive resumed (a probability, no unit), with "
        "its 95% Wilson interval.")
    _risk_by_day(doc, ctx)
    if ctx.diffs is not None and len(ctx.diffs):
        d = ctx.diffs
        doc.h(3, "Paired differences against the baseline")
        doc.table(pd.DataFrame({
            "arm": d["arm"].map(arm_label), "baseline": d["baseline"].map(arm_label),
            "pairs (runs)": d["pairs"], "both resumed": d["both"],
            "only the arm resumed": d["only_arm"],
            "only the baseline resumed": d["only_baseline"], "neither": d["neither"],
            "P(arm)": d["p_arm"].map(lambda v: _num(v, 3)),
            "P(baseline)": d["p_baseline"].map(lambda v: _num(v, 3)),
            "P(arm) − P(baseline) [95% CI]": [_ci(r.diff, r.lo, r.hi, 3)
                                              for r in d.itertuples()]}),
            "Pairs share (design point, replicate) and so the seed; the counts are pairs of "
            "runs. Interval: Tango's score interval for paired proportions.")


def _risk_by_day(doc: Doc, ctx: ReportContext) -> None:
    """P(resumption) by each of RISK_DAYS shorter than the horizon, one row per arm."""
    days = [d for d in RISK_DAYS if d < ctx.horizon]
    table = resumption_by(ctx.curves, days)
    if table.empty:
        return
    rows = []
    for arm, sub in table.groupby("arm", sort=False):
        row = {"arm": arm_label(arm), "runs": int(sub["runs"].iloc[0])}
        for r in sub.itertuples():
            row[f"resumed by day {r.day:g}"] = int(r.resumed)
            row[f"P(resumed by day {r.day:g}) [95% Wilson]"] = _ci(r.p, r.lo, r.hi, 3)
        rows.append(row)
    doc.h(3, "Resumption by " + " and ".join(f"day {d:g}" for d in days))
    doc.table(pd.DataFrame(rows),
              "P(resumed by day D) = 1 − S(D) from the arm's Kaplan–Meier curve; runs are "
              "censored only at the horizon, so this is the share of the arm's runs resumed "
              "by day D, with its Wilson interval as P(resumption) by the horizon has it.")


def survival(doc: Doc, ctx: ReportContext) -> None:
    """Kaplan–Meier curves and, per arm, S(H), the median and the restricted mean."""
    doc.h(2, "Time to resumption")
    path = figures.survival(ctx.curves, ctx.figures / "survival.png", ctx.stamp,
                            **_styled(ctx))
    doc.img(path, ctx.folder, "Kaplan–Meier survival of the ceasefire by arm (one panel "
                              "per zone shape where the arms have two)")
    s = ctx.surv.reset_index()
    doc.table(pd.DataFrame({
        "arm": s["arm"].map(arm_label), "runs": s["runs"],
        f"P(no offensive by day {ctx.h}) [95% Wilson]": [
            _ci(r.S_H, r.S_H_lo, r.S_H_hi, 3) for r in s.itertuples()],
        "median time to resumption (days) [95% CI]": [
            _ci(r.median, r.median_lo, r.median_hi, 0) for r in s.itertuples()],
        f"mean days without an offensive, of the first {ctx.h} (days) [95% CI]": [
            _ci(r.rmst, r.rmst_lo, r.rmst_hi, 0) for r in s.itertuples()]}),
        f"P(no offensive by day {ctx.h}): the Kaplan–Meier curve at the horizon, the "
        "share of runs that held (1 − P(resumption), with the same Wilson interval); "
        "median: Brookmeyer–Crowley interval ('not reached' = beyond the horizon or the "
        "data); the mean is the restricted mean survival time. The figure's bands are "
        "the curve's 95% log-log bands; n in its key is the arm's runs.")


def _cost_digits(name: str) -> int:
    out = outputs.get(name)
    return 2 if out is not None and out.count else 0


def _cost_header(name: str) -> str:
    """The output's label with its unit from the output table, e.g. ``territory lost after
    resumption (km²)``."""
    out = outputs.get(name)
    return out.title if out is not None else name


def cost_tables(ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The long tables of the costs over all runs and over the runs that resumed (one row
    per arm and output), and over the runs that resumed as the report's wide table."""
    every, cond = ctx.costs, ctx.costs_resumed
    return every, cond, _wide(cond, ctx, resumed=True)


def _wide(table: pd.DataFrame, ctx: ReportContext, resumed: bool) -> pd.DataFrame:
    """One row per arm; per output one column headed by its label and unit, with
    ``mean [95% CI]; median``."""
    rows = []
    for arm in ctx.arms:
        sub = table[table["arm"] == arm].set_index("outcome")
        n = (int(ctx.risk.loc[arm, "resumed"]) if resumed else int(ctx.risk.loc[arm, "runs"]))
        row = {"arm": arm_label(arm), "runs that resumed" if resumed else "runs": n}
        for name in (o.name for o in outputs.per_arm()):
            if name not in table["outcome"].values:
                continue
            d = _cost_digits(name)
            if name in sub.index and sub.loc[name, "n"] == 1:  # no interval from one run
                row[_cost_header(name)] = f"{_num(sub.loc[name, 'mean'], d)} (one run)"
            elif name in sub.index and sub.loc[name, "n"] > 0:
                r = sub.loc[name]
                row[_cost_header(name)] = (mean_cell(r, d) if same_in_every_run(r) else
                                           f"{mean_cell(r, d)}; median {_num(r['q50'], d)}")
            else:
                row[_cost_header(name)] = "–"
        rows.append(row)
    return pd.DataFrame(rows)


def outcomes(doc: Doc, ctx: ReportContext) -> None:
    """The costs per arm over all runs and over the runs that resumed (bands, means with
    intervals) and their paired differences; one row per arm, units in the headers."""
    doc.h(2, "Costs: ground and towns ceded or lost, losses, warning")
    every, cond, cond_wide = cost_tables(ctx)
    if every.empty:
        return
    path = figures.outcome_bands(every, ctx.figures / "outcomes.png", ctx.stamp,
                                 resumed=cond, risk=ctx.risk.reset_index(),
                                 horizon=ctx.horizon, **_styled(ctx))
    doc.img(path, ctx.folder, "P(resumption) beside the outcomes by arm over all runs: "
                              "5–95% and 25–75% of runs, median, mean with 95% CI; open "
                              "marker: the mean over the runs that resumed")
    doc.h(3, "Over all runs")
    doc.table(_wide(every, ctx, resumed=False),
              "Each cell: mean [95% BCa bootstrap interval]; median. Over all runs of the "
              "arm, so a run in which the offensive never resumed counts 0 territory and 0 "
              "towns lost. 'Ceded or lost' is Ukraine's whole cost: what the deal handed "
              "over (e.g. a unilateral withdrawal) plus what the offensive took after it "
              "resumed; 'lost after resumption' is the offensive's part only. Warning days "
              "exist only for runs with an offensive.")
    doc.h(3, "Over the runs in which the offensive resumed")
    doc.table(cond_wide,
              "The same costs, conditional on resumption: only the runs that resumed "
              "(their count is in the second column); days without an offensive is here "
              "the day it resumed. An arm with few such runs has a wide interval; with none "
              "the cell is –.")
    if ctx.odiff is not None and len(ctx.odiff):
        doc.h(3, "Paired differences of the costs against the baseline")
        doc.table(_paired_wide(ctx),
                  "Each cell: mean of (arm − baseline) over runs with the same seed [95% BCa "
                  "bootstrap interval over pairs, 2,000 resamples, fixed seed]; over all "
                  "runs (unconditional).")


def _paired_wide(ctx: ReportContext) -> pd.DataFrame:
    """One row per arm; per paired output the difference with its interval."""
    assert ctx.odiff is not None
    rows = []
    for arm, sub in ctx.odiff.groupby("arm", sort=False):
        sub = sub.set_index("outcome")
        row = {"arm": arm_label(arm), "baseline": arm_label(str(sub["baseline"].iloc[0])),
               "pairs (runs)": int(sub["pairs"].iloc[0])}
        for name, r in sub.iterrows():
            row[f"Δ {_cost_header(str(name))}"] = _ci(r["diff"], r["lo"], r["hi"],
                                                       _cost_digits(str(name)))
        rows.append(row)
    return pd.DataFrame(rows)
