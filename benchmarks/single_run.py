"""Cost of one run: time, memory, where the time goes, and how it grows with size.

Timings follow Mesa's benchmark method (``benchmarks/global_benchmark.py`` in Mesa):
warm up first (the map is rasterised once per process and cached), then repeat and keep
the fastest repeat, which is the least disturbed by other work on the machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params


class SummaryOnlyModel(CeasefireModel):
    """The model as a summary-only sweep runs it (the series kept on the last day only)."""

    series_every = 0


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(fastest, median) wall time of ``fn`` over ``repeats`` calls, GC collected between."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times))


def time_default_run(repeats: int, horizon: int | None = None) -> dict[str, Any]:
    """``simulate({}, seed)`` as a sweep calls it, with and without the daily series."""
    from dmzsim.model.api import simulate

    params = Params.build({} if horizon is None else {"horizon_days": horizon})
    simulate(params, 0)  # warm-up: rasterise the map, fill caches
    seeds = iter(range(1, 10 * repeats + 1))
    best, median = _best(lambda: simulate(params, next(seeds)), repeats)
    series_best, _ = _best(lambda: simulate(params, next(seeds), series_every=1), repeats)
    build, steps, _, _ = _build_and_run(params, repeats)
    return {"horizon_days": params.horizon_days, "repeats": repeats,
            "summary_only_s": best, "summary_only_median_s": median,
            "with_daily_series_s": series_best, "new_grid_s": build + steps,
            "new_grid_build_s": build, "new_grid_steps_s": steps}


def time_grid_build(repeats: int) -> float:
    """Fastest build of a new default-map grid: the first run in a process pays it; later
    runs of ``simulate`` reuse a finished run's grid (``TheatreGrid.take``)."""
    from random import Random  # noqa: TID251 (Mesa grids take a seeded random.Random)

    from dmzsim.model.theatre import cached_raster
    from dmzsim.model.theatre_grid import TheatreGrid

    shape = cached_raster(None, Params.build({}).cell_km).shape
    grids: list[TheatreGrid] = []

    def build() -> None:
        grids.append(TheatreGrid(shape, torus=False, capacity=None, random=Random(0)))

    best, _ = _best(build, repeats)
    for g in grids:
        g.dispose()
    return best


# --- memory (run in a fresh process) ------------------------------------------------------
def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return float("nan")


