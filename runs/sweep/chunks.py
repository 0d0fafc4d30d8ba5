"""How many runs travel together in one task.

Every task costs its executor a fixed overhead: pickling, a round trip to a worker and,
on Dask, the scheduler's bookkeeping (about a millisecond a task). A sweep of short runs
sent one run per task spends as much on dispatch as on the model, and a scheduler that
tracks 100,000 tasks spends memory on them too. So runs travel in chunks, sized from the
runs already finished so that a task holds about ``target_s`` of work: one run at first,
then as many as fit, never more than ``max_runs``. A run's output depends only on its
parameters and seed, so the chunking changes no result; what it does change is how many
runs an interrupted session loses (the chunks in flight) and how evenly the last runs
spread over the workers, which is why the target stays well under a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Seconds of work one task should hold, by executor: a local process pool's dispatch
#: costs ~0.2 ms, Dask's ~1-2 ms (its docs advise tasks of 100 ms or more).
TARGET_S = {"serial": 0.0, "processes": 0.05, "dask": 0.5}
MAX_RUNS = 256  # keeps a chunk's results (and what a crash loses) small


@dataclass
class ChunkSizer:
    """Sizes the next chunk from the mean wall time of the runs finished so far.

    ``fixed`` (a user's ``--chunk``) overrides the sizing; ``target_s`` 0 sends one run
    per task.
    """

    target_s: float
    fixed: int | None = None
    max_runs: int = MAX_RUNS
    _runs: int = 0
    _wall_s: float = 0.0

    def observe(self, wall_s: float) -> None:
        """One finished run's wall time (NaN for a run that never ran is ignored)."""
        if math.isfinite(wall_s) and wall_s >= 0:
            self._runs += 1
            self._wall_s += wall_s

    def size(self) -> int:
        """Runs to put in the next task."""
        if self.fixed is not None:
            return self.fixed
        if self.target_s <= 0 or self._runs == 0:
            return 1
        per_run = max(self._wall_s / self._runs, 1e-6)
        return max(1, min(self.max_runs, int(self.target_s / per_run)))
