"""The theatre: the rasterised map as a Mesa grid with numpy property layers, and its front.

The front is wherever the line is (``model/front.py``): the edge of the ground Ukraine
holds outside the zone. The theatre is cut into sectors along that front, and each sector
keeps its cells sorted by their distance from it (``depth``), so Russia's forward edge on a
sector is one number and taking ground is a pointer moving along a sorted array. The
partition is rebuilt from the new line when a zone is declared and when fighting has moved
the line far (``rebuild``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from dmzsim.common.kept import KeptAcrossRuns, kept_in, read_only
from dmzsim.model.forces import RU, UA
from dmzsim.model.front import NoFrontError, Sectors, front_cells, partition
from dmzsim.model.theatre_grid import TheatreGrid as TheatreGrid  # re-exported
from dmzsim.model.theatre_map import (
    MapFileError,
    Raster,
    default_map_path,
    grid_size_problem,
    load_map,
    rasterise,
)
from mesa.discrete_space import OrthogonalMooreGrid, PropertyLayer


def cached_raster(map_path: str | Path | None, cell_km: float) -> Raster:
    """Rasterise a map once per process; runs of a sweep share the (read-only) result."""
    path = Path(map_path) if map_path is not None else default_map_path()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise MapFileError(f"map file {path}: file not found") from None
    return _raster(str(path.resolve()), mtime, float(cell_km))


@lru_cache(maxsize=8)
def _raster(path: str, _mtime: int, cell_km: float) -> Raster:
    spec = load_map(path)
    too_large = grid_size_problem(spec, cell_km, f"map file {path}")
    if too_large is not None:  # refused before any array is made
        raise MapFileError(too_large)
    return rasterise(spec, cell_km)


@dataclass(frozen=True)
class Cut:
    """The theatre cut into sectors along a front (``Theatre._cut``): the partition,
    each sector's cells ordered by depth (and how many lie on Russia's side), each
    cell's position along the front laid end to end (NaN on ground nearest the still
    flanks), and its ``s`` with those flank cells far from any sector. Read-only: a
    cut is shared by the runs that cut the theatre along the same front, and so is what
    is read off it (``Theatre.of_the_cut``) and the weights of cells on spans of its front
    (``Theatre.span_means``)."""

    sectors: Sectors
    strips: list[tuple[np.ndarray, np.ndarray, int]]
    cell_position: np.ndarray
    s_filled: np.ndarray
    kept: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict, compare=False,
                                             repr=False)
    spans_kept: OrderedDict[tuple[int, ...], tuple[object, np.ndarray, np.ndarray,
                                                   list[bytes | np.ndarray]]] = field(
        default_factory=OrderedDict, compare=False, repr=False)


#: Cuts kept for reuse (``cut_along``, about 1.5 MB each on the default map): the
#: ceasefire lines of a sweep's arms.
CUTS_KEPT = 8
#: Keys remembered without their cut: a cut is kept only when it comes a second time, so
#: the fronts a war cuts once do not push the others out.
CUTS_SEEN = 1024
_cuts = KeptAcrossRuns(CUTS_KEPT, CUTS_SEEN)


def cut_along(th: Theatre) -> Cut:
    """The theatre ``th`` cut along today's front, reused when a run of this process has
    cut it along the same one. The runs of a sweep cut it along the same lines (the
    ceasefire line, the line the deal cedes to), and a cut is a pure function of the
    ground Ukraine holds outside the zone, the map's raster and ``sector_km``: the key
    digests them, so a reused cut is the one a fresh cut would give, to the bit."""
    ground = th.ua_ground()
    key = (id(th.raster), float(th.sector_km),
           hashlib.blake2b(np.packbits(ground).tobytes(), digest_size=20).digest())
    return _cuts.get(key, th.raster, lambda: _cut(th, ground))


def _cut(th: Theatre, ground: np.ndarray) -> Cut:
    sec = partition(ground.reshape(th.control.shape), th.active_line,
                    th.raster.along_km.ravel(), th.cell_km, th.sector_km,
                    th.raster.crossing_cost if th.water is not None else None)
    strips = []
    for k in range(sec.n):
        strip = Strip.of(np.flatnonzero(sec.sector_of_cell == k), sec.depth)
        strips.append((read_only(strip.cells), read_only(strip.depth), strip.taken_upto))
    for name in ("depth", "s", "sector_of_cell", "lo", "hi", "anchor", "front", "stretches"):
        read_only(getattr(sec, name))
    return Cut(sec, strips, read_only(sec.position(sec.s)),
               read_only(np.nan_to_num(sec.s, nan=1e9)))


#: Values read off a cut kept with it (``Theatre.of_the_cut``): a few per line, frontage
#: and set of widened windows of a sweep's arms.
CUT_VALUES_KEPT = 256

#: The cells units take, by cut and zone (``places_on``): the ceasefire lines of a
#: sweep's arms, a few hundred cells each; kept, as cuts are, once asked for twice.
PLACES_KEPT = 16
_places = KeptAcrossRuns(PLACES_KEPT, CUTS_SEEN)


def places_on(th: Theatre) -> dict:
    """The cells units have taken on ``th``'s ground as it was cut (no ground has
    changed hands since, ``Theatre.cut_version``), shared by the runs of this process
    that cut along the same front with the same zone (``Movement._places`` fills it).
    A unit's cell is a pure function of the cut, the ground each side holds outside the
    zone and the zone (which, on the ground as cut, the cut and the zone's cells fix),
    and of the key it is kept under: the same cell as found afresh."""
    zone = hashlib.blake2b(np.packbits(th.dmz_flat).tobytes(), digest_size=20).digest()
    return _places.get((id(th.cut), zone), th.cut, dict)


@dataclass
class Strip:
    """Cells of one region ordered by depth, and how far Russia has taken them."""

    cells: np.ndarray
    depth: np.ndarray
    taken_upto: int = 0

    @classmethod
    def of(cls, cells: np.ndarray, depth: np.ndarray) -> Strip:
        """The ``cells`` sorted by their ``depth`` (flat arrays of the theatre)."""
        order = np.argsort(depth[cells], kind="stable")
        cells = cells[order]
        d = depth[cells]
        return cls(cells, d, int(np.searchsorted(d, 0.0, side="left")))

    def passed(self, upto: float) -> np.ndarray:
        """Cells of the strip up to ``upto`` km not passed before (and marks them passed)."""
        hi = int(self.depth.searchsorted(upto, side="right"))
        if hi <= self.taken_upto:
            return self.cells[:0]
        cells = self.cells[self.taken_upto:hi]
        self.taken_upto = hi
        return cells

    def band(self, lo: float, hi: float) -> np.ndarray:
        """Cells with depth in [lo, hi]."""
        return self.cells[self.depth.searchsorted(lo, "left"):self.depth.searchsorted(hi, "right")]


SPAN_CACHE_SIZE = 160  # span weights kept (two zones x the windows x seven frontages)


class Theatre:
    """Grid, layers, the front and its sectors for one run."""

    def __init__(self, raster: Raster, grid: OrthogonalMooreGrid, sector_km: float,
                 initial_fortification: float, rear_fortification: float) -> None:
        self.raster = raster
        self.grid = grid
        self.sector_km = sector_km
        self.cell_km = raster.cell_km
        self.cell_area = raster.cell_area_km2
        self.town_id = raster.town_id.ravel()
        self.in_oblast = raster.in_oblast.ravel()
        self.water = raster.impassable if raster.has_water else None  # 2-D, or None
        self.passable = ~raster.impassable.ravel()
        self._add_layers(raster, initial_fortification, rear_fortification)
        self.active_line = _active_stretch(raster)
        self.towns_held = np.array([self.control[t.cell] == UA for t in raster.towns],
                                   dtype=bool)
        self.dmz_cells = np.empty(0, dtype=np.intp)
        self.version = 0  # counts changes of hands and of the zone (for caches)
        self._ground_version = -1
        self._ground: tuple[np.ndarray, np.ndarray] = (np.zeros(0, bool), np.zeros(0, bool))
        self.rebuild()

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

    def rebuild(self) -> bool:
        """Cut the theatre into sectors along today's front (see ``model/front.py``).

        Returns False, and keeps the old partition, when no front is left in the theatre
        (Ukraine holds no ground there, or only along the theatre's edge)."""
        try:
            self._cut()
        except NoFrontError:
            if hasattr(self, "sectors"):
                return False
            raise
        return True

    def _cut(self) -> None:
        cut = self.cut = cut_along(self)
        self.cut_version = self.version  # the ground as it was cut along
        sec = self.sectors = cut.sectors
        self.depth = sec.depth
        self.n_sectors = sec.n
        # a strip notes how far Russia has taken it: each run's strips are its own
        self.strips = [Strip(cells, depth, taken) for cells, depth, taken in cut.strips]
        self.front_km = sec.length_km
        self.cell_position = cut.cell_position
        self.s_filled = cut.s_filled
        # the towns, read-only and shared with the runs on this cut, so that what is kept
        # for them (``Fortification.terrain``) serves those runs too; the layer is the
        # map's and nothing writes it
        self.urban_flat = self.of_the_cut("towns", lambda: read_only(
            self.raster.urban.astype(bool).reshape(-1)))
        # the zone's cells as an array shared with the runs on this cut and zone, so that
        # what is kept for them (``span_means``) serves those runs too
        self.dmz_cells = self.of_the_cut(
            "zone cells", lambda: read_only(np.flatnonzero(self.dmz_flat)), ground=True)

    def of_the_cut[T](self, key: Hashable, make: Callable[[], T], ground: bool = False) -> T:
        """``make()``, a pure function of the cut and of ``key`` (and, with ``ground``,
        of the ground each side holds outside the zone and the zone, as they are now),
        kept with the cut for the runs of this process that share it (``cut_along``):
        the same value, to the bit, as made afresh. Kept values are shared: they must
        not be written (arrays are made read-only where they could be).

        With ``ground``, a value of ground that has changed hands since the cut (a war's
        line moving on it) is made afresh and not kept: such ground seldom comes again,
        and would push out what the runs of a sweep read again and again."""
        if ground:
            if self.version != self.cut_version:
                return make()
            # the ground as cut, unless written since by other means than taking it
            key = (key, self._ground_digest())
        return kept_in(self.cut.kept, key, make, CUT_VALUES_KEPT)

    def _ground_digest(self) -> bytes:
        """A digest of the ground Ukraine holds outside the zone and of the zone: with
        the map's impassable cells they make Russia's ground outside the zone too."""
        h = hashlib.blake2b(np.packbits(self.ua_ground()).tobytes(), digest_size=20)
        h.update(np.packbits(self.dmz_flat).tobytes())
        return h.digest()

    # --- queries --------------------------------------------------------------------------
    def ua_ground(self) -> np.ndarray:
        """Flat mask of the ground Ukraine holds outside the zone (where it may stand)."""
        return (self.control_flat == UA) & ~self.dmz_flat & self.passable

    def ru_ground(self) -> np.ndarray:
        """Flat mask of the ground Russia holds outside the zone (where it may stand)."""
        return (self.control_flat == RU) & ~self.dmz_flat & self.passable

    def standing_ground(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ru_ground(), ua_ground())`` as of the last change of hands (cached; do not
        write to them)."""
        if self._ground_version != self.version:
            self._ground = (self.ru_ground(), self.ua_ground())
            self._ground_version = self.version
        return self._ground

    def ua_area_km2(self, oblast_only: bool = False) -> float:
        """Area Ukraine holds, in the whole theatre or only inside the oblast (impassable
        water is nobody's ground)."""
        mask = (self.control_flat == UA) & self.passable
        if oblast_only:
            mask &= self.in_oblast
        return float(np.count_nonzero(mask)) * self.cell_area

    def ua_forward_depth(self) -> np.ndarray:
        """Depth of the first Ukrainian-held cell outside the zone, per sector (inf: none)."""
        out = np.full(self.n_sectors, np.inf)
        ground = self.ua_ground()
        for k, st in enumerate(self.strips):
            held = ground[st.cells]
            if held.any():
                out[k] = st.depth[np.argmax(held)]
        return out

    def ru_forward_depth(self) -> np.ndarray:
        """Depth of Russia's forward edge per sector: the median depth of its held cells
        outside the zone that face the zone or Ukraine (-inf: none in the sector).

        The median, not the nearest cell: where a zone ends at the edge of the modelled
        front, a few cells of the still flank touch Ukraine's line, and they do not make
        the whole sector a sector in contact.
        """
        ground = self.ru_ground().reshape(self.control.shape)
        edge = np.flatnonzero(front_cells(ground, self.water))
        sector = self.sectors.sector_of_cell[edge]
        out = np.full(self.n_sectors, -np.inf)
        for k in np.unique(sector[sector >= 0]):
            out[k] = float(np.median(self.depth[edge[sector == k]]))
        for k in np.flatnonzero(~np.isfinite(out)):  # no Russian ground nearest this front:
            zone = self.strips[k].cells[self.dmz_flat[self.strips[k].cells]]
            if zone.size:  # Russia comes from across the zone
                out[k] = float(self.depth[zone].min()) - self.cell_km
        return out

    def zone_cells(self, ua_depth: np.ndarray, zone_km: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cells of Ukraine's defended zone on each sector, the sector of each, and the
        share of each cell inside the zone.

        The zone runs ``zone_km`` back from the forward edge, which lies half a cell in
        front of the forward cells' centres; a cell whose far half reaches past it counts
        for the share inside. So the zone covers the same ground at any cell size, even
        when it is only one or two cells deep.
        """
        cells, sectors, weights = [], [], []
        ground = self.ua_ground()
        for k, st in enumerate(self.strips):
            c = st.band(ua_depth[k], ua_depth[k] + zone_km - 1e-9)
            c = c[ground[c]]
            cells.append(c)
            sectors.append(np.full(c.size, k, dtype=int))
            weights.append(np.clip((ua_depth[k] + zone_km - self.depth[c]) / self.cell_km,
                                   0.0, 1.0))
        return np.concatenate(cells), np.concatenate(sectors), np.concatenate(weights)

    def sector_means(self, cells: np.ndarray, sectors: np.ndarray, values: np.ndarray,
                     weights: np.ndarray | None = None) -> np.ndarray:
        """Mean of ``values[cells]`` per sector, weighted by ``weights`` if given (0 where a
        sector has no cells)."""
        w = np.ones(cells.size) if weights is None else weights
        sums = np.bincount(sectors, weights=values[cells] * w, minlength=self.n_sectors)
        counts = np.bincount(sectors, weights=w, minlength=self.n_sectors)
        return np.divide(sums, counts, out=np.zeros(self.n_sectors), where=counts > 0)

    def span_means(self, cells: np.ndarray, values: np.ndarray,
                   spans: tuple[np.ndarray, np.ndarray], weights: np.ndarray | None = None,
                   fallback: np.ndarray | Callable[[], np.ndarray] | None = None
                   ) -> np.ndarray:
        """Mean of ``values[cells]`` over the cells behind each span of the front (from,
        to, as front positions: ``Sectors.position``), weighted by ``weights`` if given;
        ``fallback`` (else 0) where a span has none (a function of no arguments is only
        called if some span has none: most days every span has cells).

        A frontage's works and towns are those of the ground behind it, not a blend of
        the means of the sectors it crosses: a blend evens out the weak and the strong
        points of the front by as much as the partition happens to cut across them."""
        on, counts, last = self._span_weights(cells, spans, weights)
        values = values[cells]
        seen = values.dtype.str.encode() + values.tobytes()
        if seen == last[0]:  # the same values as last time, to the bit (works once dug)
            sums = last[1]
        else:
            sums = on @ values
            last[:] = seen, sums
        if callable(fallback):
            fallback = fallback() if (counts <= 0).any() else None
        out = np.zeros(on.shape[0]) if fallback is None else np.asarray(fallback, dtype=float)
        return np.divide(sums, counts, out=out.copy(), where=counts > 0)

    def _span_weights(self, cells: np.ndarray, spans: tuple[np.ndarray, np.ndarray],
                      weights: np.ndarray | None
                      ) -> tuple[np.ndarray, np.ndarray, list[bytes | np.ndarray]]:
        """``span_means``' weight of each cell on each span, their sums per span, and the
        values last weighed with them and their weighted sums (as bytes and an array).

        They change only when the cells, the spans or the cut do, which are new arrays
        then (none is written in place), so they are kept for the arrays they were made
        of: a review reads the same zone and windows with each day's works, which once
        dug (or gone, in the zone) are the same from one review to the next."""
        key = (id(cells), id(spans[0]), id(spans[1]), id(weights), id(self.cell_position))

        def make() -> tuple[object, np.ndarray, np.ndarray, list[bytes | np.ndarray]]:
            w = np.ones(cells.size) if weights is None else weights
            where = self.cell_position[cells]
            lo, hi = spans
            on = ((where[None, :] >= lo[:, None]) & (where[None, :] < hi[:, None])
                  ) * w[None, :]
            last: list[bytes | np.ndarray] = [b"", on[:, :0].sum(axis=1)]
            # the arrays of the key are held, so that no other array can take their ids
            return (cells, spans, weights, self.cell_position), on, on.sum(axis=1), last

        # shared with the runs on this cut
        _, on, counts, last = kept_in(self.cut.spans_kept, key, make, SPAN_CACHE_SIZE)
        return on, counts, last

    def coord(self, flat: int) -> tuple[int, int]:
        """Grid coordinate of a flat cell index (row-major, as ``np.unravel_index``)."""
        x, y = divmod(int(flat), self.control.shape[1])
        return x, y

    def nearest_cells(self, candidates: np.ndarray, depth: float, s: np.ndarray
                      ) -> list[int | None]:
        """The candidate cell (flat) nearest each point (depth, s[i]): one row of squared
        distances per point (None for each if there are no candidates)."""
        if candidates.size == 0:
            return [None] * s.size
        across = (self.depth[candidates] - depth) ** 2
        d2 = across[None, :] + (self.s_filled[candidates][None, :] - s[:, None]) ** 2
        return candidates[np.argmin(d2, axis=1)].tolist()

    def attack_point(self, sector: int) -> tuple[int, int]:
        """Where Ukraine's line on ``sector`` is struck: the middle of its front."""
        return self.coord(self.sectors.anchor[sector])

    def front_point(self, s_km: float) -> tuple[int, int]:
        """The front cell nearest ``s_km`` along the front."""
        sec = self.sectors
        return self.coord(sec.front[np.argmin(np.abs(sec.s[sec.front] - s_km))])

    # --- changes --------------------------------------------------------------------------
    def capture(self, strip: Strip, depth: float) -> tuple[float, list[int]]:
        """Russia's forces pass every cell of ``strip`` up to ``depth``: Ukrainian cells
        change hands, and zone cells they cross are zone no longer (Russian-held ground,
        so that a theatre cut again after the crossing keeps it crossed).

        Returns the area taken from Ukraine (km²) and the towns whose centre cell fell.
        """
        cells = strip.passed(depth)
        if cells.size == 0:
            return 0.0, []
        crossed = cells[self.dmz_flat[cells]]
        if crossed.size:
            self.dmz_flat[crossed] = False
            self.dmz_cells = np.flatnonzero(self.dmz_flat)
        taken = cells[self.control_flat[cells] == UA]
        self.control_flat[taken] = RU
        self.version += 1
        if taken.size == 0:
            return 0.0, []
        return float(taken.size) * self.cell_area, self._towns_fallen()

    def _towns_fallen(self) -> list[int]:
        fallen = []
        for i in np.flatnonzero(self.towns_held):
            if self.control[self.raster.towns[i].cell] != UA:
                self.towns_held[i] = False
                fallen.append(int(i))
        return fallen

    def set_dmz(self, mask_flat: np.ndarray, transfer_to_russia: bool) -> list[int]:
        """Declare the zone and cut the theatre along the new line; a unilateral zone passes
        to Russian control.

        Returns the towns ceded by the deal (their centre cell was in a transferred zone),
        which are counted apart from towns lost in fighting.
        """
        self.dmz_flat[:] = mask_flat
        self.dmz_cells = np.flatnonzero(mask_flat)
        self.version += 1
        ceded: list[int] = []
        if transfer_to_russia:
            self.control_flat[self.dmz_cells] = RU
            ceded = self._towns_fallen()
        self.rebuild()
        return ceded

    def line_strip(self) -> np.ndarray:
        """Cells within one cell of today's front on either side, in a sector (flat mask)."""
        return self.mirrored_zone(self.cell_km * 1.5)

    def mirrored_zone(self, width_km: float) -> np.ndarray:
        """Zone of a mirrored withdrawal: ``width_km`` either side of today's front, on the
        modelled sectors (flat mask)."""
        return (np.abs(self.depth) <= width_km) & (self.sectors.sector_of_cell >= 0)


def _along_at(raster: Raster, lat: float, lon: float) -> float:
    """How far along the map's line the cell nearest a point lies (km); a point off the
    grid by more than a cell is refused, since its projection would be a guess."""
    ky = 111.0  # km per degree of latitude, as good as the cell's own size here
    kx = ky * np.cos(np.radians(lat))
    d2 = ((raster.lat - lat) * ky) ** 2 + ((raster.lon - lon) * kx) ** 2
    i = int(np.argmin(d2))
    if d2.flat[i] > (2.0 * raster.cell_km) ** 2:
        raise MapFileError(f"map {raster.map_name!r}: front_ends point [{lat}, {lon}] lies "
                           "outside the theatre")
    return float(raster.along_km.flat[i])


def _active_stretch(raster: Raster) -> np.ndarray:
    """Cells whose projection on the map's line falls on its stretch inside the oblast,
    every cell when the map makes the whole line front (``front = "whole"``), or those
    between two declared ends (``front = "between"``).

    The front beyond that stretch belongs to other fronts, held still by the model.
    """
    along = raster.along_km.ravel()
    loc = raster.spec.line_of_contact
    if loc.front == "whole":  # the theatre's edge is the limit
        return np.ones(along.size, dtype=bool)
    if loc.front == "between":  # the map's two declared ends are the limits
        lo, hi = sorted(_along_at(raster, lat, lon) for lat, lon in loc.front_ends)
        return (along >= lo - raster.cell_km) & (along <= hi + raster.cell_km)
    on_line = (np.abs(raster.depth_km.ravel()) <= raster.cell_km) & raster.in_oblast.ravel()
    if not on_line.any():
        raise MapFileError(f"map {raster.map_name!r}: the line of contact never runs "
                           "through the oblast, so there is no front to model")
    lo, hi = float(along[on_line].min()), float(along[on_line].max())
    return (along >= lo - raster.cell_km) & (along <= hi + raster.cell_km)
