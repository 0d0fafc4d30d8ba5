"""Russia's aims as values on the ground: what an offensive on a window of the front
(``front.Windows``) would be worth.

The aims are data from the map: a scenario (``[aims.<name>]``, picked by the parameter
``aims_scenario``) gives named regions (the map's oblast, or ``[regions.<name>]``
polygons) a value each, a fraction of a km² of the oblast; where regions overlap the
highest value wins, and ground no region covers is worth the scenario's ``elsewhere``
(absent: ``beyond_aims_value``). Every map has the scenario ``oblast``: its oblast at full
value (the demand for "the rest of Donetsk", sources §2.1), elsewhere
``beyond_aims_value``. Fortress-belt towns are objectives besides their ground, worth
``belt_town_value_km2`` times the value of the ground they stand on. Only ground Ukraine
holds outside the zone can be gained: what the deal has handed over is Russia's already
and adds nothing. Values are in km² of aims, the unit every term of Russia's decision
(``model/processes/decision.py``) is measured in.

Aims may grow with success (``aims_growth``, sources §7c): a share of the gap between
each value and full value, read at the decision from the balance (``growth_share``), so
the values here are built once per partition and the growth costs a second sum only when
it is switched on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.common.kept import KeptAcrossRuns
from dmzsim.model.map_geometry import TheatreFrame
from dmzsim.model.map_schema import IMPLICIT_AIMS, OBLAST_REGION, MapSpec
from matplotlib.path import Path as MplPath

#: (km along the front) how far either side of a point of attack the front cells count
#: towards the origin of its axis. Assumption: more than a cell at the coarsest cell
#: size the docs support (3 km), so the origin moves smoothly; a fifth of the default
#: attack frontage, so on a bend it stays near the line.
ORIGIN_REACH_KM = 4.0

if TYPE_CHECKING:
    from dmzsim.model.front import Windows
    from dmzsim.model.params import Params
    from dmzsim.model.theatre import Theatre
    from dmzsim.model.theatre_map import Raster, TownSpec


#: Aims kept for reuse (``aims_for``, about 0.3 MB each): the partitions of the ceasefire
#: arms of a sweep, each at a few frontages.
CACHE_SIZE = 64
#: Keys remembered without their Aims (20 bytes each): an Aims is kept only when its key
#: comes a second time, so the partitions a war cuts once do not push the others out.
SEEN_SIZE = 4096
_kept = KeptAcrossRuns(CACHE_SIZE, SEEN_SIZE)


def aims_for(th: Theatre, p: Params, windows: Windows) -> Aims:
    """``Aims(th, p, windows)``, reused when every input it reads is the same.

    The runs of a sweep cut the theatre along the same lines (the ceasefire line, the
    line the deal cedes to) and build the same aims for them, a tenth of a five-year
    run's time. An Aims is a pure function of the map's raster, the ground Ukraine holds
    outside the zone, the partition's front cells and their positions along it, the cells'
    depths (on a map with water), the windows and four parameters; the key digests them
    all, so a reused Aims is the one a fresh build would give, to the bit. Only aims
    built a second time are kept: a war's partitions rarely repeat."""
    key = (id(th.raster), _digest(th, p, windows))
    return _kept.get(key, th.raster, lambda: Aims(th, p, windows))


def _digest(th: Theatre, p: Params, windows: Windows) -> bytes:
    sec = th.sectors
    h = hashlib.blake2b(digest_size=20)
    for part in (np.packbits(th.ua_ground()), sec.front, sec.s[sec.front],
                 np.asarray(windows.centre, dtype=float),
                 th.depth if th.water is not None else np.zeros(0)):
        h.update(np.ascontiguousarray(part).tobytes())
        h.update(b"|")
    h.update(repr((float(windows.frontage_km), p.aims_scenario, p.beyond_aims_value,
                   p.belt_town_value_km2, p.aims_growth > 0.0)).encode())
    return h.digest()


