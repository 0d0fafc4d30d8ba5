"""Step 4: fortification. Ukraine digs in on its manned line; works left in the zone decay.

The works are the theatre's ``fortification`` layer (0..1 a cell). Ukraine's defended zone
on each sector is the ground within ``defence_zone_km`` behind its forward edge: what an
attack there meets, and what it digs. Works it leaves in a zone decay there and slow the
side that crosses it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.common.kept import kept_in, read_only
from dmzsim.model.forces import UA

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

TERRAIN_KEPT = 128  # terrain multipliers kept (zones x windows x frontages, and per sector)


class Fortification:
    """Digging and decay of the works, and what the works mean on each sector.

    State: Ukraine's defended zone (cells, the sector of each, and each cell's weight),
    the forward edge it was taken at, and two flags that let most days of a long
    ceasefire skip the work: every cell of the defended zone fully dug, and the zone
    whose works are all gone.
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "defence_zone_km", "dig_days_to_full", "dmz_crossing_km_per_day",
        "fortification_decay_days", "obstacle_delay_factor",
    )
    STEP = 4

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.zone: tuple[np.ndarray, np.ndarray, np.ndarray] = (
            np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        self.zone_depth = np.zeros(0)
        self._dug_in = False  # every cell of the defended zone fully dug
        self._bare_zone: np.ndarray | None = None  # the zone cells whose works are all gone

    def terrain(self, made_of: tuple[object, ...], make: Callable[[], np.ndarray]
                ) -> np.ndarray:
        """A terrain multiplier ``make`` builds from the objects ``made_of`` (the zone,
        windows, towns layer, parameters: each a new object whenever it changes), kept
        for them with the cut they lie on, for the runs that share it (towns do not
        move): per window set for the staff estimate (``decision._terrain``) and per
        sector (``balance.sector_terrain``). They are held with it, so that no other
        object takes their ids."""
        terrain = self.m.theatre.of_the_cut("terrain", OrderedDict)
        return kept_in(terrain, tuple(map(id, made_of)), lambda: (made_of, read_only(make())),
                       TERRAIN_KEPT)[1]

    def refresh(self) -> None:
        """Recompute which cells make up Ukraine's defended zone on each sector."""
        m = self.m
        self.zone_depth = m.lines.ua_depth.copy()
        th, depth, km = m.theatre, m.lines.ua_depth, m.p.defence_zone_km
        # the same arrays in every run on this cut, zone and line (``Theatre.of_the_cut``)
        self.zone = th.of_the_cut(("defended zone", depth.tobytes(), km), lambda: read_only(
            th.zone_cells(depth, km)), ground=True)
        self._dug_in = False  # the new zone's cells are not known to be fully dug

    def step(self) -> None:
        """Ukraine digs in on its manned line; abandoned works in the zone decay.

        Nothing else writes the works, so once the defended zone is fully dug, or the
        zone's works are gone, the day changes nothing there and is skipped (most of a
        long ceasefire)."""
        self._work(1, self.m.day)

    def pass_quiet_days(self, days: int) -> None:
        """``step`` on each of ``days`` quiet days: nobody moves, arrives or is formed on
        them, so the same sectors are manned on each and the same cells dug."""
        self._work(days, self.m.day + 1)

    def _work(self, days: int, first_day: int) -> None:
        """``days`` days of digging and decay from ``first_day``, the line manned as on
        that day. Only the cells not at 1.0 are dug (a day's digging leaves 1.0 as it
        is), and the zone's works decay until none are left."""
        m = self.m
        th, p = m.theatre, m.p
        if not self._dug_in:
            cells, sectors, _ = self.zone
            line = m.forces.line_mask(UA, first_day)
            manned = m.forces.power_by_sector(line, th.n_sectors) > 0
            dig = cells[manned[sectors]]
            dig = dig[th.fort_flat[dig] != 1.0]
            if dig.size:  # day by day, on the cells' values read once and written once
                works = th.fort_flat[dig]
                for _ in range(days):
                    works = np.minimum(works + 1.0 / p.dig_days_to_full, 1.0)
                th.fort_flat[dig] = works
            self._dug_in = bool(th.fort_flat[cells].min(initial=1.0) >= 1.0)
        z = th.dmz_cells
        if not z.size or z is self._bare_zone:
            return
        left = th.fort_flat[z]
        for _ in range(days):
            left = np.maximum(left - 1.0 / p.fortification_decay_days, 0.0)
            if left.max() <= 0.0:
                self._bare_zone = z
                break
        th.fort_flat[z] = left

    def moved(self, sector: int) -> bool:
        """Whether Ukraine's edge on ``sector`` has moved a cell or more since the defended
        zone was taken (then it must be taken again)."""
        m = self.m
        return bool(abs(m.lines.ua_depth[sector] - self.zone_depth[sector])
                    >= m.theatre.cell_km)

    def sector_fortification(self) -> np.ndarray:
        """Mean fortification of Ukraine's defended zone on each sector."""
        cells, sectors, weights = self.zone
        th = self.m.theatre
        return th.sector_means(cells, sectors, th.fort_flat, weights)

    def zone_obstacles(self) -> np.ndarray:
        """Mean remaining works in the zone on each sector (0 where there is no zone)."""
        th = self.m.theatre
        if th.dmz_cells.size == 0:
            return np.zeros(th.n_sectors)
        sectors = th.sectors.sector_of_cell[th.dmz_cells]
        keep = sectors >= 0
        return th.sector_means(th.dmz_cells[keep], sectors[keep], th.fort_flat)

    def crossing_speed(self) -> np.ndarray:
        """Km a day Russia's forces cross the gap on each sector, slowed by left works."""
        p = self.m.p
        return p.dmz_crossing_km_per_day / (
            1.0 + p.obstacle_delay_factor * self.zone_obstacles())
