"""Russia's aims as values on the ground: what an offensive on a window of the front
(``front.Windows``) would be worth.

The aims are data from the map: its oblast is the ground Russia claims (the demand for
"the rest of Donetsk", sources §2.1), its fortress-belt towns are objectives besides their
ground, and ground beyond the oblast is worth ``beyond_aims_value`` of a km² within it.
Only ground Ukraine holds outside the zone can be gained: what the deal has handed over
is Russia's already and adds nothing. Values are in km² of aims, the unit every term of
Russia's decision (``model/processes/decision.py``) is measured in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

#: (km along the front) how far either side of a point of attack the front cells count
#: towards the origin of its axis. Assumption: more than a cell at the coarsest cell
#: size the docs support (3 km), so the origin moves smoothly; a fifth of the default
#: attack frontage, so on a bend it stays near the line.
ORIGIN_REACH_KM = 4.0

if TYPE_CHECKING:
    from dmzsim.model.front import Windows
    from dmzsim.model.params import Params
    from dmzsim.model.theatre import Theatre
    from dmzsim.model.theatre_map import TownSpec


class Aims:
    """For each window, the value of the ground an attack on its frontage (the
    windows' ``frontage_km``: its corridor is that wide) would take, as a function of how
    deep the attack gets (cumulative, sorted by depth)."""

    def __init__(self, th: Theatre, p: Params, windows: Windows) -> None:
        cell_value = np.where(th.in_oblast, 1.0, p.beyond_aims_value) * th.cell_area
        held = th.ua_ground()
        belt = [t for t in th.raster.towns if t.fortress_belt
                and held[np.ravel_multi_index(t.cell, th.control.shape)]]
        self.cell_km = th.cell_km
        self.near: list[np.ndarray] = []  # each item's near edge, km from the front
        self.weight: list[np.ndarray] = []  # cumulative value, in the order of ``near``
        self.moment: list[np.ndarray] = []  # cumulative value x near edge
        frontage = windows.frontage_km
        for centre in windows.centre:
            axis = axis_of_advance(th, frontage, float(centre))
            cells, near, share = corridor(th, frontage, axis)
            keep = held[cells]
            # a town is an objective besides its ground: one item each, at its centre
            towns = np.array([_town_in_corridor(axis, frontage / 2.0, t,
                                                th.cell_km) for t in belt]).reshape(-1, 2)
            near_k = np.concatenate([near[cells[keep]], towns[:, 0]])
            value = np.concatenate([cell_value[cells[keep]] * share[keep],
                                    p.belt_town_value_km2 * towns[:, 1]])
            order = np.argsort(near_k, kind="stable")
            near_k, value = near_k[order], value[order]
            self.near.append(near_k)
            self.weight.append(np.cumsum(value))
            self.moment.append(np.cumsum(value * near_k))

    def value(self, window: int, depth_km: float) -> float:
        """Value of the ground up to ``depth_km`` beyond Ukraine's forward edge.

        A cell counts for the share of its depth the attack has passed (it spans
        ``cell_km`` from its near edge), so the value grows smoothly with depth and is the
        same at any cell size, instead of jumping by a row of cells at a time.
        """
        c = self.cell_km
        return (self._passed(window, depth_km) - self._passed(window, depth_km - c)) / c

    def _passed(self, window: int, u: float) -> float:
        """Sum over cells of value x max(u - near edge, 0): the integral, in depth, of the
        value of the cells whose near edge lies within ``u``."""
        i = int(self.near[window].searchsorted(u, side="right"))
        if i == 0:
            return 0.0
        return float(u * self.weight[window][i - 1] - self.moment[window][i - 1])

    def total(self, window: int) -> float:
        """Everything an attack on the window could gain."""
        c = self.weight[window]
        return float(c[-1]) if c.size else 0.0


def corridor(th: Theatre, frontage_km: float, axis: tuple[float, float, float, float]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strip a main effort along ``axis`` (``axis_of_advance``) strikes: cells (flat)
    within half the attack frontage of the axis; each cell's near edge along it (km from
    Ukraine's forward edge), and the share of each cell inside the strip.

    A straight corridor, not the cells nearest a stretch of front: behind a bend of the
    line those fan out, and an offensive does not widen with them. The axis starts on
    the forward edge, and a cell on the strip's edge counts for its share inside: so the
    corridor is the same ground at any cell size. Impassable water is no part of it; on a
    map with water, a cell's distance is at least its depth (the cheapest way round or
    across), so ground behind a reservoir is not valued
    as if it were next to the front.
    """
    c = th.cell_km
    x, y = th.raster.x_km.ravel(), th.raster.y_km.ravel()
    ax, ay, dx, dy = axis
    half = frontage_km / 2.0
    near = (x - ax) * dx + (y - ay) * dy - c / 2.0  # each cell's near edge
    across = np.abs(-(x - ax) * dy + (y - ay) * dx)
    share = np.clip((half - across) / c + 0.5, 0.0, 1.0)
    cells = np.flatnonzero((share > 0.0) & th.passable)  # nobody takes a lake
    if th.water is not None:  # ground beyond water is as far as the way round or across
        near = np.maximum(near, th.depth)
    return cells, near, share[cells]


def _town_in_corridor(axis: tuple[float, float, float, float], half: float,
                      town: TownSpec, cell_km: float) -> tuple[float, float]:
    """Where a town lies on a corridor's ``axis`` (the near edge of a cell-deep slice
    around its centre, km from the front) and the share of its disc inside the corridor,
    ``half`` km either side of the axis.

    From the town's own centre and radius, not its cells: whether a town counts must not
    flip with the cell size."""
    ax, ay, dx, dy = axis
    u = -(town.x_km - ax) * dy + (town.y_km - ay) * dx
    r = max(town.radius_km, 1e-6)
    inside = (_disc_below(half - u, r) - _disc_below(-half - u, r)) / (np.pi * r * r)
    centre = (town.x_km - ax) * dx + (town.y_km - ay) * dy
    return float(centre - cell_km / 2.0), float(inside)


def _disc_below(t: float, r: float) -> float:
    """Area of a disc of radius ``r`` on one side of a line ``t`` km from its centre."""
    t = min(max(t, -r), r)
    return r * r * (np.pi - np.arccos(t / r)) + t * np.sqrt(r * r - t * t)


def axis_of_advance(th: Theatre, frontage_km: float, s_km: float
                    ) -> tuple[float, float, float, float]:
    """The axis of an attack centred ``s_km`` along the front: its origin (km) and unit
    direction into the ground Ukraine holds, towards the centroid of that ground within
    one frontage (``frontage_km``) of the origin.

    The centroid of a disc, not of a sector's own cells, so the direction is the same
    whatever the partition or the cell size (on a straight front it is the normal)."""
    x, y = th.raster.x_km.ravel(), th.raster.y_km.ravel()
    ax, ay = _axis_origin(th, s_km)
    reach = frontage_km
    # each cell for its share inside the disc, so the centroid moves smoothly with it
    inside = np.clip((reach - np.hypot(x - ax, y - ay)) / th.cell_km + 0.5, 0.0, 1.0)
    near = inside * th.ua_ground()
    total = float(near.sum())
    dx, dy = ((float((near * (x - ax)).sum()) / total, float((near * (y - ay)).sum()) / total)
              if total > 0 else (1.0, 0.0))
    norm = float(np.hypot(dx, dy))
    if norm == 0:
        dx, dy, norm = 1.0, 0.0, 1.0
    return ax, ay, dx / norm, dy / norm


def _axis_origin(th: Theatre, s_km: float) -> tuple[float, float]:
    """The forward edge ``s_km`` along the front (km): the mean of the edges that the
    front cells near it share with ground Ukraine does not hold, each cell weighted by
    how near it lies (falling to 0 at ``ORIGIN_REACH_KM`` along the front, or a cell).

    Edges, not cell centres: the centres of a staircase of front cells lie a cell-size-
    dependent distance behind the line, its edges on it. Weighted over a fixed reach, not
    the cells within one cell: the origin then moves smoothly along the front instead of
    jumping a cell at a time, by a step that grows with the cell size."""
    sec = th.sectors
    c = th.cell_km
    x, y = th.raster.x_km.ravel(), th.raster.y_km.ravel()
    gap = np.abs(sec.s[sec.front] - s_km)
    weight = np.maximum(1.0 - gap / max(ORIGIN_REACH_KM, c), 0.0)
    front = sec.front[weight > 0]
    weight = weight[weight > 0]
    if front.size == 0:
        front, weight = sec.front[np.argmin(gap)][None], np.ones(1)
    ground = th.ua_ground().reshape(th.control.shape)
    nx, ny = ground.shape
    fx, fy = np.unravel_index(front, ground.shape)
    ex, ey, ew = [], [], []
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        gx, gy = fx + dx, fy + dy
        inside = (gx >= 0) & (gx < nx) & (gy >= 0) & (gy < ny)
        off = np.zeros(front.size, bool)
        off[inside] = ~ground[gx[inside], gy[inside]]
        ex.append(x[front[off]] + dx * c / 2.0)
        ey.append(y[front[off]] + dy * c / 2.0)
        ew.append(weight[off])
    edge_x, edge_y, edge_w = np.concatenate(ex), np.concatenate(ey), np.concatenate(ew)
    if edge_x.size == 0:  # only corners touch it: the cells' centres will do
        return (float(np.average(x[front], weights=weight)),
                float(np.average(y[front], weights=weight)))
    return (float(np.average(edge_x, weights=edge_w)),
            float(np.average(edge_y, weights=edge_w)))
