"""Adaptive replication: add replicates to each cell until P(event) is known well enough.

A *cell* is one (arm, design point). Replicates are added in rounds: every cell that has
not reached ``target_half_width`` (Wilson interval on the success count of ``metric``) and
is below ``max_replicates`` gets ``batch`` more. Decisions are made only between rounds,
on complete rounds, so the number of replicates -- like every result -- does not depend
on the executor, the worker count or the order in which runs finish, and a resumed sweep
retraces the same rounds from the stored results.

Replicate indices are shared across arms, so whatever each arm ends with, replicates
0..n-1 of any two arms are paired (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from dmzsim.analysis.estimators import wilson
from dmzsim.runs.experiment.schema import AdaptiveSpec
from dmzsim.runs.sweep.tasks import ArmPoint


def wilson_half_width(successes: int, n: int, confidence: float) -> float:
    """Half the width of the Wilson interval (:func:`analysis.estimators.wilson`: Wilson
    because P(resumption) is often near 0 or 1, where the normal approximation collapses);
    inf for n = 0 (nothing known yet)."""
    return math.inf if n <= 0 else wilson(successes, n, confidence).half_width


@dataclass
class AdaptivePlan:
    """Replicates planned so far per cell, and which cells still need more."""

    spec: AdaptiveSpec
    cells: list[ArmPoint]
    planned: dict[ArmPoint, int] = field(default_factory=dict)
    done: dict[ArmPoint, str] = field(default_factory=dict)  # cell -> why it stopped
    rounds: int = 0

    def next_round(self, stats: pd.DataFrame | None) -> dict[ArmPoint, range]:
        """Replicate ranges to run next, given ``stats`` (arm, point, n, successes)."""
        if self.rounds == 0:
            self.rounds = 1
            return {c: self._extend(c, self.spec.initial) for c in self.cells}
        self._update_done(stats)
        todo = [c for c in self.cells if c not in self.done]
        if todo:
            self.rounds += 1
        return {c: self._extend(c, self.spec.batch) for c in todo}

    def _extend(self, cell: ArmPoint, more: int) -> range:
        start = self.planned.get(cell, 0)
        stop = min(start + more, self.spec.max_replicates)
        self.planned[cell] = stop
        return range(start, stop)

    def _update_done(self, stats: pd.DataFrame | None) -> None:
        table = {} if stats is None else {
            (r.arm, int(r.point)): (int(r.successes), int(r.n)) for r in stats.itertuples()}
        for cell in self.cells:
            if cell in self.done:
                continue
            k, n = table.get(cell, (0, 0))
            hw = wilson_half_width(k, n, self.spec.confidence)
            if hw <= self.spec.target_half_width:
                self.done[cell] = f"half-width {hw:.4f} <= target after {n} ok runs"
            elif self.planned.get(cell, 0) >= self.spec.max_replicates:
                self.done[cell] = f"cap of {self.spec.max_replicates} reached (half-width " \
                                  f"{hw:.4f})"


def cell_stats(summaries: pd.DataFrame, metric: str, planned: dict[ArmPoint, int]) -> pd.DataFrame:
    """Successes and ok-run counts per cell, using only replicates already planned."""
    if metric not in summaries.columns:
        raise KeyError(f"adaptive.metric {metric!r} is not a summary field of the model")
    limits = pd.DataFrame([(a, p, n) for (a, p), n in planned.items()],
                          columns=["arm", "point", "limit"])
    df = summaries[["arm", "point", "replicate", metric]].merge(limits, on=["arm", "point"])
    df = df[df["replicate"] < df["limit"]]
    grouped = df.groupby(["arm", "point"])[metric]
    return pd.DataFrame({"successes": grouped.sum().astype(int),
                         "n": grouped.size()}).reset_index()
