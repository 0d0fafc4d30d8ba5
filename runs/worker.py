"""What runs inside a worker: one model run, with every failure caught and described.

A run that raises must not take the sweep down with it (the weakest spot of every tool in
experiment-tools.md), so :func:`execute` turns any exception into a failure outcome with
its type, message and traceback. Only small, picklable values travel back: the summary
record and, if asked for, the thinned series.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

SimulateFn = Callable[..., Any]


@dataclass(frozen=True)
class RunTask:
    """One run: where it sits in the experiment, its seed, its full parameter set and its
    map file (None: the model's default map)."""

    run_id: str
    arm: str
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    series_every: int = 0
    map_path: str | None = None

    def meta(self) -> dict[str, Any]:
        """The identifying columns every record of this run starts with."""
        return {"run_id": self.run_id, "arm": self.arm, "point": self.point,
                "replicate": self.replicate, "seed": self.seed}


@dataclass(frozen=True)
class RunOutcome:
    """What a worker sends back: a summary (and series) or an error description."""

    run_id: str
    ok: bool
    wall_s: float
    worker: str
    summary: dict[str, Any] | None = None
    series: pd.DataFrame | None = None
    error_type: str | None = None
    message: str | None = None
    traceback: str | None = None


def default_simulate() -> SimulateFn:
    """The real model, imported only where it runs (keeps the CLI and parent light)."""
    from dmzsim.model.api import simulate

    return simulate


def execute(task: RunTask, simulate: SimulateFn | None = None) -> RunOutcome:
    """Run one task; never raises for errors of the model or its parameters."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    start = time.perf_counter()
    try:
        from dmzsim.model.params import Params

        fn = simulate or default_simulate()
        # map_path only when the experiment names a map: simulate functions written for
        # the default map need not take it
        where = {} if task.map_path is None else {"map_path": task.map_path}
        result = fn(Params.build(task.params), task.seed, series_every=task.series_every,
                    **where)
        summary = dict(result.summary)
        series = result.series if task.series_every else None
    except Exception as err:
        return RunOutcome(task.run_id, False, time.perf_counter() - start, worker,
                          error_type=type(err).__name__, message=str(err),
                          traceback=traceback.format_exc())
    return RunOutcome(task.run_id, True, time.perf_counter() - start, worker,
                      summary=summary, series=series)
