"""The report's section on why ceasefires failed or held: Russia's decision, read back.

Every run records the term that decided Russia's last review (``decided_by``: the odds
did not allow a breakthrough; a cost — its losses, the guarantor, ending the ceasefire —
outweighed the gain; waiting looked better; or the gain, when it resumed) and, at
resumption, the net value it saw (``value_at_resumption``, km² of its aims). Ground the
deal handed over is shown beside the ground lost after resumption, so that a deal that
gives territory away is not read as one that loses none.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc
from dmzsim.analysis.tables import arm_label
from dmzsim.model import outputs

NEEDS = ("decided_by", "resumed")


def why(doc: Doc, ctx: ReportContext) -> None:
    """Per arm: what decided the last review, in runs that held and in runs that failed;
    the value Russia saw when it resumed; ceded ground beside ground lost."""
    s = ctx.summary
    if not set(NEEDS) <= set(s.columns):
        return
    doc.h(2, "Why ceasefires failed or held")
    doc.p("At each review Russia weighs the offensive its staff forecasts (the ground and "
          "towns it would take, valued by its aims) against its losses, the guarantor's "
          "expected answer and the cost of ending the ceasefire, and against resuming "
          "later (docs/ODD.md, 'Russia's decision'). For runs that held, the table gives "
          "the share of runs by the term that decided the last review: *odds* (no "
          "breakthrough was in sight), a cost that outweighed the gain, or *waiting* (a "
          "later day looked better). For runs that failed, the median net value Russia "
          "saw when it resumed. Ground and fortress-belt towns ceded by the deal stand "
          "beside the ground lost after resumption.")
    rows = []
    for arm in ctx.arms:
        a = s[s["arm"] == arm]
        held = a[~a["resumed"].astype(bool)]
        failed = a[a["resumed"].astype(bool)]
        row: dict[str, Any] = {"arm": arm_label(arm), "runs": len(a),
                               "held": len(held), "failed": len(failed)}
        shares = held["decided_by"].value_counts(normalize=True) if len(held) else {}
        for term in outputs.DECISION_TERMS[1:]:
            row[f"held: {term}"] = f"{float(shares.get(term, 0.0)):.0%}" if len(held) else "–"
        if "value_at_resumption" in a and len(failed):
            v = pd.to_numeric(failed["value_at_resumption"], errors="coerce").median()
            row["failed: median value (km² of aims)"] = f"{v:,.0f}"
        else:
            row["failed: median value (km² of aims)"] = "–"
        for col, label in (("area_ceded_km2", "ceded by the deal (km²)"),
                           ("territory_lost_km2", "lost after resumption, mean (km²)"),
                           ("belt_towns_ceded", "belt towns ceded"),
                           ("belt_towns_lost", "belt towns lost, mean")):
            if col in a:
                row[label] = f"{pd.to_numeric(a[col], errors='coerce').mean():,.1f}"
        rows.append(row)
    doc.table(pd.DataFrame(rows).set_index("arm"))
