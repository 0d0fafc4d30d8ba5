"""dmzsim benchmarks: one run, a sweep against ``mesa.batch_run``, scaling, size growth.

    python -m benchmarks.run_benchmarks            # full: about 6-8 minutes on 2 cores
    python -m benchmarks.run_benchmarks --quick    # smoke version: seconds, numbers rough

One invocation measures, on this machine:

1. one default run (2 years, default map): time, peak memory, per-phase profile;
2. the same sweep through dmzsim's runner and through ``mesa.batch_run`` (same model,
   parameters, seeds, processes; summary outputs): runs/s, peak memory, ratios, and a
   check that both produced the very same results;
3. the runner's throughput from 1 worker to all cores (parallel efficiency), beside what
   the same cores give a pure loop and the model without the runner
   (``scaling_yardstick``);
4. a run's cost against the map's cell count and the number of units (linear fits).

It prints a table and writes everything to ``benchmarks/results/<date>[-quick].json``.
Only the standard library, numpy, and /proc (Linux) are used. Timings are the fastest of
``--repeats`` (other work on the machine only ever slows a run down); the machine's load
average is recorded before and after, because on a shared machine it matters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file: python benchmarks/run_benchmarks.py
    sys.path.insert(0, str(ROOT))

from benchmarks import procmem, report, scaling_yardstick, single_run  # noqa: E402
from benchmarks.sweeps import plan  # noqa: E402

FULL = {"repeats": 2, "run_repeats": 7, "profile_repeats": 5, "runs": 400, "horizon": None,
        "sweep_horizon": 730, "cell_km": [4.0, 2.83, 2.0, 1.41, 1.0],
        "unit_personnel": [8000.0, 4000.0, 2000.0, 1000.0, 500.0], "growth_repeats": 3,
        "yardstick_pairs": 5}
QUICK = {"repeats": 1, "run_repeats": 2, "profile_repeats": 1, "runs": 5, "horizon": 60,
         "sweep_horizon": 30, "cell_km": [4.0, 2.0], "unit_personnel": [4000.0, 2000.0],
         "growth_repeats": 1, "yardstick_pairs": 1}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import mesa
    import numpy as np

    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "cores": os.cpu_count(), "numpy": np.__version__,
                            "mesa": mesa.__version__}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(ln.split(":", 1)[1].strip() for ln in cpu.splitlines()
                           if ln.startswith("model name"))
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["ram_gb"] = round(int(mem) / 2**20, 1)
    except (OSError, StopIteration, IndexError):
        info["cpu"] = platform.processor()
    info["git_commit"], info["git_dirty"] = _git()
    return info


def _git() -> tuple[str, bool | None]:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "model", "agents", "runs"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return sha, bool(dirty.strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown", None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# --- part 1 -------------------------------------------------------------------------------
def part_single(cfg: dict[str, Any]) -> dict[str, Any]:
    timing = single_run.time_default_run(cfg["run_repeats"], cfg["horizon"])
    timing["grid_build_new_s"] = single_run.time_grid_build(cfg["run_repeats"])
    cmd = [sys.executable, "-m", "benchmarks.single_run", "memory"]
    if cfg["horizon"]:
        cmd += ["--horizon", str(cfg["horizon"])]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    memory = json.loads(done.stdout.strip().splitlines()[-1])
    profile = single_run.phase_profile(cfg["profile_repeats"], cfg["horizon"])
    return {"timing": timing, "memory": memory, "profile": profile}


# --- parts 2 and 3 ------------------------------------------------------------------------
def sweep_once(kind: str, runs: int, workers: int, horizon: int) -> dict[str, Any]:
    """One sweep in a child process, with the memory of its process tree sampled."""
    cmd = [sys.executable, "-m", "benchmarks.sweeps", kind, "--runs", str(runs),
           "--workers", str(workers), "--horizon", str(horizon)]
    done, mem = procmem.run_measured(cmd, ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} sweep failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out.update(peak_pss_mb=mem.peak_pss_mb, peak_rss_mb=mem.peak_rss_mb,
               processes=mem.max_processes, memory_method=mem.method)
    return out


def sweep_best(kind: str, runs: int, workers: int, horizon: int,
               repeats: int) -> dict[str, Any]:
    """Fastest of ``repeats`` sweeps; memory is the highest peak seen in any of them."""
    trials = [sweep_once(kind, runs, workers, horizon) for _ in range(repeats)]
    best = min(trials, key=lambda t: t["wall_s"])
    return {"kind": kind, "workers": workers, "runs": best["runs"],
            "failed": best["failed"], "wall_s": best["wall_s"],
            "runs_per_s": best["runs"] / best["wall_s"],
            "wall_s_all": [t["wall_s"] for t in trials],
            "peak_pss_mb": max(t["peak_pss_mb"] for t in trials),
            "peak_rss_mb": max(t["peak_rss_mb"] for t in trials),
            "processes": best["processes"], "memory_method": best["memory_method"],
            "fingerprints": best["fingerprints"]}


# batch_run_summary: batch_run given the model class that records on the last day only,
# as the runner's runs do; it shows what the runner adds beyond cheaper recording.
SWEEP_KINDS = ("runner", "batch_run", "batch_run_summary")


def part_sweeps(cfg: dict[str, Any], workers: int) -> dict[str, Any]:
    _, n_runs = plan(cfg["runs"])
    h, reps = cfg["sweep_horizon"], cfg["repeats"]
    best: dict[str, dict[str, Any]] = {}
    for _ in range(reps):  # interleaved, so that a busy spell hits all alike
        for kind in SWEEP_KINDS:
            trial = sweep_best(kind, n_runs, workers, h, 1)
            best[kind] = _merge(best[kind], trial) if kind in best else trial
    prints = [best[k].pop("fingerprints") for k in SWEEP_KINDS]
    same = all(p == prints[0] for p in prints)
    runner, batch = best["runner"], best["batch_run"]
    summary_only = best["batch_run_summary"]
    return {"runs": n_runs, "workers": workers, "horizon_days": h, "repeats": reps,
            "runner": runner, "batch_run": batch, "batch_run_summary": summary_only,
            "same_results": same,
            "throughput_ratio_vs_summary_model": runner["runs_per_s"]
            / summary_only["runs_per_s"],
            "throughput_ratio": runner["runs_per_s"] / batch["runs_per_s"],
            "memory_ratio_pss": runner["peak_pss_mb"] / batch["peak_pss_mb"]
            if batch["peak_pss_mb"] else None,
            "memory_ratio_rss": runner["peak_rss_mb"] / batch["peak_rss_mb"]}


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    best = a if a["wall_s"] <= b["wall_s"] else b
    return {**best, "wall_s_all": a["wall_s_all"] + b["wall_s_all"],
            "peak_pss_mb": max(a["peak_pss_mb"], b["peak_pss_mb"]),
            "peak_rss_mb": max(a["peak_rss_mb"], b["peak_rss_mb"])}


def part_scaling(cfg: dict[str, Any], max_workers: int,
                 at_max: dict[str, Any]) -> dict[str, Any]:
    _, n_runs = plan(cfg["runs"])
    rows = []
    for w in range(1, max_workers + 1):
        if w == max_workers:
            r, source = at_max, "part 2"
        else:
            r = sweep_best("runner", n_runs, w, cfg["sweep_horizon"], cfg["repeats"])
            r.pop("fingerprints")
            source = "measured"
        rows.append({"workers": w, "runs_per_s": r["runs_per_s"], "wall_s": r["wall_s"],
                     "peak_pss_mb": r["peak_pss_mb"], "source": source})
    base = rows[0]["runs_per_s"]
    for row in rows:
        row["speedup"] = row["runs_per_s"] / base
        row["efficiency"] = row["speedup"] / row["workers"]
    yardstick = (scaling_yardstick.measure(max_workers, cfg["yardstick_pairs"],
                                           quick=cfg["horizon"] is not None)
                 if max_workers > 1 else None)
    return {"runs": n_runs, "rows": rows, "yardstick": yardstick}


# --- part 4 -------------------------------------------------------------------------------
def part_growth(cfg: dict[str, Any]) -> dict[str, Any]:
    h, reps = cfg["horizon"], cfg["growth_repeats"]
    return {"cells": single_run.growth("cells", cfg["cell_km"], reps, h),
            "units": single_run.growth("units", cfg["unit_personnel"], reps, h)}


# --- driver -------------------------------------------------------------------------------
def run_all(quick: bool, workers: int, runs: int | None, repeats: int | None,
            log: Any = print) -> dict[str, Any]:
    cfg = dict(QUICK if quick else FULL)
    if runs is not None:
        cfg["runs"] = runs
    if repeats is not None:
        cfg["repeats"] = repeats
    result: dict[str, Any] = {"quick": quick, "started": dt.datetime.now().isoformat(
        timespec="seconds"), "machine": machine(), "load_before": load_average(),
        "config": cfg}
    t0 = time.perf_counter()
    log("[1/4] one default run ...")
    result["single_run"] = part_single(cfg)
    log(f"[2/4] sweep of {plan(cfg['runs'])[1]} runs: runner vs mesa.batch_run, "
        f"{workers} processes ...")
    result["sweep"] = part_sweeps(cfg, workers)
    log(f"[3/4] runner scaling, 1..{workers} workers ...")
    result["scaling"] = part_scaling(cfg, workers, result["sweep"]["runner"])
    log("[4/4] growth with cells and units ...")
    result["growth"] = part_growth(cfg)
    result["load_after"] = load_average()
    result["elapsed_s"] = time.perf_counter() - t0
    result["targets"] = report.targets(result)
    return result


def default_out(quick: bool) -> Path:
    stamp = dt.date.today().isoformat()
    return ROOT / "benchmarks" / "results" / f"{stamp}{'-quick' if quick else ''}.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke version: tiny sweeps, short runs (numbers not meaningful)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="processes for the sweeps (default: all cores)")
    ap.add_argument("--runs", type=int, help="sweep size (default 400; quick 5)")
    ap.add_argument("--repeats", type=int, help="repeats of each sweep (default 2)")
    ap.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/"
                    "<date>[-quick].json)")
    args = ap.parse_args(argv)
    result = run_all(args.quick, args.workers, args.runs, args.repeats,
                     log=lambda msg: print(msg, file=sys.stderr, flush=True))
    out = args.out or default_out(args.quick)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(report.table(result))
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
