"""What runs inside a worker: one model run, with every failure caught and described.

A run that raises must not take the sweep down with it (the weakest spot of every tool in
experiment-tools.md), so :func:`execute` turns any exception into a failure outcome with
its type, message and traceback. Only small, picklable values travel back: the summary
record and, if asked for, the thinned series.
"""

from __future__ import annotations

import importlib
import os
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any

from dmzsim.model.api import simulate as model_simulate
from dmzsim.model.params import Params
from dmzsim.runs.sweep.tasks import RunOutcome, RunTask

SimulateFn = Callable[..., Any]


class SimulateError(ValueError):
    """A ``MODULE:FUNCTION`` simulate function that cannot be loaded."""


def load_simulate(spec: str | None) -> SimulateFn | None:
    """The function named by ``MODULE:FUNCTION``, or None (the real model) for None."""
    if spec is None:
        return None
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as err:
        raise SimulateError(f"simulate function {spec!r}: {err}") from None


def execute(task: RunTask, simulate: SimulateFn | None = None) -> RunOutcome:
    """Run one task; never raises for errors of the model or its parameters."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    start = time.perf_counter()
    try:
        fn = simulate or model_simulate
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


def execute_chunk(tasks: list[RunTask], simulate: SimulateFn | None = None
                  ) -> list[RunOutcome]:
    """Run a chunk of tasks one after the other (``runs.sweep.chunks``); each run's
    failure stays its own."""
    return [execute(task, simulate) for task in tasks]
