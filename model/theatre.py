"""The theatre: the rasterised map as a Mesa grid with numpy property layers, cut into axes.

The line of contact gives every cell a front-aligned coordinate: ``depth_km`` (signed
distance from the line, positive on the Ukrainian side) and ``along_km`` (position
along the line). Axes are bands of the front ``axis_width_km`` wide. On each axis the
front is one number per side: Russia's forward edge (``ru_depth``) and Ukraine's
(``ua_depth``). Cells change hands when Russia's forward edge passes them, so territory,
towns and the DMZ are all updated with array operations on a few hundred cells.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from dmzsim.model.theatre_grid import TheatreGrid as TheatreGrid  # re-exported
from dmzsim.model.theatre_map import MapFileError, Raster, default_map_path, load_map, rasterise
from mesa.discrete_space import OrthogonalMooreGrid, PropertyLayer

RU, UA = 0, 1


def cached_raster(map_path: str | Path | None, cell_km: float) -> Raster:
    """Rasterise a map once per process; runs of a sweep share the (read-only) result."""
    path = Path(map_path) if map_path is not None else default_map_path()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise MapFileError(f"map file not found: {path}") from None
    return _raster(str(path.resolve()), mtime, float(cell_km))


@lru_cache(maxsize=8)
def _raster(path: str, _mtime: int, cell_km: float) -> Raster:
    return rasterise(load_map(path), cell_km)


class Theatre:
    """Grid, layers and axis bookkeeping for one run."""

    def __init__(self, raster: Raster, grid: OrthogonalMooreGrid, axis_width_km: float,
                 initial_fortification: float, rear_fortification: float) -> None:
        self.raster = raster
        self.grid = grid
        self.cell_km = raster.cell_km
        self.cell_area = raster.cell_area_km2
        self.depth = raster.depth_km.ravel()
        self.along = raster.along_km.ravel()
        self.town_id = raster.town_id.ravel()
        self.in_oblast = raster.in_oblast.ravel()
        self._add_layers(raster, initial_fortification, rear_fortification)
        self._build_axes(axis_width_km)
        self.towns_held = np.ones(len(raster.towns), dtype=bool)
        for i, town in enumerate(raster.towns):
            self.towns_held[i] = bool(self.control[town.cell] == UA)
        self.dmz_cells = np.empty(0, dtype=np.intp)

    # --- construction ---------------------------------------------------------------------
    def _add_layers(self, raster: Raster, fort0: float, rear0: float) -> None:
        shape = raster.shape
        control = np.where(raster.ua_held, UA, RU).astype(np.int8)
        fort = np.where(raster.ua_held, np.where(raster.in_oblast, fort0, rear0), 0.0)
        layers = {
            "control": control,
            "fortification": fort.astype(float),
            "urban": raster.urban.astype(bool),
            "dmz": np.zeros(shape, dtype=bool),
            "monitored": np.zeros(shape, dtype=float),
        }
        for name, data in layers.items():
            self.grid.add_property_layer(PropertyLayer.from_data(name, data))
        # Flat views of the layers' arrays: writing them writes the layers.
        self.control = self.grid.control.data
        self.fort = self.grid.fortification.data
        self.dmz = self.grid.dmz.data
        self.monitored = self.grid.monitored.data
        self.control_flat = self.control.reshape(-1)
        self.fort_flat = self.fort.reshape(-1)
        self.dmz_flat = self.dmz.reshape(-1)
        self.urban_flat = self.grid.urban.data.reshape(-1)

    def _build_axes(self, width: float) -> None:
        """Cut the front into bands; keep the bands whose stretch of line is in the oblast.

        The theatre's margin lets fighting spill past the oblast's border, but the line
        of contact beyond the oblast belongs to other fronts, which the model holds
        still: bands whose stretch of line lies mostly outside the oblast are not axes.
        """
        band = np.floor(np.maximum(self.along, 0.0) / width).astype(int)
        ua = self.control_flat == UA
        on_line = np.abs(self.depth) <= self.cell_km
        kept = []
        for b in np.unique(band):
            line = on_line & (band == b)
            if np.any(ua & (band == b)) and line.any() and self.in_oblast[line].mean() >= 0.5:
                kept.append(b)
        self.n_axes = len(kept)
        self.axis_of_cell = np.full(self.depth.shape, -1, dtype=int)
        self.band_cells: list[np.ndarray] = []
        self.band_depth: list[np.ndarray] = []
        for a, b in enumerate(kept):
            cells = np.flatnonzero(band == b)
            order = np.argsort(self.depth[cells], kind="stable")
            cells = cells[order]
            self.axis_of_cell[cells] = a
            self.band_cells.append(cells)
            self.band_depth.append(self.depth[cells])
        self.capture_ptr = np.array([np.searchsorted(d, 0.0, side="right")
                                     for d in self.band_depth], dtype=int)
        self.front_cells = np.array([np.count_nonzero(np.abs(d) <= self.cell_km)
                                     for d in self.band_depth], dtype=float)
        self.axis_along = np.array([float(np.median(self.along[c])) for c in self.band_cells])

    # --- queries --------------------------------------------------------------------------
    def ua_area_km2(self, oblast_only: bool = False) -> float:
        """Area Ukraine holds, in the whole theatre or only inside the oblast."""
        mask = self.control_flat == UA
        if oblast_only:
            mask &= self.in_oblast
        return float(np.count_nonzero(mask)) * self.cell_area

    def ua_forward_depth(self) -> np.ndarray:
        """Depth of the first Ukrainian-held cell outside the zone, per axis."""
        out = np.full(self.n_axes, np.inf)
        for a, cells in enumerate(self.band_cells):
            held = (self.control_flat[cells] == UA) & ~self.dmz_flat[cells]
            if held.any():
                out[a] = self.band_depth[a][np.argmax(held)]
        return out

    def zone_cells(self, ua_depth: np.ndarray, zone_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Cells of Ukraine's defended zone on each axis, and the axis of each."""
        cells, axes = [], []
        for a, depth in enumerate(self.band_depth):
            lo = np.searchsorted(depth, ua_depth[a], side="left")
            hi = np.searchsorted(depth, ua_depth[a] + zone_km, side="right")
            c = self.band_cells[a][lo:hi]
            c = c[(self.control_flat[c] == UA) & ~self.dmz_flat[c]]
            cells.append(c)
            axes.append(np.full(c.size, a, dtype=int))
        return np.concatenate(cells), np.concatenate(axes)

    def axis_means(self, cells: np.ndarray, axes: np.ndarray,
                   values: np.ndarray) -> np.ndarray:
        """Mean of ``values[cells]`` per axis (0 where an axis has no cells)."""
        sums = np.bincount(axes, weights=values[cells], minlength=self.n_axes)
        counts = np.bincount(axes, minlength=self.n_axes)
        return np.divide(sums, counts, out=np.zeros(self.n_axes), where=counts > 0)

    def cell_near(self, axis: int, depth: float, along_offset_km: float) -> tuple[int, int]:
        """The grid coordinate nearest a point given in front coordinates."""
        return self._nearest(self.band_cells[axis], self.band_depth[axis], depth,
                             self.axis_along[axis] + along_offset_km)

    def front_cell(self, axis: int, depth: float) -> tuple[int, int]:
        """Where Ukraine's line on ``axis`` is struck: the Ukrainian-held cell outside the
        zone nearest ``depth`` and the middle of the axis.

        Front coordinates alone can land in the zone (a band's cells at one depth run
        along the line, some in it); this keeps the point on ground Ukraine holds.
        """
        cells = self.band_cells[axis]
        held = (self.control_flat[cells] == UA) & ~self.dmz_flat[cells]
        if not held.any():
            return self.cell_near(axis, depth, 0.0)
        return self._nearest(cells[held], self.band_depth[axis][held], depth,
                             self.axis_along[axis])

    def _nearest(self, cells: np.ndarray, cell_depth: np.ndarray, depth: float,
                 along: float) -> tuple[int, int]:
        d2 = (cell_depth - depth) ** 2 + (self.along[cells] - along) ** 2
        flat = int(cells[np.argmin(d2)])
        return np.unravel_index(flat, self.control.shape)  # type: ignore[return-value]

    # --- changes --------------------------------------------------------------------------
    def capture_to(self, axis: int, depth: float) -> tuple[float, list[int]]:
        """Russia takes every Ukrainian cell of ``axis`` up to ``depth``.

        Returns the area taken (km²) and the towns whose centre cell fell.
        """
        d = self.band_depth[axis]
        lo = self.capture_ptr[axis]
        hi = int(d.searchsorted(depth, side="right"))
        if hi <= lo:
            return 0.0, []
        self.capture_ptr[axis] = hi
        cells = self.band_cells[axis][lo:hi]
        taken = cells[self.control_flat[cells] == UA]
        self.control_flat[taken] = RU
        return float(taken.size) * self.cell_area, self._towns_fallen()

    def _towns_fallen(self) -> list[int]:
        fallen = []
        for i in np.flatnonzero(self.towns_held):
            if self.control[self.raster.towns[i].cell] != UA:
                self.towns_held[i] = False
                fallen.append(int(i))
        return fallen

    def set_dmz(self, mask_flat: np.ndarray, transfer_to_russia: bool) -> list[int]:
        """Declare the zone; a unilateral zone passes to Russian control.

        Returns the towns ceded by the deal (their centre cell was in a transferred
        zone), which are counted apart from towns lost in fighting.
        """
        self.dmz_flat[:] = mask_flat
        self.dmz_cells = np.flatnonzero(mask_flat)
        if not transfer_to_russia:
            return []
        self.control_flat[self.dmz_cells] = RU
        for a, depth in enumerate(self.band_depth):
            cells = self.band_cells[a]
            ru_upto = np.flatnonzero(self.control_flat[cells] == UA)
            self.capture_ptr[a] = ru_upto[0] if ru_upto.size else depth.size
        return self._towns_fallen()

    def line_strip(self) -> np.ndarray:
        """Cells on the line of contact of an axis (within one cell of it), flat mask."""
        return self.mirrored_zone(self.cell_km)

    def unilateral_zone(self) -> np.ndarray:
        """Zone of a unilateral withdrawal: all Ukrainian-held ground in the oblast (flat
        mask)."""
        return (self.control_flat == UA) & self.in_oblast

    def mirrored_zone(self, width_km: float) -> np.ndarray:
        """Zone of a mirrored withdrawal: ``width_km`` either side of the line on every axis
        (flat mask)."""
        return (np.abs(self.depth) <= width_km) & (self.axis_of_cell >= 0)
