"""Step 5: monitoring. Sectors look for a build-up in their sector and for small breaches.

All sectors draw every day whether or not anything is there, so the random streams stay
aligned between arms (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model.forces import RU, Posture

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


def observe(m: CeasefireModel) -> int:
    """Run today's monitoring; return the number of violations detected today."""
    if not m.in_ceasefire:
        return 0
    n = len(m.sectors)
    f = m.forces
    massing = f.mask(RU, Posture.CONCENTRATE)
    buildup = np.zeros(n, dtype=bool)
    sector = f.view("sector")
    buildup[sector[massing & (sector >= 0)]] = True
    draws = m.streams.monitoring.random(n)
    rate = m.p.violation_rate_per_100km_day * m.theatre.front_km / 100.0
    counts = m.streams.violations.poisson(rate)
    # a binomial of 0 trials draws nothing, so on the many quiet days it is not called
    seen_counts = (m.streams.monitoring.binomial(counts, m.coverage) if counts.any()
                   else counts)
    for a in (buildup | (counts > 0)).nonzero()[0]:
        first = m.sectors[a].observe(m.day, bool(buildup[a]), float(draws[a]),
                                     int(counts[a]), int(seen_counts[a]))
        if first:
            m.ukraine.warn(int(a))
    return int(seen_counts.sum())
