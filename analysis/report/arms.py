"""The report's sections that compare the arms: headlines, risk, time to resumption, costs.

Every section reads the per-arm tables (risk, survival, paired differences) from the
:class:`~analysis.report.context.ReportContext`, so the detailed sections show exactly the
numbers the headlines put in words, whatever their order. Which outputs the cost tables
and the headline sentences show is the output table's (:mod:`model.outputs`).
"""

from __future__ import annotations

import math

import pandas as pd
from dmzsim.analysis import figures
from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc, pretty
from dmzsim.analysis.tables import (
    arm_label,
    outcome_table,
    resumption_by,
)
from dmzsim.model import outputs

# P(resumption) is also read off the survival curves by these days, where they fall
# before the horizon: whether an offensive comes early or late matters, not only whether.
RISK_DAYS = (180.0, 365.0)


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
def headlines(doc: Doc, ctx: ReportContext) -> None:
    """Each arm's risk, median and mean ceasefire days in words; then each arm against the
    baseline."""
    risk, surv = ctx.risk, ctx.surv
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
    if len(ctx.arms) >= 2:
        _against_baseline(doc, ctx)


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
                words = _compare_words(c["diff"], c["lo"], c["hi"], out.unit, 0)
                text += f"; {out.phrase} {words}"
        items.append(text + ".")
    doc.p(f"Each arm against the baseline, **{base}** (differences are arm minus baseline):")
    doc.ul(items)


def risk(doc: Doc, ctx: ReportContext) -> None:
    """P(resumption) per arm (chart and table), by the earlier days, and paired differences."""
    doc.h(2, f"Risk of resumption within {ctx.h} days")
    table = ctx.risk.reset_index()
    path = figures.risk_bars(table, ctx.horizon, ctx.figures / "p_resumed_by_arm.png",
                             ctx.stamp)
    doc.img(path, ctx.folder, "P(resumption) by arm with 95% Wilson intervals")
    doc.table(pretty(table.assign(arm=table["arm"].map(arm_label)),
                     {"p": 3, "lo": 3, "hi": 3}),
              "p: share of runs in which the offensive resumed; lo–hi: 95% Wilson interval.")
    _risk_by_day(doc, ctx)
    if ctx.diffs is not None and len(ctx.diffs):
        d = ctx.diffs.assign(arm=ctx.diffs["arm"].map(arm_label),
                             baseline=ctx.diffs["baseline"].map(arm_label))
        doc.h(3, "Paired differences against the baseline")
        doc.table(pretty(d, {"p_arm": 3, "p_baseline": 3, "diff": 3, "lo": 3, "hi": 3}),
                  "Pairs share (design point, replicate) and so the seed. only_arm / "
                  "only_baseline: pairs in which only that arm's run resumed. Interval: "
                  "Tango's score interval for paired proportions.")


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
            row |= {f"p_{r.day:g}": r.p, f"lo_{r.day:g}": r.lo, f"hi_{r.day:g}": r.hi}
        rows.append(row)
    digits = {f"{col}_{d:g}": 3 for d in days for col in ("p", "lo", "hi")}
    doc.h(3, "Resumption by " + " and ".join(f"day {d:g}" for d in days))
    doc.table(pretty(pd.DataFrame(rows), digits),
              "p_D: P(offensive resumed by day D) = 1 − S(D) from the arm's Kaplan–Meier "
              "curve (runs are censored only at the horizon, so this is the share of runs "
              "resumed by day D); lo_D–hi_D: 1 − the curve's 95% log-log band at D.")


def survival(doc: Doc, ctx: ReportContext) -> None:
    """Kaplan–Meier curves and, per arm, S(H), the median and the restricted mean."""
    doc.h(2, "Time to resumption")
    path = figures.survival(ctx.curves, ctx.figures / "survival.png", ctx.stamp)
    doc.img(path, ctx.folder, "Kaplan–Meier survival of the ceasefire by arm")
    s = ctx.surv.reset_index()
    s = s.assign(arm=s["arm"].map(arm_label))
    for c in ("median", "median_lo", "median_hi"):
        s[c] = s[c].map(_days)
    doc.table(pretty(s, {"S_H": 3, "S_H_lo": 3, "S_H_hi": 3, "rmst": 0, "rmst_lo": 0,
                         "rmst_hi": 0}),
              f"S_H: P(no offensive by day {ctx.h}) with its log-log band; median: days to "
              "resumption (Brookmeyer–Crowley interval; 'not reached' = beyond the "
              f"horizon or the data); rmst: mean days without an offensive within {ctx.h} "
              "days.")


def outcomes(doc: Doc, ctx: ReportContext) -> None:
    """The costs per arm (bands, means with intervals) and their paired differences."""
    doc.h(2, "Costs: territory, towns, losses, warning")
    table = outcome_table(ctx.summary, ctx.horizon, arms=ctx.arms, conf=CONFIDENCE)
    if table.empty:
        return
    path = figures.outcome_bands(table, ctx.figures / "outcomes.png", ctx.stamp)
    doc.img(path, ctx.folder, "Outcomes by arm: quantile bands, median and mean with 95% CI")
    t = table.assign(arm=table["arm"].map(arm_label),
                     outcome=table["outcome"].map(outputs.label))
    doc.table(pretty(t, dict.fromkeys(("mean", "lo", "hi", "q05", "q25", "q50", "q75", "q95"), 1)),
              "Over all runs of the arm (0 where nothing was lost); mean with a 95% "
              "bootstrap interval; qNN: quantiles. Territory and towns lost count only what "
              "the offensive took after it resumed, not ground ceded by the deal itself "
              "(e.g. a unilateral withdrawal). Warning days count only runs with an "
              "offensive.")
    if ctx.odiff is not None and len(ctx.odiff):
        d = ctx.odiff.assign(arm=ctx.odiff["arm"].map(arm_label),
                             baseline=ctx.odiff["baseline"].map(arm_label),
                             outcome=ctx.odiff["outcome"].map(outputs.label))
        doc.h(3, "Paired differences of the costs against the baseline")
        doc.table(pretty(d, {"diff": 1, "lo": 1, "hi": 1}),
                  "Mean of (arm − baseline) over runs with the same seed; 95% percentile "
                  "bootstrap over pairs (2,000 resamples, fixed seed).")
