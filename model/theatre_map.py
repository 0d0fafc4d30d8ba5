"""The theatre map as data (a TOML file) and its rasteriser.

A map file gives the oblast outline, the towns and the line of contact on one date
(format: ``docs/map-format.md``; classes: :mod:`model.map_schema`). :func:`load_map` reads
and validates it strictly; :func:`rasterise` turns it into a :class:`Raster`: numpy arrays
indexed ``[x, y]`` (x = column eastward, y = row northward), the same ``(x, y)`` as Mesa's
``OrthogonalMooreGrid`` with dimensions ``(width, height) = raster.shape``. The projection
to km is described in :mod:`model.map_geometry`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from dmzsim.common.tomlfile import read_toml
from dmzsim.model.map_geometry import (
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON_EQUATOR,
    ExtendedLine,
    TheatreFrame,
)
from dmzsim.model.map_schema import MapFileError, MapSpec, describe_errors
from matplotlib.path import Path as MplPath
from pydantic import ValidationError

__all__ = [
    "KM_PER_DEG_LAT",
    "KM_PER_DEG_LON_EQUATOR",
    "MapFileError",
    "MapSpec",
    "Raster",
    "TownSpec",
    "default_map_path",
    "grid_shape",
    "grid_size_problem",
    "load_map",
    "rasterise",
]

#: The most cells a theatre may be rasterised to. A cell costs about 1.2 kB in a run
#: (the raster's arrays, the Mesa grid's cell objects), so this is about 2.4 GB per
#: process; the default map at the smallest cell size (0.5 km) is about 475,000 cells.
#: A larger map is refused before it is rasterised (docs/map-format.md, 'Size').
MAX_CELLS = 2_000_000


# --- the raster --------------------------------------------------------------------------
@dataclass(frozen=True)
class TownSpec:
    """A town on the raster; ``cell`` is the ``(x, y)`` of the cell holding its centre,
    ``x_km``/``y_km`` the centre itself (for what must not move with the cell size)."""

    name: str
    lat: float
    lon: float
    fortress_belt: bool
    radius_km: float
    cell: tuple[int, int]
    x_km: float
    y_km: float


@dataclass(frozen=True, eq=False)
class Raster:
    """A map rasterised to square cells. Arrays are ``[x, y]`` and read-only."""

    shape: tuple[int, int]
    cell_km: float
    cell_area_km2: float
    lat: np.ndarray
    lon: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    in_oblast: np.ndarray
    ua_held: np.ndarray
    depth_km: np.ndarray
    along_km: np.ndarray
    town_id: np.ndarray
    urban: np.ndarray
    impassable: np.ndarray
    crossing_cost: np.ndarray
    towns: tuple[TownSpec, ...]
    map_name: str
    map_date: dt.date
    spec: MapSpec

    def km_to_cells(self, km: float) -> int:
        """A distance in km as the nearest whole number of cells."""
        return math.floor(km / self.cell_km + 0.5)

    def area_km2(self, mask: np.ndarray) -> float:
        """Area of the cells where ``mask`` is true."""
        return float(np.count_nonzero(mask)) * self.cell_area_km2

    @property
    def has_water(self) -> bool:
        """Whether the map declares water the front must go round or across."""
        return bool(self.spec.water)


def default_map_path() -> Path:
    """The default map: ``model/maps/donetsk_2026-02.toml``."""
    return Path(__file__).resolve().parent / "maps" / "donetsk_2026-02.toml"


def load_map(path: str | Path) -> MapSpec:
    """Read and validate a map file. Errors name the file, the key and the value."""
    path = Path(path)
    data = read_toml(path, what="map file", error=MapFileError)
    try:
        return MapSpec.model_validate(data)
    except ValidationError as err:
        raise MapFileError(describe_errors(err, data, path)) from None


def grid_shape(frame: TheatreFrame, cell_km: float) -> tuple[int, int]:
    """``(columns, rows)`` of the raster of ``frame`` at ``cell_km``: the cells cover the
    whole theatre, so the last column and row may reach a little past it."""
    nx = max(1, math.ceil(frame.width_km / cell_km - 1e-9))
    ny = max(1, math.ceil(frame.height_km / cell_km - 1e-9))
    return nx, ny


def grid_size_problem(spec: MapSpec, cell_km: float, where: str) -> str | None:
    """Why ``spec`` cannot be rasterised at ``cell_km`` (more than :data:`MAX_CELLS`
    cells), worded for ``where`` (e.g. ``map file m.toml``); None if it can. Computed
    from the theatre's extent alone, before any array is made."""
    frame = TheatreFrame.of(spec)
    nx, ny = grid_shape(frame, cell_km)
    if nx * ny <= MAX_CELLS:
        return None
    return (f"{where}: its theatre, {frame.width_km:,.0f} x {frame.height_km:,.0f} km, makes "
            f"{nx:,} x {ny:,} = {nx * ny:,} cells of {cell_km:g} km; at most {MAX_CELLS:,} "
            "(docs/map-format.md, 'Size'): a larger cell_km or a smaller theatre")