def _peak_rss_mb() -> float:
    """This process's peak RSS. ``VmHWM`` where there is /proc: Linux carries
    ``ru_maxrss`` over an exec, so a child started by a big parent would report the
    parent's peak."""
    try:
        with open("/proc/self/status") as fh:
            line = next(ln for ln in fh if ln.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def memory_of_one_run(horizon: int | None = None) -> dict[str, Any]:
    """Memory of a process that imports the model and makes one default run."""
    from dmzsim.model.api import simulate

    params = Params.build({} if horizon is None else {"horizon_days": horizon})
    after_imports = _rss_mb()
    simulate(params, 0)  # the first run rasterises the map and builds the grid
    simulate(params, 1)  # later runs reuse the grid
    peak = _peak_rss_mb()
    traced = []
    for run in (lambda: _run_new_grid(params), lambda: simulate(params, 2)):
        tracemalloc.start()
        run()
        traced.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return {"rss_after_imports_mb": after_imports, "peak_rss_mb": peak,
            "new_grid_run_peak_allocated_mb": traced[0], "run_peak_allocated_mb": traced[1]}


def _run_new_grid(params: Params) -> None:
    model = SummaryOnlyModel(params, rng=3)
    model.run_for(params.horizon_days)
    model.grid.dispose()


# --- per-phase profile --------------------------------------------------------------------
STEP_PHASES = (
    # (label, module or class path, attribute)
    ("1 agreement events", "dmzsim.model.model:CeasefireModel", "_run_agreement_events"),
    ("2 regeneration", "dmzsim.model.processes.regeneration:Regeneration", "step"),
    ("3 movement", "dmzsim.model.processes.movement:Movement", "step"),
    ("4 fortification", "dmzsim.model.processes.fortification:Fortification", "step"),
    ("5 monitoring", "dmzsim.model.processes.monitoring:Monitoring", "step"),
    ("6 decisions (Russia)", "dmzsim.agents.commands:RussiaCommand", "step"),
    ("6 decisions (Ukraine)", "dmzsim.agents.commands:UkraineCommand", "step"),
    ("7 combat", "dmzsim.model.processes.combat:Combat", "step"),
    ("8 guarantor", "dmzsim.agents.commands:Guarantor", "step"),
    ("9 record (DataCollector)", "dmzsim.model.processes.recording:Recording", "collect"),
    ("step: bookkeeping", "dmzsim.model.model:CeasefireModel", "step"),
)
INIT_PHASES = (
    ("init: Mesa model, params, streams", "dmzsim.model.model:CeasefireModel", "__init__"),
    ("init: map raster (cached)", "dmzsim.model.model", "cached_raster"),
    ("init: grid, reused (TheatreGrid.take)", "dmzsim.model.theatre_grid:TheatreGrid", "take"),
    ("init: grid, built new", "dmzsim.model.theatre_grid:TheatreGrid", "__init__"),
    ("init: layers and axes (Theatre)", "dmzsim.model.model", "Theatre"),
    ("init: agreement draw", "dmzsim.model.model:CeasefireModel", "_draw_agreement"),
    ("init: forces", "dmzsim.model.model:CeasefireModel", "_create_forces"),
    ("init: commands", "dmzsim.agents.commands:RussiaCommand", "__init__"),
    ("init: schedule events", "dmzsim.model.model:CeasefireModel", "_schedule_agreement"),
    ("init: records", "dmzsim.model.processes.recording:Recording", "__init__"),
    ("placement of all units", "dmzsim.model.processes.movement:Movement", "place_all"),
    ("summary record", "dmzsim.model.api", "summary"),
    ("grid given back (TheatreGrid.recycle)", "dmzsim.model.theatre_grid:TheatreGrid", "recycle"),
)


class PhaseTimer:
    """Exclusive wall time per phase: a phase's time excludes the phases it calls."""

    def __init__(self) -> None:
        self.exclusive: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[float]] = []  # [start, time spent in children]

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([time.perf_counter(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                start, children = self._stack.pop()
                spent = time.perf_counter() - start
                self.exclusive[label] = self.exclusive.get(label, 0.0) + spent - children
                self.calls[label] = self.calls.get(label, 0) + 1
                if self._stack:
                    self._stack[-1][1] += spent

        return timed


def _resolve(path: str) -> Any:
    import importlib

    module, _, cls = path.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, cls) if cls else obj


@contextmanager
def instrumented(timer: PhaseTimer) -> Iterator[None]:
    """Wrap every phase function in ``timer`` for the duration of the block."""
    saved = []
    for label, path, attr in INIT_PHASES + STEP_PHASES:
        owner = _resolve(path)
        original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
        saved.append((owner, attr, original))
        if isinstance(original, classmethod):
            setattr(owner, attr, classmethod(timer.wrap(label, original.__func__)))
        else:
            setattr(owner, attr, timer.wrap(label, original))
    try:
        yield
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def phase_profile(repeats: int, horizon: int | None = None) -> dict[str, Any]:
    """Where a default summary-only run spends its time (the fastest of ``repeats``)."""
    from dmzsim.model.api import simulate

    params = Params.build({} if horizon is None else {"horizon_days": horizon})
    simulate(params, 0)
    best: tuple[float, PhaseTimer] | None = None
    for seed in range(1, repeats + 1):
        timer = PhaseTimer()
        gc.collect()
        with instrumented(timer):
            start = time.perf_counter()
            simulate(params, seed)
            total = time.perf_counter() - start
        if best is None or total < best[0]:
            best = (total, timer)
    assert best is not None
    total, timer = best
    phases = [{"phase": k, "seconds": v, "share": v / total, "calls": timer.calls[k]}
              for k, v in timer.exclusive.items()]
    phases.sort(key=lambda r: -r["seconds"])
    rest = total - sum(r["seconds"] for r in phases)
    phases.append({"phase": "other: Mesa event loop, simulate()", "seconds": rest,
                   "share": rest / total, "calls": 1})
    return {"total_s": total, "phases": phases,
            "note": "exclusive times; the timing wrappers add a few percent"}


# --- growth with cells and units ----------------------------------------------------------
def _build_and_run(params: Params, repeats: int) -> tuple[float, float, int, int]:
    """Fastest (build, steps) times of a summary-only run with a new grid each time;
    cells, and units at day 0."""
    SummaryOnlyModel(params, rng=0).run_for(params.horizon_days)  # warm-up (raster)
    builds, steps = [], []
    for seed in range(1, repeats + 1):
        gc.collect()
        t0 = time.perf_counter()
        m = SummaryOnlyModel(params, rng=seed)
        t1 = time.perf_counter()
        units = int(m.forces.alive[: m.forces.n].sum())  # at day 0
        m.run_for(params.horizon_days)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        steps.append(t2 - t1)
    cells = int(np.prod(m.theatre.raster.shape))
    i = int(np.argmin(np.add(builds, steps)))
    del m
    return builds[i], steps[i], cells, units


def linear_fit(x: list[float], y: list[float]) -> dict[str, float]:
    """Least-squares y = a + b x, its R², and the log-log slope over the last interval
    (1 = cost proportional to size at the large end; > 1 = faster than linear)."""
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    b, a = np.polyfit(xa, ya, 1)
    resid = ya - (a + b * xa)
    r2 = 1.0 - float(resid @ resid) / float(((ya - ya.mean()) ** 2).sum())
    slope = math.log(ya[-1] / ya[-2]) / math.log(xa[-1] / xa[-2])
    return {"intercept_s": float(a), "per_item_s": float(b), "r2": r2,
            "loglog_slope_last": slope}


def growth(kind: str, values: list[float], repeats: int,
           horizon: int | None = None) -> dict[str, Any]:
    """Run cost against cells (``kind="cells"``: vary cell_km) or units (unit_personnel)."""
    key = "cell_km" if kind == "cells" else "unit_personnel"
    rows = []
    for v in values:
        changes: dict[str, Any] = {key: v}
        if horizon is not None:
            changes["horizon_days"] = horizon
        build, steps, cells, units = _build_and_run(Params.build(changes), repeats)
        rows.append({key: v, "cells": cells, "units": units, "build_s": build,
                     "steps_s": steps, "total_s": build + steps})
    size = [float(r[kind]) for r in rows]
    fits = {part: linear_fit(size, [r[part] for r in rows])
            for part in ("total_s", "build_s", "steps_s")}
    return {"varied": key, "rows": rows, "fit": fits}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="part of benchmarks/run_benchmarks.py")
    ap.add_argument("what", choices=["memory"])
    ap.add_argument("--horizon", type=int, default=None)
    args = ap.parse_args(argv)
    sys.stdout.write(json.dumps(memory_of_one_run(args.horizon)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
