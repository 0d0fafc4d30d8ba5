"""What the runner's scaling from 1 to N workers is measured against.

On a virtual machine the cores may share a physical core, a cache or a turbo budget with
each other and with other tenants, so no sweep scales better than the machine lets the
same work scale. Two yardsticks, each timed as the same work in one process against N
copies side by side, in alternating pairs (a busy spell slows both alike), in processes
that are already up:

* ``loop``: integer arithmetic in pure Python, no memory to speak of: what the cores give;
* ``model``: ``simulate`` on the same runs with no runner (no dispatch, no results
  written): what the model's own use of memory and caches leaves.

Where the runner scales worse than the model alone, the difference is the runner's
(dispatch, the parent's writing, workers starting, the last chunks' uneven end); where
both fall short of the loop, the machine's memory and caches are the limit. On a shared
machine single pairs vary by tens of per cent: read the pairs, not only the median.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from typing import Any

#: Iterations of the loop per process: about a second on the machines measured so far.
LOOP = 12_000_000
#: Runs of the model per process, and their days: a few seconds.
MODEL_RUNS, MODEL_DAYS = 8, 730


def _loop(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def _model(plan: tuple[int, int, int]) -> int:
    from dmzsim.model.api import simulate

    seed0, runs, days = plan
    for seed in range(seed0, seed0 + runs):
        simulate({"sequencing": "frozen_line", "horizon_days": days}, seed)
    return 0


def _pairs(pool: Any, work: Callable[[Any], int], arg: Any, workers: int,
           pairs: int) -> list[float]:
    out = []
    for _ in range(pairs):
        start = time.perf_counter()
        pool.map(work, [arg], chunksize=1)
        one = time.perf_counter() - start
        start = time.perf_counter()
        pool.map(work, [arg] * workers, chunksize=1)
        out.append(one / (time.perf_counter() - start))
    return out


def measure(workers: int, pairs: int = 3, quick: bool = False) -> dict[str, Any]:
    """Efficiency of ``workers`` processes against one, for each yardstick: the median
    over ``pairs`` alternating pairs, and every pair's (one process's time over the
    ``workers`` copies' time)."""
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    out: dict[str, Any] = {"workers": workers, "pairs": pairs}
    loop, model = (LOOP // 100, (100, 1, 30)) if quick else (LOOP, (100, MODEL_RUNS, MODEL_DAYS))
    with ctx.Pool(workers) as pool:
        # every process up, the map read and a run's caches warm
        pool.map(_model, [(0, 1, 30)] * 4 * workers, chunksize=1)
        for name, work, arg in (("loop", _loop, loop), ("model", _model, model)):
            each = _pairs(pool, work, arg, workers, pairs)
            out[name] = {"efficiency": statistics.median(each), "each": each}
    return out
