"""A sweep at cluster scale: what the runner and a Dask scheduler cost per run.

``python -m benchmarks.dask_scale --runs 100000 --workers 2`` runs a sweep of a trivial
model (a few microseconds a run, so everything measured is overhead) through dmzsim's
runner on a local Dask cluster, as a cluster sweep would run, and samples every second:

* the tasks the scheduler holds (``len(scheduler.tasks)``): bounded by the tasks in flight
  if nothing keeps results on the cluster;
* the memory of the process that holds the scheduler, the runner and the results store
  (a ``LocalCluster`` runs its scheduler in the calling process), and of each worker.

It reports the wall time, the overhead per run (wall time x workers / runs, less the
model's own time), and the memory and scheduler tasks at 10, 50 and 90% of the sweep, so
that "flat in the number of runs" can be read off. ``--chunk 1`` shows
what one run per task would cost. Writes one JSON line (``--out`` to keep it).
"""

from __future__ import annotations

# isort: off
import dmzsim  # noqa: F401  (first: it keeps NumPy off its AVX-512 code paths)
# isort: on
import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from dmzsim.model.api import RunResult

from benchmarks.run_benchmarks import machine


def trivial(params: Any, seed: int, **_: Any) -> RunResult:
    """A model that takes no time: a summary of three numbers from the seed."""
    return RunResult({"resumed": seed % 7 == 0, "day_resumed": float(seed % 1825),
                      "ua_area_km2_end": float(seed % 1000)}, None)


class Sampler(threading.Thread):
    """Every ``every`` s: the scheduler's task count and the memory of this process and
    of the cluster's workers."""

    def __init__(self, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.every, self.rows, self.stop = every, [], threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        me = psutil.Process()
        while not self.stop.wait(self.every):
            row = {"t": time.perf_counter() - self.t0,
                   "rss_mb": me.memory_info().rss / 2**20, "tasks": None, "workers_mb": None}
            try:
                from distributed import default_client

                client = default_client()
                row["tasks"] = client.run_on_scheduler(
                    lambda dask_scheduler: len(dask_scheduler.tasks))
                row["workers_mb"] = sum(c.memory_info().rss for c in me.children(True)
                                        ) / 2**20
            except (ValueError, OSError, psutil.Error):  # no client yet, or gone
                pass
            self.rows.append(row)


def sweep(runs: int, workers: int, chunk: int | None, kind: str) -> dict[str, Any]:
    """One sweep of ``runs`` trivial runs; its timings and samples."""
    from dmzsim.analysis.loader import load_experiment
    from dmzsim.runs.experiment.config import from_dict
    from dmzsim.runs.sweep import run_experiment
    from dmzsim.runs.sweep.executors import ExecutorSpec

    exp = from_dict({"name": "scale", "root_seed": 1, "replicates": runs,
                     "arms": {"a": {"sequencing": "frozen_line"}}})
    spec = (ExecutorSpec("dask", workers, f"local:{workers}", chunk=chunk) if kind == "dask"
            else ExecutorSpec("processes", workers, chunk=chunk))
    sampler = Sampler()
    with tempfile.TemporaryDirectory(prefix="dmzsim-scale-") as out:
        sampler.start()
        start = time.perf_counter()
        report = run_experiment(exp, out, executor=spec, simulate=trivial, progress=False,
                                argv=[])
        wall = time.perf_counter() - start
        sampler.stop.set()
        df = load_experiment(Path(out) / "scale").summary
    model_s = float(df["wall_s"].sum())
    return {"kind": kind, "runs": runs, "ok": int(report.ran_ok), "workers": workers,
            "chunk": chunk, "wall_s": wall, "model_s": model_s,
            "overhead_ms_per_run": 1000 * (wall * workers - model_s) / runs,
            "wall_ms_per_run": 1000 * wall / runs, "samples": sampler.rows}


def summary(res: dict[str, Any]) -> dict[str, Any]:
    """The numbers a reader plans by: memory and scheduler tasks at 10, 50 and 90% of the
    sweep's wall time (the sweep proper), and their maxima (the close included: it writes
    the manifest's row per run)."""
    rows = res["samples"]
    if not rows:
        return {}
    out: dict[str, Any] = {}
    for pct in (10, 50, 90):
        at = min(rows, key=lambda r: abs(r["t"] - res["wall_s"] * pct / 100))
        out[f"at_{pct}pct"] = {"rss_mb": round(at["rss_mb"], 1), "tasks": at["tasks"],
                               "workers_mb": round(at["workers_mb"] or 0, 1)}
    out["rss_mb_max"] = round(max(r["rss_mb"] for r in rows), 1)
    out["tasks_max"] = max((r["tasks"] or 0) for r in rows)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=None)
    ap.add_argument("--executor", choices=["dask", "processes"], default="dask")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    res = sweep(args.runs, args.workers, args.chunk, args.executor)
    res["summary"] = summary(res)
    res["machine"] = {**machine(), "load": os.getloadavg()}
    line = json.dumps(res)
    print(json.dumps({k: v for k, v in res.items() if k != "samples"}))
    if args.out:
        args.out.write_text(line + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
