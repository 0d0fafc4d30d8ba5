"""One sweep in a fresh process: through dmzsim's runner or through ``mesa.batch_run``.

``python -m benchmarks.sweeps runner|batch_run --runs 400 --workers 2`` runs the same
sweep either way — the model ``CeasefireModel``, the five sequencing arms, the same
integer seeds (the runner's ``seeds.run_seed(root, 0, r)``, handed to ``batch_run`` as
``rng=[...]``), the same horizon and number of processes, summary outputs only — and
prints one JSON line: the sweep's wall time (pool start-up included, interpreter
start-up and imports not) and, per run, a fingerprint of its results so the caller can
check that both ways ran the very same runs.

It runs in its own process so that the caller can sample the memory of the whole
process tree (parent, workers, fork server) without its own memory in the way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from typing import Any

ARMS = ("no_deal", "frozen_line", "territory_first", "guarantees_first", "simultaneous")
ROOT_SEED = 20260301


def plan(n_runs: int) -> tuple[int, int]:
    """Replicates per arm, and the total number of runs (a multiple of the arms)."""
    reps = max(1, n_runs // len(ARMS))
    return reps, reps * len(ARMS)


def run_with_runner(n_runs: int, workers: int, horizon: int) -> dict[str, Any]:
    from dmzsim.runs.experiment.config import from_dict
    from dmzsim.runs.sweep import run_experiment
    from dmzsim.runs.sweep.executors import ExecutorSpec

    reps, _ = plan(n_runs)
    exp = from_dict({"name": "bench", "root_seed": ROOT_SEED, "replicates": reps,
                     "horizon_days": horizon, "arms": {a: {"sequencing": a} for a in ARMS}})
    with tempfile.TemporaryDirectory(prefix="dmzsim-bench-") as out:
        start = time.perf_counter()
        report = run_experiment(exp, out, executor=ExecutorSpec("processes", workers),
                                progress=False, argv=[])
        wall = time.perf_counter() - start
        df = report_summaries(out)
    prints = {f"{r.arm}|{r.seed}": [r.ua_area_km2_end, r.ru_losses, r.ua_losses]
              for r in df.itertuples()}
    return {"wall_s": wall, "runs": int(report.ran_ok), "failed": int(report.ran_failed),
            "fingerprints": prints}


def report_summaries(out: str) -> Any:
    from dmzsim.runs.sweep.results import ResultsFolder

    return ResultsFolder(f"{out}/bench").summaries(
        ["arm", "seed", "ua_area_km2_end", "ru_losses", "ua_losses"])


def run_with_batch_run(n_runs: int, workers: int, horizon: int,
                       summary_only: bool = False) -> dict[str, Any]:
    """``summary_only``: hand batch_run the model class that records its series on the
    last day only, as the runner's runs do (isolates what the runner itself adds)."""
    import mesa
    from dmzsim.model.model import CeasefireModel
    from dmzsim.runs.experiment import seeds

    from benchmarks.single_run import SummaryOnlyModel

    model_cls = SummaryOnlyModel if summary_only else CeasefireModel

    reps, _ = plan(n_runs)
    rng = [seeds.run_seed(ROOT_SEED, 0, r) for r in range(reps)]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rows = mesa.batch_run(model_cls,
                              parameters={"sequencing": list(ARMS), "horizon_days": horizon},
                              rng=rng, max_steps=horizon, number_processes=workers,
                              data_collection_period=-1, display_progress=False)
    wall = time.perf_counter() - start
    prints = {f"{r['sequencing']}|{r['rng']}": [r["ua_area_km2"], r["ru_losses"],
                                                 r["ua_losses"]] for r in rows}
    return {"wall_s": wall, "runs": len(rows), "failed": 0, "fingerprints": prints}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["runner", "batch_run", "batch_run_summary"])
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--horizon", type=int, default=730)
    args = ap.parse_args(argv)
    if args.kind == "runner":
        result = run_with_runner(args.runs, args.workers, args.horizon)
    else:
        result = run_with_batch_run(args.runs, args.workers, args.horizon,
                                    summary_only=args.kind == "batch_run_summary")
    result.update(kind=args.kind, workers=args.workers, horizon=args.horizon)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
