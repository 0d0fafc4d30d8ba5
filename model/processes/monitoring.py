"""Step 5: monitoring. Sectors look for a build-up in their sector and for small breaches.

All sectors draw every day whether or not anything is there, so the random streams stay
aligned between arms (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.agents.dmz_sector import DMZSector
from dmzsim.model import springboard
from dmzsim.model.forces import RU, Posture

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

#: The counts each sector keeps, in the order of ``Monitoring.totals``.
COUNTS = ("detections", "violations", "violations_detected")


class Monitoring:
    """The monitors: one ``DMZSector`` agent per sector of today's partition.

    State: the coverage (0 when the deal has no monitoring), the sector agents, the counts
    of sectors cut away when the theatre was cut again (so totals survive the cut), and
    the violations detected today, which the guarantor answers (step 8).
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "violation_rate_per_100km_day",
    )
    STEP = 5

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.coverage = 0.0
        self.sectors: list[DMZSector] = []
        self.cut_away = np.zeros(len(COUNTS), dtype=int)
        self.detected_today = 0
        self._rate_of: tuple[object, object] = (None, None)  # front_km, params of _rate
        self._rate = np.zeros(0)

    def make_sectors(self) -> None:
        """One DMZSector per sector of today's partition; the counts of the old ones are
        kept in ``cut_away``."""
        m = self.m
        for s in self.sectors:
            self.cut_away += (s.detections, s.violations, s.violations_detected)
            s.remove()
        th = m.theatre
        self.sectors = [DMZSector(m, k, self.coverage) for k in range(th.n_sectors)]
        for s in self.sectors:
            s.cell = m.grid[th.attack_point(s.sector)]

    def show(self, watched: np.ndarray) -> None:
        """The ``monitored`` layer: today's coverage on the watched cells (flat mask), 0
        elsewhere. Drawn only; detection itself is per sector."""
        self.m.theatre.monitored.reshape(-1)[:] = np.where(watched, self.coverage, 0.0)

    def step(self) -> None:
        """Today's watch; ``detected_today`` counts the violations seen."""
        self.detected_today = self._observe()

    def _observe(self) -> int:
        m = self.m
        if not m.in_ceasefire:
            return 0
        n = len(self.sectors)
        f = m.forces
        draws = m.streams.monitoring.random(n)
        counts = m.streams.violations.poisson(self._violation_rate())
        # a binomial of 0 trials draws nothing, so on the many quiet days it is not called
        seen_counts = (m.streams.monitoring.binomial(counts, self.coverage) if counts.any()
                       else counts)
        if not (f.view("posture") == Posture.CONCENTRATE).any():  # no build-up (most days)
            self._count_violations(counts, seen_counts)
            return int(seen_counts.sum())
        massing = f.mask(RU, Posture.CONCENTRATE)
        buildup = np.zeros(n, dtype=bool)
        sector = f.view("sector")
        buildup[sector[massing & (sector >= 0)]] = True
        inside = buildup & springboard.in_zone(m)  # massed inside the zone: a violation
        seen_inside = inside & (draws < self.coverage)  # the look that sees the build-up
        for a in (buildup | (counts > 0)).nonzero()[0]:
            first = self.sectors[a].observe(m.day, bool(buildup[a]), float(draws[a]),
                                            int(counts[a] + inside[a]),
                                            int(seen_counts[a] + seen_inside[a]))
            if first:
                m.ukraine.warn(int(a))
        return int(seen_counts.sum() + seen_inside.sum())

    def _count_violations(self, counts: np.ndarray, seen: np.ndarray) -> None:
        """A day without a build-up: each sector only counts its small violations, as
        ``DMZSector.observe`` does, without a call per sector."""
        at = counts.nonzero()[0]
        sectors = self.sectors
        for a, c, s in zip(at.tolist(), counts[at].tolist(), seen[at].tolist(), strict=True):
            sector = sectors[a]
            sector.violations += c
            sector.violations_detected += s

    def _violation_rate(self) -> np.ndarray:
        """Each sector's expected small violations a day, kept until the front is cut
        again (``front_km`` is a new array then)."""
        th, p = self.m.theatre, self.m.p
        if self._rate_of[0] is not th.front_km or self._rate_of[1] is not p:
            self._rate = p.violation_rate_per_100km_day * th.front_km / 100.0
            self._rate_of = (th.front_km, p)
        return self._rate

    def totals(self) -> np.ndarray:
        """Detections, violations and violations detected, over every sector ever."""
        return self.cut_away + np.array(
            [sum(getattr(s, k) for s in self.sectors) for k in COUNTS])

    def warning_days(self, sector: int) -> float:
        """Days since a build-up was first seen on ``sector`` (0 if it never was)."""
        first_seen = self.sectors[sector].first_buildup_day
        return 0.0 if np.isnan(first_seen) else float(self.m.day - first_seen)
