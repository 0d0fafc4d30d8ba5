"""Russia's aims as values on the ground: what an offensive on a sector would be worth.

The aims are data from the map: its oblast is the ground Russia claims (the demand for
"the rest of Donetsk", sources §2.1), its fortress-belt towns are objectives besides their
ground, and ground beyond the oblast is worth ``beyond_aims_value`` of a km² within it.
Only ground Ukraine holds outside the zone can be gained: what the deal has handed over
is Russia's already and adds nothing. Values are in km² of aims, the unit every term of
Russia's decision (``model/decision.py``) is measured in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


class Aims:
    """For each sector, the value of the ground an attack on its frontage would take,
    as a function of how deep the attack gets (cumulative, sorted by depth)."""

    def __init__(self, m: CeasefireModel) -> None:
        th, p = m.theatre, m.p
        cell_value = np.where(th.in_oblast, 1.0, p.beyond_aims_value) * th.cell_area
        for i, t in enumerate(th.raster.towns):
            if t.fortress_belt:  # spread over the town's cells: a corridor that takes part
                cells = np.flatnonzero(th.town_id == i)  # of it gains part of its value
                cell_value[cells] += p.belt_town_value_km2 / cells.size
        held = th.ua_ground()
        self.depth: list[np.ndarray] = []
        self.cumulative: list[np.ndarray] = []
        for k in range(th.n_sectors):
            cells, along = corridor(m, k)
            cells = cells[held[cells]]
            order = np.argsort(along[cells], kind="stable")
            cells = cells[order]
            self.depth.append(along[cells])
            self.cumulative.append(np.cumsum(cell_value[cells]))

    def value(self, sector: int, depth_km: float) -> float:
        """Value of the ground up to ``depth_km`` beyond Ukraine's forward edge."""
        i = int(self.depth[sector].searchsorted(depth_km, side="right"))
        return float(self.cumulative[sector][i - 1]) if i > 0 else 0.0

    def total(self, sector: int) -> float:
        """Everything an attack on the sector could gain."""
        c = self.cumulative[sector]
        return float(c[-1]) if c.size else 0.0


def corridor(m: CeasefireModel, sector: int) -> tuple[np.ndarray, np.ndarray]:
    """The strip a main effort on ``sector`` strikes: cells (flat) within half the attack
    frontage of a straight axis of advance from the middle of the sector's front into the
    ground Ukraine holds, and each cell's distance along that axis (km, 0 at the front).

    A straight corridor, not the cells nearest the sector: behind a bend of the line the
    cells nearest a stretch of front fan out, and an offensive does not widen with them.
    On a map with water, a cell's distance is at least its depth (the cheapest way round
    or across), so ground behind a reservoir is not valued as if it were next to the front.
    """
    th = m.theatre
    x, y = th.raster.x_km.ravel(), th.raster.y_km.ravel()
    a = th.sectors.anchor[sector]
    ax, ay = x[a], y[a]
    half = m.p.attack_frontage_km / 2.0
    strip = th.strips[sector]
    ahead = strip.band(half, 2 * half)
    ahead = ahead[th.ua_ground()[ahead]]
    if ahead.size == 0:
        ahead = strip.cells[th.depth[strip.cells] > 0]
    if ahead.size == 0:
        ahead = np.array([a])
    dx, dy = float(x[ahead].mean() - ax), float(y[ahead].mean() - ay)
    norm = float(np.hypot(dx, dy))
    if norm == 0:
        dx, dy, norm = 1.0, 0.0, 1.0
    dx, dy = dx / norm, dy / norm
    along = (x - ax) * dx + (y - ay) * dy
    across = np.abs(-(x - ax) * dy + (y - ay) * dx)
    cells = np.flatnonzero(across <= half)
    if th.water is not None:  # ground beyond water is as far as the way round or across
        along = np.maximum(along, th.depth)
    return cells, along
