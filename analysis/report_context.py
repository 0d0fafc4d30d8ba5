"""What every section of the report reads: the experiment, its finished runs, its arms.

Built once per report, so the sections agree on which runs count (failed ones do not), on
the horizon, the arms and the baseline arm. The headline section also leaves its tables
here for the later sections, which then show the same numbers without recomputing them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CONF = 0.95


def experiment_name(exp: Any) -> str:
    """The experiment's name: from the manifest, else the config, else the folder."""
    return str(exp.manifest.get("experiment") or exp.config.get("name") or exp.folder.name)


class ReportContext:
    """What every section needs: the experiment, its tables, where figures go."""

    def __init__(self, exp: Any, stamp: Any) -> None:
        from dmzsim.analysis.tables import arms_in, with_derived

        self.exp, self.stamp = exp, stamp
        self.name = experiment_name(exp)
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
        self.curves: Any = None
        self.diffs: Any = None
        self.odiff: Any = None

    @property
    def h(self) -> str:
        """The horizon as text, e.g. ``730``."""
        return f"{self.horizon:g}"
