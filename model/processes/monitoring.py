"""Step 5: monitoring. Sectors look for a build-up in their sector and for small breaches.

Small violations arrive along the whole front as one Poisson process, at each sector's
rate for its length of front: the monitors keep the intensity left until the next one (a
unit exponential from the ``violations`` stream), each day uses up the day's total rate,
and each violation that falls in a day is placed on a sector in proportion to its rate
and seen with the coverage. That is the law of a Poisson count per sector a day, thinned
by the coverage, without a draw on the many days with none (``CeasefireModel``'s quiet
days). A build-up is looked for, one draw per sector, only on the days one is there. The
model's reference mode (``CeasefireModel.waiting_times`` off) draws every sector every day.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.agents.dmz_sector import DMZSector
from dmzsim.model import springboard
from dmzsim.model.forces import RU, Posture

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

#: The counts each sector keeps, in the order of ``Monitoring.totals``.
COUNTS = ("detections", "violations", "violations_detected")
_MASSING = int(Posture.CONCENTRATE)


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
        self._rate_total = 0.0  # violations expected a day along the whole front
        self._rate_edges = np.zeros(0)  # the rates' running sum, to place a violation
        # intensity left until the next violation (clock mode)
        self.until_next = 0.0 if not m.waiting_times else float(
            m.streams.violations.standard_exponential())

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

    def quiet_today(self) -> bool:
        """Whether today's watch can find nothing: no build-up anywhere and no violation
        due today (``pass_quiet_day`` then stands for ``step``)."""
        return self.until_next >= self._total_rate() and not self._buildup()

    def _buildup(self) -> bool:
        """Whether any Russian unit is massing (a build-up to look for)."""
        # the posture's code as a plain int: an enum member takes numpy's slow path
        return bool((self.m.forces.view("posture") == _MASSING).any())

    def pass_quiet_day(self) -> None:
        """A day on which ``quiet_today`` holds: the day's rate is used up, nothing seen."""
        self.until_next -= self._rate_total
        self.detected_today = 0

    def quiet_days_ahead(self, limit: int) -> int:
        """How many of the next ``limit`` days the watch can pass day by day with
        ``watch_days``: all of them while nobody masses, none else."""
        return 0 if self._buildup() else limit

    def watch_days(self, days: int) -> Iterator[tuple[int, int]]:
        """``step`` on each of ``days`` ceasefire days with no build-up anywhere, in the
        same arithmetic: the small violations due on the clock (most days none), counted
        on their sectors. Yields the day (1 to ``days``) and the violations seen on each
        day some are seen, for the guarantor to answer that day."""
        rate = self._total_rate()
        for day in range(1, days + 1):
            if self.until_next >= rate:  # ``pass_quiet_day``
                self.until_next -= rate
                self.detected_today = 0
                continue
            counts, seen = self._violations_today()
            self._count_violations(counts, seen)
            self.detected_today = int(seen.sum())
            if self.detected_today:
                yield day, self.detected_today

    def _observe(self) -> int:
        m = self.m
        if not m.in_ceasefire:
            return 0
        n = len(self.sectors)
        f = m.forces
        if not m.waiting_times:
            draws = m.streams.monitoring.random(n)
            counts = m.streams.violations.poisson(self._violation_rate())
            # a binomial of 0 trials draws nothing: on the many quiet days it is not called
            seen_counts = (m.streams.monitoring.binomial(counts, self.coverage)
                           if counts.any() else counts)
        else:
            counts, seen_counts = self._violations_today()
        if not self._buildup():  # most days
            self._count_violations(counts, seen_counts)
            return int(seen_counts.sum())
        if m.waiting_times:
            draws = m.streams.monitoring.random(n)
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

    def _violations_today(self) -> tuple[np.ndarray, np.ndarray]:
        """Today's violations on each sector and those seen, from the clock: every
        violation due within today's total rate, each placed on a sector in proportion to
        its rate and seen with the coverage; then the clock runs on to the next one."""
        rate = self._violation_rate()
        counts = np.zeros(rate.size, dtype=np.int64)
        seen = np.zeros(rate.size, dtype=np.int64)
        left = self._total_rate()
        stream = self.m.streams.violations
        while self.until_next < left:
            left -= self.until_next
            where, look = stream.random(2)
            k = min(int(np.searchsorted(self._rate_edges, where * self._rate_total,
                                        side="right")), rate.size - 1)
            counts[k] += 1
            seen[k] += look < self.coverage
            self.until_next = float(stream.standard_exponential())
        self.until_next -= left
        return counts, seen

    def _violation_rate(self) -> np.ndarray:
        """Each sector's expected small violations a day, kept until the front is cut
        again (``front_km`` is a new array then)."""
        th, p = self.m.theatre, self.m.p
        if self._rate_of[0] is not th.front_km or self._rate_of[1] is not p:
            self._rate = p.violation_rate_per_100km_day * th.front_km / 100.0
            self._rate_edges = np.cumsum(self._rate)
            self._rate_total = float(self._rate_edges[-1]) if self._rate.size else 0.0
            self._rate_of = (th.front_km, p)
        return self._rate

    def _total_rate(self) -> float:
        """Violations expected a day along the whole front (kept with the rates)."""
        self._violation_rate()
        return self._rate_total

    def totals(self) -> np.ndarray:
        """Detections, violations and violations detected, over every sector ever."""
        return self.cut_away + np.array(
            [sum(getattr(s, k) for s in self.sectors) for k in COUNTS])

    def warning_days(self, sector: int) -> float:
        """Days since a build-up was first seen on ``sector`` (0 if it never was)."""
        first_seen = self.sectors[sector].first_buildup_day
        return 0.0 if np.isnan(first_seen) else float(self.m.day - first_seen)