class Aims:
    """For each window, the value of the ground an attack on its frontage (the
    windows' ``frontage_km``: its corridor is that wide) would take, as a function of how
    deep the attack gets (cumulative, sorted by depth)."""

    def __init__(self, th: Theatre, p: Params, windows: Windows) -> None:
        values = cell_values(th.raster, p.aims_scenario, p.beyond_aims_value)
        cell_value = values * th.cell_area
        held = th.ua_ground()
        belt = [(t, town_value) for t, town_value in zip(
            th.raster.towns, town_values(th.raster, p.aims_scenario, p.beyond_aims_value),
            strict=True) if t.fortress_belt
            and held[np.ravel_multi_index(t.cell, th.control.shape)]]
        self.cell_km = th.cell_km
        self.grows = p.aims_growth > 0.0
        self.near: list[np.ndarray] = []  # each item's near edge, km from the front
        self.weight: list[np.ndarray] = []  # cumulative value, in the order of ``near``
        self.moment: list[np.ndarray] = []  # cumulative value x near edge
        self.full: list[tuple[np.ndarray, np.ndarray]] = []  # the same, all at full value
        frontage = windows.frontage_km
        for centre in windows.centre:
            axis = axis_of_advance(th, frontage, float(centre))
            cells, near, share = corridor(th, frontage, axis)
            keep = held[cells]
            # a town is an objective besides its ground: one item each, at its centre
            towns = np.array([_town_in_corridor(axis, frontage / 2.0, t, th.cell_km)
                              for t, _ in belt]).reshape(-1, 2)
            town_value = np.array([v for _, v in belt])
            near_k = np.concatenate([near[cells[keep]], towns[:, 0]])
            value = np.concatenate([cell_value[cells[keep]] * share[keep],
                                    p.belt_town_value_km2 * town_value * towns[:, 1]])
            order = np.argsort(near_k, kind="stable")
            near_k, value = near_k[order], value[order]
            self.near.append(near_k)
            self.weight.append(np.cumsum(value))
            self.moment.append(np.cumsum(value * near_k))
            if self.grows:  # what the same items are worth at full value
                full = np.concatenate([th.cell_area * share[keep],
                                       p.belt_town_value_km2 * towns[:, 1]])[order]
                self.full.append((np.cumsum(full), np.cumsum(full * near_k)))

    def value(self, window: int, depth_km: float, growth: float = 0.0) -> float:
        """Value of the ground up to ``depth_km`` beyond Ukraine's forward edge, with
        every value raised by ``growth`` (a share, ``growth_share``) of its gap to full.

        A cell counts for the share of its depth the attack has passed (it spans
        ``cell_km`` from its near edge), so the value grows smoothly with depth and is the
        same at any cell size, instead of jumping by a row of cells at a time.
        """
        v = self._value(window, depth_km, self.weight[window], self.moment[window])
        if growth <= 0.0:
            return v
        return v + growth * (self._value(window, depth_km, *self.full[window]) - v)

    def _value(self, window: int, depth_km: float, weight: np.ndarray,
               moment: np.ndarray) -> float:
        c = self.cell_km
        return (self._passed(window, depth_km, weight, moment)
                - self._passed(window, depth_km - c, weight, moment)) / c

    def _passed(self, window: int, u: float, weight: np.ndarray, moment: np.ndarray
                ) -> float:
        """Sum over cells of value x max(u - near edge, 0): the integral, in depth, of the
        value of the cells whose near edge lies within ``u``."""
        i = int(self.near[window].searchsorted(u, side="right"))
        if i == 0:
            return 0.0
        return float(u * weight[i - 1] - moment[i - 1])

    def total(self, window: int, growth: float = 0.0) -> float:
        """Everything an attack on the window could gain (at ``growth``, as ``value``)."""
        c = self.weight[window]
        v = float(c[-1]) if c.size else 0.0
        if growth <= 0.0 or not c.size:
            return v
        return v + growth * (float(self.full[window][0][-1]) - v)


