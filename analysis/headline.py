"""The headline table of an experiment: one row per arm, the numbers a reader quotes.

Per arm: P(resumption within the horizon) with its Wilson interval, the Kaplan-Meier
median time to resumption with its interval, and beside them Ukraine's cost (the output
table's headline outputs, each a mean with its bootstrap interval): ground and
fortress-belt towns ceded by the deal or lost after resumption, the part of it lost after
resumption, and the area of the oblast Ukraine holds at the end. Every number comes from
:mod:`analysis.tables`, so the headline, the report and a notebook cannot disagree.

The table is a pure function of the summary rows *in their order* (the bootstrap
resamples rows by position), so callers pass the rows sorted by arm, point and replicate;
then re-computing it from the same runs gives the very same digits, which is what
``dmzsim verify`` checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.tables import (
    arm_label,
    outcome_table,
    risk_table,
    survival_curves,
    survival_table,
)
from dmzsim.model import outputs

RISK_COLUMNS = ["arm", "runs", "resumed", "p", "p_lo", "p_hi", "median_days", "median_lo",
                "median_hi"]


def columns() -> list[str]:
    """The table's columns: the risk and the median, then each headline output (its mean
    and interval) from the output table."""
    out = list(RISK_COLUMNS)
    for o in outputs.headline():
        assert o.headline is not None
        out += [o.name, f"{o.headline.stem}_lo", f"{o.headline.stem}_hi"]
    return out


def headline_table(summary: pd.DataFrame, horizon: float,
                   arms: Sequence[str] | None = None, conf: float = CONFIDENCE
                   ) -> pd.DataFrame:
    """Per arm: P(resumption) (Wilson), median days to resumption, and the mean (BCa bootstrap
    interval) of each headline output (territory and fortress-belt towns lost).

    A median that is not reached within the horizon is +inf.
    """
    shown = outputs.headline()
    risk = risk_table(summary, arms, conf).set_index("arm")
    surv = survival_table(survival_curves(summary, horizon, arms, conf))
    surv = surv.set_index("arm") if len(surv) else surv
    costs = outcome_table(summary, horizon, [o.name for o in shown], arms, conf,
                          method="BCa")
    costs = costs.set_index(["arm", "outcome"])
    rows = []
    for arm in risk.index:
        r, s = risk.loc[arm], surv.loc[arm]
        row = {"arm": arm, "runs": int(r["runs"]), "resumed": int(r["resumed"]),
               "p": r["p"], "p_lo": r["lo"], "p_hi": r["hi"], "median_days": s["median"],
               "median_lo": s["median_lo"], "median_hi": s["median_hi"]}
        for o in shown:
            assert o.headline is not None
            c = costs.loc[(arm, o.name)] if (arm, o.name) in costs.index else None
            row[o.name] = math.nan if c is None else c["mean"]
            row[f"{o.headline.stem}_lo"] = math.nan if c is None else c["lo"]
            row[f"{o.headline.stem}_hi"] = math.nan if c is None else c["hi"]
        rows.append(row)
    return pd.DataFrame(rows, columns=columns())


def _ci(est: float, lo: float, hi: float, digits: int) -> str:
    def f(v: float) -> str:
        if math.isnan(v):
            return "–"
        return "not reached" if math.isinf(v) else f"{v:,.{digits}f}"

    return f"{f(est)} ({f(lo)}–{f(hi)})"


def headline_markdown(table: pd.DataFrame, horizon: float, conf: float = CONFIDENCE) -> str:
    """The table as Markdown, with readable arm names and intervals in brackets."""
    h = f"{horizon:g}"
    shown = [o for o in outputs.headline() if o.name in table.columns]
    head = ["arm", "runs", f"P(resumption within {h} days)", "median days to resumption",
            *(o.headline.heading for o in shown if o.headline is not None)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in table.to_dict("records"):
        cells = [arm_label(r["arm"]), f"{r['runs']:,}", _ci(r["p"], r["p_lo"], r["p_hi"], 3),
                 _ci(r["median_days"], r["median_lo"], r["median_hi"], 0)]
        for o in shown:
            assert o.headline is not None
            stem = o.headline.stem
            cells.append(_ci(r[o.name], r[f"{stem}_lo"], r[f"{stem}_hi"], o.headline.digits))
        lines.append("| " + " | ".join(cells) + " |")
    names = {o.name for o in shown}
    note = (f"\n*Brackets: {conf:.0%} intervals (Wilson for P; Brookmeyer–Crowley for the "
            "median, 'not reached' = beyond the horizon; BCa bootstrap for the means, over "
            "all runs of the arm).")
    if names & {"ground_ceded_or_lost_km2", "belt_towns_ceded_or_lost"}:
        note += (" Ceded or lost: ground and fortress-belt towns the deal handed over plus "
                 "those the offensive took after it resumed; 'of which lost after "
                 "resumption': the offensive's part only.")
    else:
        note += " Territory and towns count what the offensive took after it resumed."
    if "ua_oblast_area_km2_end" in names:
        note += (" Oblast held: the area of Donetsk oblast Ukraine holds when the run ends "
                 "(ground is ceded or lost anywhere in the modelled theatre, so the two need "
                 "not add up to the oblast).")
    note += "*\n"
    return "\n".join(lines) + "\n" + note


def headline_sentence(table: pd.DataFrame, horizon: float) -> str:
    """One line for the README: P(resumption) of the lowest and highest arm (or the one),
    each with its whole cost in ground and fortress-belt towns where the table has it."""
    def p(r: pd.Series) -> str:
        return f"{r['p']:.2f} [{r['p_lo']:.2f}–{r['p_hi']:.2f}]{_cost(r)}"

    head = f"P(resumption within {horizon:g} days) [{CONFIDENCE:.0%} Wilson interval]"
    runs = int(table["runs"].sum())
    if len(table) == 1:
        return f"{head}: {p(table.iloc[0])}; {runs:,} runs"
    # An arm at war from day 0 (median time 0) has no ceasefire to fail: its P is 1 by
    # construction and would always be "highest", so it is left out of the comparison.
    at_war = table["median_days"] == 0
    ceasefire = table[~at_war] if (~at_war).any() else table
    order = ceasefire.sort_values(["p", "arm"], kind="stable")
    lo, hi = order.iloc[0], order.iloc[-1]
    left_out = f", {int(at_war.sum())} at war from day 0 left out" if at_war.any() else ""
    return (f"{head}: lowest {arm_label(lo['arm'])} {p(lo)}, highest "
            f"{arm_label(hi['arm'])} {p(hi)}; {len(table)} arms{left_out}, {runs:,} runs")


def _cost(row: pd.Series) -> str:
    """`` (ceded or lost: 5,100 km², 4.00 belt towns)``, or "" for a table without it."""
    parts = []
    if "ground_ceded_or_lost_km2" in row and not pd.isna(row["ground_ceded_or_lost_km2"]):
        parts.append(f"{row['ground_ceded_or_lost_km2']:,.0f} km²")
    if "belt_towns_ceded_or_lost" in row and not pd.isna(row["belt_towns_ceded_or_lost"]):
        parts.append(f"{row['belt_towns_ceded_or_lost']:.2f} belt towns")
    return f" (ceded or lost: {', '.join(parts)})" if parts else ""