def rasterise(spec: MapSpec, cell_km: float) -> Raster:
    """Rasterise ``spec`` to square cells of ``cell_km``; the grid covers the theatre."""
    if not (cell_km > 0 and math.isfinite(cell_km)):
        raise ValueError(f"cell_km = {cell_km!r}: must be a positive number")
    too_large = grid_size_problem(spec, cell_km, f"map {spec.map.name!r}")
    if too_large is not None:
        raise MapFileError(too_large)
    frame = TheatreFrame.of(spec)
    x, y = _cell_centres(frame, cell_km)
    town_id, towns = _town_cells(spec, frame, x, y, cell_km)
    arrays = {
        "lat": frame.lat0 + y / frame.ky,
        "lon": frame.lon0 + x / frame.kx,
        "x_km": x,
        "y_km": y,
        "in_oblast": _inside_outline(spec, frame, x, y),
        **_line_fields(spec, frame, x, y, cell_km),
        "town_id": town_id,
        "urban": town_id >= 0,
        **_water_fields(spec, frame, x, y),
    }
    for a in arrays.values():
        a.flags.writeable = False  # shared by every run in the process (cached_raster)
    return Raster(
        shape=x.shape,
        cell_km=float(cell_km),
        cell_area_km2=float(cell_km) ** 2,
        towns=towns,
        map_name=spec.map.name,
        map_date=spec.map.date,
        spec=spec,
        **arrays,
    )


def _cell_centres(frame: TheatreFrame, cell_km: float) -> tuple[np.ndarray, np.ndarray]:
    """``x_km`` and ``y_km`` of every cell's centre, ``[x, y]``-indexed. The cells cover the
    whole theatre, so the last column and row may reach a little past it."""
    nx, ny = grid_shape(frame, cell_km)
    xs = (np.arange(nx) + 0.5) * cell_km
    ys = (np.arange(ny) + 0.5) * cell_km
    x, y = np.meshgrid(xs, ys, indexing="ij")
    return x, y


def _inside_outline(spec: MapSpec, frame: TheatreFrame, x: np.ndarray, y: np.ndarray
                    ) -> np.ndarray:
    """True at the cells whose centre lies inside the oblast's outline."""
    outline = MplPath(frame.project_pairs(spec.oblast.ring()), closed=False)
    return outline.contains_points(np.column_stack([x.ravel(), y.ravel()])).reshape(x.shape)


def _line_fields(spec: MapSpec, frame: TheatreFrame, x: np.ndarray, y: np.ndarray,
                 cell_km: float) -> dict[str, np.ndarray]:
    """``ua_held``, ``depth_km`` (distance to the line, positive on the Ukrainian side) and
    ``along_km`` of every cell, from the line extended past the whole grid (so that
    ``along_km`` >= 0 on every cell, not only inside the theatre)."""
    nx, ny = x.shape
    line = ExtendedLine.of(spec, frame, extent=(nx * cell_km, ny * cell_km))
    xf, yf = x.ravel(), y.ravel()
    ua_held = line.ua_mask(xf, yf)
    dist, along = line.distance_along(xf, yf)
    return {
        "ua_held": ua_held.reshape(nx, ny),
        "depth_km": np.where(ua_held, dist, -dist).reshape(nx, ny),
        "along_km": along.reshape(nx, ny),
    }


def _water_fields(spec: MapSpec, frame: TheatreFrame, x: np.ndarray, y: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """``impassable`` cells and each cell's ``crossing_cost``: km of advance per km of
    ground (1 on land, an obstacle's ``crossing_factor``, inf on impassable water). Where
    two bodies of water overlap, the harder to cross wins."""
    cost = np.ones(x.shape)
    pts = np.column_stack([x.ravel(), y.ravel()])
    for water in spec.water.values():
        ring = [tuple(p) for p in water.outline]
        inside = MplPath(frame.project_pairs(ring), closed=False).contains_points(pts)
        factor = np.inf if water.kind == "impassable" else float(water.crossing_factor or 1.0)
        cost = np.where(inside.reshape(x.shape), np.maximum(cost, factor), cost)
    return {"impassable": np.isinf(cost), "crossing_cost": cost}


def _town_cells(spec: MapSpec, frame: TheatreFrame, x: np.ndarray, y: np.ndarray,
                cell_km: float) -> tuple[np.ndarray, tuple[TownSpec, ...]]:
    """Which town each cell belongs to (-1: none), and the towns with their centre cells.

    A cell within the radius of several towns goes to the nearest. A town smaller than a
    cell still owns the cell holding its centre, so that no town is lost to the raster.
    """
    nx, ny = x.shape
    town_id = np.full((nx, ny), -1, dtype=np.int32)
    if not spec.towns:
        return town_id, ()
    tx, ty = frame.project(np.array([t.lat for t in spec.towns]),
                           np.array([t.lon for t in spec.towns]))
    best = np.full((nx, ny), np.inf)
    for i, t in enumerate(spec.towns):
        d2 = (x - tx[i]) ** 2 + (y - ty[i]) ** 2
        take = (d2 <= t.radius_km**2) & (d2 < best)
        best = np.where(take, d2, best)
        town_id[take] = i
    towns: list[TownSpec] = []
    for i, t in enumerate(spec.towns):
        cell = (min(int(tx[i] // cell_km), nx - 1), min(int(ty[i] // cell_km), ny - 1))
        if town_id[cell] < 0:
            town_id[cell] = i
        towns.append(TownSpec(t.name, t.lat, t.lon, t.fortress_belt, t.radius_km, cell,
                              float(tx[i]), float(ty[i])))
    return town_id, tuple(towns)
