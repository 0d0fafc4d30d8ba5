"""Named random streams, one per process of the model.

Every mechanism draws from its own numpy Generator, derived from the run's seed and a
fixed stream number. Changing how often one mechanism draws (say, monitoring) therefore
does not reshuffle the draws of another (say, Russia's decisions): this is what makes
comparisons between arms with common random numbers exact.
"""

from __future__ import annotations

import numpy as np

# Fixed numbers, never reordered: adding a stream appends a new number.
STREAM_IDS: dict[str, int] = {
    "guarantees": 1,
    "decisions": 2,
    "monitoring": 3,
    "violations": 4,
    # 5 and 6 were streams nobody drew from; their numbers stay retired
    "responses": 7,
    "shocks": 8,
    "regeneration": 9,
    "reviews": 10,
}

SeedLike = int | np.random.SeedSequence


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Accept an int or a SeedSequence (as the experiment runner hands out)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int or numpy SeedSequence, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.SeedSequence(int(seed))


def mesa_seed(seed: SeedLike) -> int:
    """An int for Mesa's own ``rng=`` (its stdlib and numpy generators)."""
    ss = as_seed_sequence(seed)
    return int(ss.generate_state(1, dtype=np.uint32)[0])


class Streams:
    """The model's named generators: ``streams.decisions.random()`` and so on."""

    def __init__(self, seed: SeedLike) -> None:
        root = as_seed_sequence(seed)
        for name, sid in STREAM_IDS.items():
            child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1000 + sid))
            setattr(self, name, np.random.default_rng(child))

    guarantees: np.random.Generator
    decisions: np.random.Generator
    monitoring: np.random.Generator
    violations: np.random.Generator
    responses: np.random.Generator
    shocks: np.random.Generator
    regeneration: np.random.Generator
    reviews: np.random.Generator
