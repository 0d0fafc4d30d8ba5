"""The front wherever the line is, cut into sectors that cover the whole theatre.

The front is the edge of the ground Ukraine holds outside any zone: its cells that touch
ground it does not hold (Russian-held ground or the zone; the theatre's own edge is not a
front). Every cell of the theatre, on either side, belongs to the sector of the front cell
nearest it, so after any withdrawal every stretch of the new line belongs to a sector and
every sector has a front to attack.

Two coordinates come with the partition, both in km and both measured from the *current*
front rather than from the line drawn in the map file:

* ``depth``: distance from the front, positive on the ground Ukraine holds, negative on
  the other side (Russian-held ground and the zone);
* ``s``: where along the front the cell's nearest front cell lies (geodesic distance
  along the chain of front cells, from the end nearest the start of the map's line).

The map's line runs on beyond the oblast into other fronts, which the model holds still:
a front cell is *active* (part of the modelled front) when its projection on the map's
line falls within the stretch of that line that lies in the oblast (or, on a map whose
line says ``front = "whole"``, every front cell of the theatre: ``theatre._active_stretch``).
Nothing here depends on how wide the theatre's margin is (with ``"in_oblast"``) or on the
sectors' width but the partition itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

_NEIGHBOURS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]
COMPONENT_GAP_KM = 1.0e4  # separates the s ranges of unconnected stretches of front


class NoFrontError(ValueError):
    """No stretch of the front lies on the modelled part of the line."""


@dataclass(frozen=True)
class Sectors:
    """A partition of the theatre along the current front (flat, ``[x, y]``-raveled)."""

    depth: np.ndarray  # (cells,) km from the front; > 0 on Ukraine's ground
    s: np.ndarray  # (cells,) km along the front of the nearest front cell
    sector_of_cell: np.ndarray  # (cells,) sector id, -1 on ground nearest the still flanks
    lo: np.ndarray  # (n,) start of each sector along the front, km
    hi: np.ndarray  # (n,) end of each sector along the front, km
    anchor: np.ndarray  # (n,) flat index of the front cell in the middle of each sector
    front: np.ndarray  # flat indices of the active front cells
    stretches: np.ndarray  # (m, 2) each connected stretch's start and length, km

    @property
    def n(self) -> int:
        """Number of sectors."""
        return int(self.lo.size)

    @property
    def length_km(self) -> np.ndarray:
        """Length of front in each sector, km."""
        return self.hi - self.lo

    def position(self, s: np.ndarray) -> np.ndarray:
        """Km of front before ``s`` (km along the front), the stretches laid end to end
        without the gaps between them: where units standing end to end along the whole
        front are placed (``ForceTable.front_from``, ``front_to``)."""
        s = np.asarray(s, dtype=float)
        k = self._stretch_of(s)
        return s - self.stretches[k, 0] + self._before()[k]

    def _stretch_of(self, s: np.ndarray) -> np.ndarray:
        """The stretch of front holding each ``s`` (km along the front)."""
        return np.maximum(np.searchsorted(self.stretches[:, 0], s, side="right") - 1, 0)

    def _before(self) -> np.ndarray:
        """Km of front in the stretches before each stretch."""
        return np.concatenate([[0.0], np.cumsum(self.stretches[:, 1])[:-1]])

    @property
    def spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Each sector's stretch of front, as front positions (from, to)."""
        start = self.position(self.lo)
        return start, start + self.length_km

    def frontage_spans(self, frontage_km: float, centres: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """The front (from, to, as front positions) a frontage of ``frontage_km`` centred
        on each of ``centres`` (km along the front; by default each sector's middle) covers,
        cut at the ends of its stretch of front."""
        mid = 0.5 * (self.lo + self.hi) if centres is None else np.asarray(centres)
        k = self._stretch_of(mid)
        start = self._before()[k]
        c = self.position(mid)
        return (np.maximum(c - frontage_km / 2.0, start),
                np.minimum(c + frontage_km / 2.0, start + self.stretches[k, 1]))

    def frontage_weights(self, frontage_km: float,
                         centres: np.ndarray | None = None) -> np.ndarray:
        """``W[i, j]``: the share of sector j's front inside a frontage of ``frontage_km``
        centred on ``centres[i]`` (km along the front; by default each sector's middle).

        ``W @ power`` is the power an attack on that frontage meets, if each sector's units
        are spread evenly along its front: the frontage, not the partition, sets the odds.
        Stretches of front lie ``COMPONENT_GAP_KM`` apart, so a frontage meets its own.
        """
        mid = 0.5 * (self.lo + self.hi) if centres is None else centres
        a = mid[:, None] - frontage_km / 2.0
        b = mid[:, None] + frontage_km / 2.0
        overlap = np.maximum(np.minimum(b, self.hi[None, :]) - np.maximum(a, self.lo[None, :]),
                             0.0)
        return overlap / np.maximum(self.length_km, 1e-9)[None, :]

    def windows(self, frontage_km: float) -> Windows:
        """Russia's candidate points of attack: frontages laid end to end along each
        stretch of front, as many as fit (at least one), evenly spaced.

        They depend on the front alone, not on how it is cut into sectors: with a point of
        attack per sector, a coarser partition would offer Russia fewer points to aim at,
        and a finer one more chances of a favourable one."""
        centres = []
        for start, length in self.stretches:
            count = max(1, round(length / frontage_km))
            width = length / count
            i = np.arange(count)  # the sectors' own arithmetic, to the last bit
            centres.append(0.5 * ((start + i * width) + (start + (i + 1) * width)))
        centre = np.concatenate(centres)
        owner = np.minimum(np.searchsorted(self.hi, centre, side="right"), self.n - 1)
        return Windows(centre, owner, self.frontage_weights(frontage_km, centre), frontage_km,
                       self.frontage_spans(frontage_km, centre))

    def widened(self, windows: Windows, frontage_km: float) -> Windows:
        """The same points of attack on a frontage of ``frontage_km``: what a main effort
        widened over more of the front would meet (``main_effort.frontages``). Each
        frontage is moved along the front, as little as it takes, to lie on its stretch
        (centred on its middle if the stretch is shorter: ``Windows.fits`` says so).
        Measured along the front in km, like the windows."""
        if frontage_km == windows.frontage_km:
            return windows
        k = self._stretch_of(windows.centre)
        start, length = self.stretches[k, 0], self.stretches[k, 1]
        half = 0.5 * np.minimum(frontage_km, length)
        centre = np.clip(windows.centre, start + half, start + length - half)
        return Windows(centre, windows.owner, self.frontage_weights(frontage_km, centre),
                       frontage_km, self.frontage_spans(frontage_km, centre))


@dataclass(frozen=True)
class Windows:
    """Where along the front Russia can aim an attack on ``attack_frontage_km`` of front:
    each window's centre, the sector holding it (where the offensive is fought), its
    frontage weights over the sectors (``Sectors.frontage_weights``, for what is known
    per sector: the ground's works, towns and gaps) and the front its frontage covers
    (``Sectors.frontage_spans``, for the units that stand on it)."""

    centre: np.ndarray  # (W,) km along the front
    owner: np.ndarray  # (W,) sector holding the centre
    weights: np.ndarray  # (W, n)
    frontage_km: float
    spans: tuple[np.ndarray, np.ndarray]  # (W,) each frontage's front, from and to

    @property
    def n(self) -> int:
        """Number of windows."""
        return int(self.centre.size)

    def take(self, idx: np.ndarray) -> Windows:
        """Only the windows ``idx`` (a forecast that needs no others)."""
        lo, hi = self.spans
        return Windows(self.centre[idx], self.owner[idx], self.weights[idx], self.frontage_km,
                       (lo[idx], hi[idx]))

    def fits(self) -> np.ndarray:
        """Whether each frontage lies whole on its stretch of front (a main effort is
        not widened beyond the front it attacks)."""
        return self.spans[1] - self.spans[0] >= self.frontage_km * (1.0 - 1e-9)

    def overlap(self, window: int, frontage_km: float | None = None,
                centre_km: float | None = None) -> np.ndarray:
        """What a force standing on a frontage ``frontage_km`` wide (by default the
        windows' own) centred on ``window`` (or at ``centre_km`` along the front) counts
        for on each window's frontage: the share of the narrower of the two inside the
        other (1 on itself; stretches lie far apart). The narrower: a massed force can
        close up onto part of its own frontage, but not stand on ground outside it."""
        at = self.centre[window] if centre_km is None else centre_km
        gap = np.abs(self.centre - at)
        if frontage_km is None or frontage_km == self.frontage_km:
            return np.maximum(self.frontage_km - gap, 0.0) / self.frontage_km
        narrow = min(self.frontage_km, frontage_km)
        reach = 0.5 * (self.frontage_km + frontage_km) - gap  # the two intervals' overlap
        return np.clip(reach, 0.0, narrow) / narrow

    def nearest(self, s_km: float) -> int:
        """The window whose centre is nearest ``s_km`` along the front."""
        return int(np.argmin(np.abs(self.centre - s_km)))


def front_cells(ground: np.ndarray, water: np.ndarray | None = None) -> np.ndarray:
    """Cells of ``ground`` (2-D bool) with an 8-neighbour off it, inside the grid.

    ``water`` (impassable cells, 2-D bool) is no front either: a bank faces nobody."""
    around = ground if water is None else ground | water
    inner = ndimage.binary_erosion(around, structure=np.ones((3, 3), bool), border_value=1)
    return ground & ~inner


def partition(ua_ground: np.ndarray, active_line: np.ndarray, line_along: np.ndarray,
              cell_km: float, sector_km: float, crossing_cost: np.ndarray | None = None
              ) -> Sectors:
    """Cut the front of ``ua_ground`` into sectors of about ``sector_km`` and give every
    cell its sector, ``depth`` and ``s``.

    ``active_line`` (flat bool) marks the cells whose projection on the map's line is on its
    stretch inside the oblast; ``line_along`` (flat) is that projection's arc length, used
    only to start each stretch of front at the same end as the map's line.
    ``crossing_cost`` (2-D, km of advance per km; inf on impassable water) is given when
    the map has water: depth is then the cheapest way from the front round or across it.
    """
    shape = ua_ground.shape
    water = None if crossing_cost is None else np.isinf(crossing_cost)
    front2d = front_cells(ua_ground, water)
    front_all = np.flatnonzero(front2d)
    if crossing_cost is None:
        dist, nearest = ndimage.distance_transform_edt(~front2d, sampling=cell_km,
                                                       return_indices=True)
        nearest_flat = np.ravel_multi_index((nearest[0].ravel(), nearest[1].ravel()), shape)
        dist = dist.ravel()
    else:
        dist, nearest_flat = _cost_distance(front_all, crossing_cost, cell_km)
    ua_flat = ua_ground.ravel()
    depth = np.where(ua_flat, dist, -dist)
    active = front_all[active_line[front_all]]
    s_front, lo, hi, anchor, sector_front, stretches = _chain(active, shape, cell_km,
                                                              sector_km, line_along)
    s_cell = np.full(front_all.size, np.nan)
    sec_cell = np.full(front_all.size, -1, dtype=int)
    pos = np.searchsorted(front_all, active)
    s_cell[pos], sec_cell[pos] = s_front, sector_front
    k = np.searchsorted(front_all, nearest_flat)
    s = s_cell[k]
    sector_of_cell = sec_cell[k]
    cut_off = nearest_flat < 0  # water, and ground the front cannot reach
    s[cut_off], sector_of_cell[cut_off] = np.nan, -1
    return Sectors(depth=depth, s=s, sector_of_cell=sector_of_cell, lo=lo, hi=hi,
                   anchor=anchor, front=active, stretches=stretches)


def _chain(cells: np.ndarray, shape: tuple[int, int], cell_km: float, sector_km: float,
           line_along: np.ndarray) -> tuple[np.ndarray, ...]:
    """Order the front cells along the front and cut each connected stretch into sectors.

    Returns ``s`` and the sector of each cell, each sector's ``lo``, ``hi`` and anchor,
    and each stretch's start and length.
    """
    if cells.size == 0:
        raise NoFrontError("the theatre has no active front: the line never runs through "
                         "the oblast, or Ukraine holds no ground next to it")
    graph = _adjacency(cells, shape, cell_km)
    n_comp, comp = connected_components(graph, directed=False)
    extent = {c: _length(graph, np.flatnonzero(comp == c), cells, line_along, cell_km)
              for c in range(n_comp)}
    longest = max(extent[c][0] for c in extent)
    # A stretch of front shorter than half a sector (a corner, a sliver) is no sector of
    # its own: it joins the sector of the nearest longer stretch.
    kept = [c for c in range(n_comp) if extent[c][0] >= min(sector_km / 2.0, longest)]
    order = sorted(kept, key=lambda c: float(line_along[cells[comp == c]].min()))
    s = np.full(cells.size, np.nan)
    sector = np.full(cells.size, -1, dtype=int)
    lo: list[float] = []
    hi: list[float] = []
    anchor: list[int] = []
    stretches: list[tuple[float, float]] = []
    offset = 0.0
    for c in order:
        idx = np.flatnonzero(comp == c)
        length, dist = extent[c]
        stretches.append((offset, length))
        n_sec = max(1, round(length / sector_km))
        width = length / n_sec
        first = len(lo)
        sector[idx] = first + np.minimum((dist / width).astype(int), n_sec - 1)
        s[idx] = offset + dist
        for j in range(n_sec):
            lo.append(offset + j * width)
            hi.append(offset + (j + 1) * width)
            mid = offset + (j + 0.5) * width
            mine = idx[sector[idx] == first + j]
            pool = mine if mine.size else idx
            anchor.append(int(cells[pool[np.argmin(np.abs(s[pool] - mid))]]))
        offset += length + COMPONENT_GAP_KM
    orphan = np.flatnonzero(sector < 0)
    if orphan.size:
        own = np.flatnonzero(sector >= 0)
        xo, yo = np.unravel_index(cells[orphan], shape)
        xk, yk = np.unravel_index(cells[own], shape)
        near = own[np.argmin((xo[:, None] - xk[None, :]) ** 2 + (yo[:, None] - yk[None, :]) ** 2,
                             axis=1)]
        sector[orphan], s[orphan] = sector[near], s[near]
    return (s, np.array(lo), np.array(hi), np.array(anchor, dtype=np.intp), sector,
            np.array(stretches))


def _length(graph: coo_matrix, idx: np.ndarray, cells: np.ndarray, line_along: np.ndarray,
            cell_km: float) -> tuple[float, np.ndarray]:
    """Length of one connected stretch of front and each of its cells' distance along it
    from the end nearest the start of the map's line."""
    start = idx[np.argmin(line_along[cells[idx]])]
    dist = dijkstra(graph, indices=int(start))[idx]
    return float(dist.max()) + cell_km, dist


def _cost_distance(sources: np.ndarray, cost: np.ndarray, cell_km: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest distance (km of advance) from the nearest of ``sources`` to every cell, and
    that source (-1 where none can be reached), over the 8-neighbour graph of the cells
    that can be crossed; a step costs its length times the mean cost of its two cells."""
    shape = cost.shape
    flat = cost.ravel()
    open_cells = np.flatnonzero(np.isfinite(flat))
    graph = _adjacency(open_cells, shape, cell_km, flat[open_cells])
    node = np.full(flat.size, -1)
    node[open_cells] = np.arange(open_cells.size)
    start = node[sources]
    dist = np.full(flat.size, np.inf)
    nearest = np.full(flat.size, -1, dtype=np.intp)
    if start.size:
        d, _, src = dijkstra(graph, indices=start, min_only=True, return_predecessors=True)
        dist[open_cells] = d
        reached = src >= 0
        nearest[open_cells[reached]] = open_cells[src[reached]]
    return dist, nearest


def _adjacency(cells: np.ndarray, shape: tuple[int, int], cell_km: float,
               cost: np.ndarray | None = None) -> coo_matrix:
    """The 8-neighbour graph of ``cells`` (flat indices), edges weighted by distance (times
    the mean of the two cells' ``cost``, one per cell, if given)."""
    node = np.full(shape, -1, dtype=int)
    x, y = np.unravel_index(cells, shape)
    node[x, y] = np.arange(cells.size)
    rows, cols, weights = [], [], []
    for dx, dy in _NEIGHBOURS:
        nx, ny = x + dx, y + dy
        ok = (nx >= 0) & (nx < shape[0]) & (ny >= 0) & (ny < shape[1])
        j = np.full(cells.size, -1)
        j[ok] = node[nx[ok], ny[ok]]
        keep = j >= 0
        rows.append(np.flatnonzero(keep))
        cols.append(j[keep])
        w = np.full(int(keep.sum()), cell_km * float(np.hypot(dx, dy)))
        if cost is not None:
            w = w * 0.5 * (cost[keep] + cost[j[keep]])
        weights.append(w)
    r, c, w = (np.concatenate(a) for a in (rows, cols, weights))
    return coo_matrix((w, (r, c)), shape=(cells.size, cells.size)).tocsr()