class AimsError(ValueError):
    """A run asks for an aims scenario the map does not declare."""


def scenarios(spec: MapSpec) -> list[str]:
    """The aims scenarios a map offers: ``oblast`` (every map's) and its own."""
    return [IMPLICIT_AIMS, *sorted(spec.aims)]


def check_scenario(spec: MapSpec, name: str, path: str | Path | None = None) -> None:
    """Fail clearly, before a run starts, if the map (the file at ``path``, if given)
    offers no aims scenario ``name``."""
    if name not in scenarios(spec):
        what = f"map file {path}" if path is not None else f"map {spec.map.name!r}"
        raise AimsError(f"{what} declares no aims scenario {name!r} (its scenarios: "
                        f"{', '.join(scenarios(spec))}); add [aims.{name}] to the map file "
                        "or set aims_scenario to one of these")


def growth_share(aims_growth: float, ratio: np.ndarray, required: float) -> np.ndarray:
    """The share of the gap to full value by which aims have grown, at each expected
    ratio: ``aims_growth`` x (ratio / required - 1), from 0 at the breakthrough ratio up
    to at most 1 (everything at full value). Aims that expand as the balance shifts a
    side's way (Goemans 2000; Reiter 2009; sources §7c): its best expected ratio is what
    the side has learnt of the balance."""
    return np.minimum(aims_growth * np.maximum(ratio / required - 1.0, 0.0), 1.0)


@lru_cache(maxsize=32)
def cell_values(raster: Raster, name: str, beyond: float) -> np.ndarray:
    """Each cell's value (flat, read-only; a fraction of a km² of the oblast) under the
    aims scenario ``name``, from the region its centre lies in (the highest, where they
    overlap), or ``elsewhere`` (``beyond`` if the scenario gives none)."""
    check_scenario(raster.spec, name)
    values, elsewhere = _scenario(raster.spec, name, beyond)
    pts = np.column_stack([raster.x_km.ravel(), raster.y_km.ravel()])

    def inside(region: str) -> np.ndarray:
        if region == OBLAST_REGION:  # the raster's own cells of the oblast
            return raster.in_oblast.ravel()
        return _region_path(raster.spec, region).contains_points(pts)

    out = _valued(values, elsewhere, inside)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=32)
def town_values(raster: Raster, name: str, beyond: float) -> tuple[float, ...]:
    """The value of the ground at each town's centre (not its cell: whether a town
    counts must not flip with the cell size)."""
    check_scenario(raster.spec, name)
    values, elsewhere = _scenario(raster.spec, name, beyond)
    pts = np.array([[t.x_km, t.y_km] for t in raster.towns]).reshape(-1, 2)
    return tuple(float(v) for v in _valued(
        values, elsewhere, lambda region: _region_path(raster.spec, region).contains_points(pts)))


def _scenario(spec: MapSpec, name: str, beyond: float) -> tuple[dict[str, float], float]:
    """A scenario's region values and its value elsewhere."""
    if name == IMPLICIT_AIMS:
        return {OBLAST_REGION: 1.0}, beyond
    s = spec.aims[name]
    return dict(s.values), beyond if s.elsewhere is None else s.elsewhere


def _valued(values: dict[str, float], elsewhere: float,
            inside: Callable[[str], np.ndarray]) -> np.ndarray:
    """The highest value of the regions covering each point, else ``elsewhere``."""
    best: np.ndarray | None = None
    for region, v in values.items():
        mask = inside(region)
        here = np.where(mask, v, -1.0)
        best = here if best is None else np.maximum(best, here)
    assert best is not None  # a scenario values at least one region
    return np.where(best >= 0.0, best, elsewhere)


def _region_path(spec: MapSpec, region: str) -> MplPath:
    """A region's outline in the theatre's km."""
    frame = TheatreFrame.of(spec)
    ring = spec.oblast.ring() if region == OBLAST_REGION else [
        tuple(p) for p in spec.regions[region].outline]
    return MplPath(frame.project_pairs(ring), closed=False)


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
