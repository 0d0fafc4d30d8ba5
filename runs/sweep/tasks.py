"""What one run of a sweep is, and what comes back from it.

A :class:`RunTask` holds everything a worker needs (ids, seed, the full parameter set, the
map file); :func:`build_task` makes it exactly as the sweep plans it, so ``dmzsim verify``
can rebuild any run alone. A :class:`RunOutcome` is what the worker sends back, and
:func:`summary_record` the row stored for a finished run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from dmzsim.model.params import Params
from dmzsim.runs.experiment import seeds
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.design import Design

ArmPoint = tuple[str, int]  # (arm, design point): a run's place apart from its replicate


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


def run_id(arm: str, point: int, replicate: int) -> str:
    """Stable, file-name-safe id of a run (arm names cannot contain dots)."""
    return f"{arm}.p{point:04d}.r{replicate:04d}"


def build_task(exp: ExperimentConfig, design: Design, arm: str, point: int, replicate: int, *,
               base: dict[str, Any] | None = None) -> RunTask:
    """One run exactly as the sweep plans it; ``dmzsim verify`` rebuilds runs with it.

    Parameters are the base, then the arm's overrides, then the design point's values; the
    seed depends on (root seed, point, replicate) only; every run uses the experiment's
    map. ``base`` saves re-resolving the base parameters for every run of a large sweep.
    """
    base = exp.base_params() if base is None else base
    params = {**base, **exp.arm_overrides(arm), **design.point_params(point)}
    seed = seeds.run_seed(exp.spec.root_seed, point, replicate)
    map_path = None if exp.map_file is None else str(exp.map_file)
    return RunTask(run_id(arm, point, replicate), arm, point, replicate, seed, params,
                   exp.spec.outputs.series_every, map_path)


def summary_record(task: RunTask, outcome: RunOutcome) -> dict[str, Any]:
    """The stored record of a finished run: its ids and seed, status, every summary output
    (an output may not reuse an id column's name), then its timing."""
    meta = {**task.meta(), "status": "ok"}
    summary = {k: v for k, v in (outcome.summary or {}).items() if k not in meta}
    return {**meta, **summary, "wall_s": outcome.wall_s, "worker": outcome.worker}


def param_types() -> dict[str, type]:
    """Python type of each model parameter (int parameters are rounded in designs)."""
    return {n: f.annotation for n, f in Params.model_fields.items()}  # type: ignore[misc]
