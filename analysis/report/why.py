"""The report's section on why ceasefires failed or held: Russia's decision, read back.

Every run records the term that decided Russia's last review (``decided_by``: the odds
did not allow a breakthrough; a cost — its losses, the guarantor, ending the ceasefire —
outweighed the gain; waiting looked better; or the gain, when it resumed) and, at
resumption, the net value it saw (``value_at_resumption``, km² of its aims). Ground the
deal handed over is shown beside the ground lost after resumption, so that a deal that
gives territory away is not read as one that loses none.

An arm can mix regimes: under guarantees first, a run whose guarantees are not delivered
never withdraws and stays a frozen line. Where the guarantees came into force in some of
an arm's runs, the arm is also shown split by delivery (``guarantees_delivered``), each
part with its own counts.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from dmzsim.analysis.estimators import CONFIDENCE, wilson
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc
from dmzsim.analysis.tables import arm_label
from dmzsim.model import outputs

NEEDS = ("decided_by", "resumed")
# Ground and towns beside the decision: (column, header, decimals of its mean).
COSTS = (("area_ceded_km2", "ceded by the deal, mean (km²)", 0),
         ("territory_lost_km2", "lost after resumption, mean (km²)", 0),
         ("belt_towns_ceded", "belt towns ceded, mean", 2),
         ("belt_towns_lost", "belt towns lost, mean", 2))


def why(doc: Doc, ctx: ReportContext) -> None:
    """Per arm: what decided the last review, in runs that held and in runs that failed;
    the value Russia saw when it resumed; ceded ground beside ground lost; and arms that
    mix regimes split by the delivery of the guarantees."""
    s = ctx.summary
    if not set(NEEDS) <= set(s.columns):
        return
    doc.h(2, "Why ceasefires failed or held")
    doc.p("At each review Russia weighs the offensive its staff forecasts (the ground and "
          "towns it would take, valued by its aims) against its losses, the guarantor's "
          "expected answer and the cost of ending the ceasefire, and against resuming "
          "later (docs/ODD.md, 'Russia's decision'). For runs that held, the table counts "
          "the runs by the term that decided the last review (share of the runs that held "
          "in brackets): *odds* (no breakthrough was in sight), a cost that outweighed the "
          "gain, or *waiting* (a later day looked better). For runs that failed, the median "
          "net value Russia saw when it resumed. Ground and fortress-belt towns ceded by "
          "the deal stand beside the ground lost after resumption.")
    rows = [_row(s[s["arm"] == arm], arm_label(arm)) for arm in ctx.arms]
    doc.table(_drop_unused_terms(rows), NOTE.format(h=ctx.h))
    _by_delivery(doc, ctx)


NOTE = ("P: share of runs resumed within {h} days [95% Wilson interval]. Held: gain: the "
        "last review chose to resume, but the offensive had not begun by the horizon. A "
        "term that decided no review in any row is left out. –: no run to count (no run "
        "held, or none resumed with a value: an arm at war from day 0 never reviews).")


def _drop_unused_terms(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a table without the "held: <term>" columns that count no run."""
    table = pd.DataFrame(rows)
    unused = [c for c in table.columns if c.startswith("held: ")
              and ((table[c] == "–") | table[c].str.startswith("0 (")).all()]
    return table.drop(columns=unused)


def _row(a: pd.DataFrame, label: str, first: str = "arm") -> dict[str, Any]:
    """One row of the table: counts, decisions and costs of the runs ``a``."""
    resumed = a["resumed"].astype(bool)
    held, failed = a[~resumed], a[resumed]
    p = wilson(len(failed), len(a), CONFIDENCE)
    row: dict[str, Any] = {first: label, "runs": len(a), "resumed": len(failed),
                           "P(resumed) [95% Wilson]": _p(p.estimate, p.lo, p.hi)}
    counts = held["decided_by"].value_counts()
    for term in outputs.DECISION_TERMS:
        k = int(counts.get(term, 0))
        row[f"held: {term}"] = f"{k} ({k / len(held):.0%})" if len(held) else "–"
    value = (pd.to_numeric(failed["value_at_resumption"], errors="coerce").dropna()
             if "value_at_resumption" in a else pd.Series(dtype=float))
    row["failed: median value (km² of aims)"] = (
        f"{value.median():,.0f} (n={len(value)})" if len(value) else "–")
    for col, header, digits in COSTS:
        if col in a:
            v = pd.to_numeric(a[col], errors="coerce").mean()
            row[header] = "–" if math.isnan(v) else f"{v:,.{digits}f}"
    return row


def _p(est: float, lo: float, hi: float) -> str:
    return "–" if math.isnan(est) else f"{est:.2f} [{lo:.2f}–{hi:.2f}]"


def regimes(ctx: ReportContext) -> list[tuple[str, list[tuple[str, pd.DataFrame]]]]:
    """Arms whose guarantees came into force in some runs and were not delivered in
    others, each with its parts: (arm, [("delivered", its runs), ("not delivered", ...)])."""
    s = ctx.summary
    if "guarantees_delivered" not in s:
        return []
    out = []
    for arm in ctx.arms:
        a = s[s["arm"] == arm]
        delivered = a["guarantees_delivered"].astype(bool)
        if delivered.all() or not delivered.any():
            continue
        if "guarantees_in_force_day" in a and \
                pd.to_numeric(a["guarantees_in_force_day"], errors="coerce").isna().all():
            continue  # no guarantees in this arm at all (no deal, a frozen line)
        out.append((arm, [("delivered", a[delivered]), ("not delivered", a[~delivered])]))
    return out


def _by_delivery(doc: Doc, ctx: ReportContext) -> None:
    """Arms that mix regimes, split by the delivery of the guarantees."""
    rows = [_row(part, f"{arm_label(arm)}: guarantees {words}", "arm, regime")
            for arm, parts in regimes(ctx) for words, part in parts]
    if not rows:
        return
    doc.h(3, "Arms that mix regimes: by the delivery of the guarantees")
    doc.p("Whether the guarantees are delivered is drawn once per run (the same draw in "
          "every arm, common random numbers). Under guarantees first a run without them "
          "never withdraws and stays a frozen line; under the other deals it withdraws "
          "without guarantees. Each part of an arm is shown with its own counts, so a "
          "mixed P(resumption) can be read as the two regimes it pools.")
    doc.table(_drop_unused_terms(rows),
              "Columns as in the table above; each row counts only the runs of that part.")
