"""Seeds for every run of an experiment, derived from one root seed.

A run's seed depends on (root seed, design point, replicate) and on nothing else, so

* results do not depend on the executor, the worker count or the completion order;
* the arm is deliberately *not* an input: replicate ``r`` at point ``p`` gets the same
  seed in every arm (common random numbers), so arm-to-arm differences are paired and
  not drowned in run-to-run noise;
* any run can be repeated alone with ``dmzsim sim --seed <seed>``, because the model is
  handed the plain integer recorded in the results, not a SeedSequence object.
"""

from __future__ import annotations

import numpy as np

# Spawn-key namespace for seeds that are not run seeds (e.g. the design sampler); run
# seeds use two-element keys (point, replicate), so a one-element key cannot collide.
_DESIGN_KEY = (0x5EED_DE51,)

_MASK_63 = (1 << 63) - 1

SCHEME = ("seed = 63-bit int from numpy SeedSequence(entropy=root_seed, "
          "spawn_key=(point, replicate)); the arm is not an input (common random "
          "numbers across arms)")  # recorded in every manifest


def run_seed_sequence(root_seed: int, point: int, replicate: int) -> np.random.SeedSequence:
    """The SeedSequence of one run: entropy = root seed, spawn key = (point, replicate)."""
    if point < 0 or replicate < 0:
        raise ValueError(f"point and replicate must be >= 0, got {point}, {replicate}")
    return np.random.SeedSequence(entropy=root_seed, spawn_key=(point, replicate))


def run_seed(root_seed: int, point: int, replicate: int) -> int:
    """The integer seed passed to the model for one run (63 bits, fits an int64 column)."""
    return _to_int(run_seed_sequence(root_seed, point, replicate))


def design_seed(root_seed: int) -> int:
    """Seed for the design sampler (LHS, Sobol, Morris) when the config gives none."""
    return _to_int(np.random.SeedSequence(entropy=root_seed, spawn_key=_DESIGN_KEY))


def _to_int(seq: np.random.SeedSequence) -> int:
    lo, hi = (int(w) for w in seq.generate_state(2, dtype=np.uint32))
    return ((hi << 32) | lo) & _MASK_63
