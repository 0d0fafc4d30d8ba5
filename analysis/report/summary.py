"""The report's summary, first: the question, the answer with its conditions, the cost.

A reader who stops after this section should know what was asked, which arms came out
lowest and highest in risk and what each costs Ukraine in ground and fortress-belt towns
(ceded by the deal or lost after resumption), the differences the experiment chose to
compare (its contrasts), and the conditions the answer holds under: the model and its
parameters, the horizon, the runs, arms that pool two regimes. Every number is one the
later sections show in full (the same :class:`~analysis.report.context.ReportContext`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE, wilson
from dmzsim.analysis.report.arms import contrast_words, mean_cell
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc
from dmzsim.analysis.report.key_figure import risk_and_cost
from dmzsim.analysis.report.why import regimes
from dmzsim.analysis.tables import arm_label
from dmzsim.model.params import Params

# What the summary's contrasts give beside P(resumption): the whole cost.
SUMMARY_OUTPUTS = ("ground_ceded_or_lost_km2", "belt_towns_ceded_or_lost")
# The columns of the summary's cost table: (output, header, decimals).
COST_COLUMNS = (("ground_ceded_or_lost_km2", "ground ceded or lost (km²)", 0),
                ("belt_towns_ceded_or_lost", "fortress-belt towns ceded or lost", 2),
                ("ua_oblast_area_km2_end", "oblast Ukraine holds at the end (km²)", 0))


def summary(doc: Doc, ctx: ReportContext) -> None:
    """The question, the answer in a few lines with the cost beside the risk, the
    conditions, and the figure of both."""
    if ctx.summary.empty:
        return
    doc.begin("summary")
    doc.h(2, "Summary")
    question = ctx.exp.config.get("question")
    if question:
        doc.text(str(question), lead="**Question.**")
    doc.p(f"**Answer, in this model** (P: the offensive resumes within {ctx.h} days, "
          f"{CONFIDENCE:.0%} intervals; costs are means over all runs):")
    doc.ul(_answer(ctx))
    doc.p("**Conditions.**")
    doc.ul(_conditions(ctx))
    path = risk_and_cost(ctx, ctx.figures / "risk_and_cost.png")
    doc.img(path, ctx.folder, "P(resumption) beside Ukraine's cost per arm: ground and "
                              "fortress-belt towns ceded by the deal (pale) or lost after "
                              "resumption, and the oblast it holds at the end")
    table = _cost_table(ctx)
    if table is not None:
        doc.table(table, "Cost: means over all runs [95% BCa bootstrap interval]; 'ceded or "
                         "lost' adds what the deal handed over to what the offensive took "
                         "after it resumed, anywhere in the modelled theatre; the oblast "
                         "held is Donetsk oblast only.")
    doc.end()


def _at_war(ctx: ReportContext) -> list[str]:
    """Arms at war from day 0 (median time to resumption 0): no ceasefire to hold."""
    return [a for a in ctx.arms if ctx.surv.loc[a, "median"] == 0]


def _p(ctx: ReportContext, arm: str) -> str:
    r = ctx.risk.loc[arm]
    return (f"P = {r['p']:.2f} [{r['lo']:.2f}–{r['hi']:.2f}] ({int(r['resumed'])} of "
            f"{int(r['runs'])} runs)")


def _answer(ctx: ReportContext) -> list[str]:
    at_war = _at_war(ctx)
    arms = [a for a in ctx.arms if a not in at_war] or list(ctx.arms)
    risk = ctx.risk.loc[arms, "p"]
    items = []
    for words, value in (("Lowest risk", risk.min()), ("Highest risk", risk.max())):
        if words == "Highest risk" and risk.max() == risk.min():
            break
        for arm in (a for a in arms if risk[a] == value):
            cost = _short_cost(ctx, arm)
            items.append(f"{words}: **{arm_label(arm)}**, {_p(ctx, arm)}"
                         + (f"; cost: {cost}." if cost else "."))
    cheapest = _cheapest(ctx, arms)
    if cheapest is not None and len(arms) > 1:
        arm, value = cheapest
        items.append(f"Least ground ceded or lost: **{arm_label(arm)}**, {value:,.0f} km², "
                     f"with {_p(ctx, arm)}.")
    items += contrast_words(ctx, SUMMARY_OUTPUTS)
    if at_war:
        names = ", ".join(f"**{arm_label(a)}**" for a in at_war)
        items.append(f"{names}: at war from day 0 (no ceasefire to hold), left out of "
                     "lowest and highest.")
    return items


def _short_cost(ctx: ReportContext, arm: str) -> str:
    """``5,100 km² and 4.00 fortress-belt towns ceded or lost; holds 0 km² of the oblast
    at the end`` (means), or "" where the runs record no cost."""
    ground = ctx.cost(arm, "ground_ceded_or_lost_km2")
    belt = ctx.cost(arm, "belt_towns_ceded_or_lost")
    held = ctx.cost(arm, "ua_oblast_area_km2_end")
    parts = [f"{ground['mean']:,.0f} km²" if ground is not None else "",
             f"{belt['mean']:.2f} fortress-belt towns" if belt is not None else ""]
    text = " and ".join(p for p in parts if p)
    text = f"{text} ceded or lost" if text else ""
    if held is not None:
        text += ("; " if text else "") + f"holds {held['mean']:,.0f} km² of the oblast at the end"
    return text


def _cheapest(ctx: ReportContext, arms: list[str]) -> tuple[str, float] | None:
    """The arm with the least ground ceded or lost (mean), if the runs record it."""
    values = {a: c["mean"] for a in arms
              if (c := ctx.cost(a, "ground_ceded_or_lost_km2")) is not None}
    if not values:
        return None
    arm = min(values, key=lambda a: (values[a], arms.index(a)))
    return arm, float(values[arm])


def _conditions(ctx: ReportContext) -> list[str]:
    exp = ctx.exp
    runs = ctx.risk["runs"]
    per_arm = (f"{int(runs.iloc[0])} runs per arm" if runs.nunique() == 1 else
               f"{int(runs.min())}–{int(runs.max())} runs per arm")
    n_points = len(exp.design.points) if exp.design.points is not None else 1
    items = [f"These are the model's results, not forecasts: a horizon of {ctx.h} days, "
             f"{per_arm}, every arm with the same seeds (paired), "
             f"{CONFIDENCE:.0%} intervals."
             + (f" Pooled over {n_points} design points ({exp.design.method}); the "
                "report's later sections show the points apart." if n_points > 1 else "")]
    changed = _base_changes(exp.config.get("base") or {})
    items.append("Parameters: the defaults of model/params.py (docs/parameters.md)"
                 + (f", except {changed}" if changed else "")
                 + "; each arm sets its own sequencing and zone (see the manifest's "
                   "resolved config).")
    for arm, parts in _mixed(ctx):
        if len({round(est.estimate, 2) for _, _, _, est in parts}) == 1:
            continue  # the regimes came out alike: nothing pooled to point out
        text = "; ".join(f"guarantees {w}: {k} of {n} runs resumed, P = {est.estimate:.2f} "
                         f"[{est.lo:.2f}–{est.hi:.2f}]" for w, k, n, est in parts)
        items.append(f"**{arm_label(arm)}** pools two regimes ({text}); see 'Why "
                     "ceasefires failed or held'.")
    merged = ctx.merged
    if merged:
        items.append("Arms shown once because their runs are identical seed by seed: "
                     + "; ".join(f"**{arm_label(g.name)}** ({', '.join(g.arms)})"
                                 for g in merged) + ".")
    return items


def _base_changes(base: dict[str, Any]) -> str:
    """The experiment's base parameters that differ from the model's defaults, as text."""
    out = []
    for key, value in base.items():
        field = Params.model_fields.get(key)
        if field is None or key == "horizon_days":
            continue
        default = field.default
        same = value == default or (isinstance(value, float) and isinstance(default, float)
                                    and math.isclose(value, default))
        if not same:
            out.append(f"`{key} = {value}`")
    return ", ".join(out)


def _mixed(ctx: ReportContext) -> list[tuple[str, list[tuple[str, int, int, Any]]]]:
    """Arms that pool two regimes (:func:`why.regimes`): (arm, [(words, resumed, runs,
    P with its Wilson interval)])."""
    out = []
    for arm, parts in regimes(ctx):
        counts = []
        for words, part in parts:
            k, n = int(part["resumed"].astype(bool).sum()), len(part)
            counts.append((words, k, n, wilson(k, n, CONFIDENCE)))
        out.append((arm, counts))
    return out


def _cost_table(ctx: ReportContext) -> pd.DataFrame | None:
    """Per arm: P(resumption) beside the whole cost; None where no cost is recorded."""
    shown = [c for c in COST_COLUMNS if any(ctx.cost(a, c[0]) is not None for a in ctx.arms)]
    if not shown:
        return None
    rows = []
    for arm in ctx.arms:
        r = ctx.risk.loc[arm]
        row = {"arm": arm_label(arm), "runs": int(r["runs"]),
               f"P(resumed within {ctx.h} days) [95% Wilson]":
                   f"{r['p']:.3f} [{r['lo']:.3f}–{r['hi']:.3f}]"}
        for name, header, digits in shown:
            c = ctx.cost(arm, name)
            row[header] = "–" if c is None else mean_cell(c, digits)
        rows.append(row)
    return pd.DataFrame(rows)
