"""TheatreGrid: Mesa's Moore grid, cheaper to build, to free and to reuse.

A 2-year run on the default map costs about as much to *build* (22,914 Mesa cells, each
with its connections, agent list and properties) as to *run*, and a sweep makes tens of
thousands of runs. The grid here is an ``OrthogonalMooreGrid`` in every respect a model
or a user can see — the same cells, connections (same keys, same order), ``empty``
layer and property layers (tests/test_theatre.py) — but:

* it is built with the cyclic garbage collector paused: each cell brings three
  containers, and the collections their creation triggers (each walking every object of
  the process) cost more than building the cells;
* interior cells are connected a whole row at a time, without ``Cell.connect`` clearing
  the (still empty) neighbourhood caches eight times per cell;
* Mesa registers each grid's dynamic cell class with ``copyreg`` and never unregisters
  it, so the class and, through its property accessors, every layer's array outlived
  the grid (about 0.5 MB per run for the life of a worker process); the registration
  now goes when the grid is freed;
* a run whose model nobody will see again (``model.api.simulate``) gives its grid back
  with :meth:`TheatreGrid.recycle`, and the next run of that size in the process takes it
  with :meth:`TheatreGrid.take`, reset to exactly the state of a new grid.
"""

from __future__ import annotations

import copyreg
import gc
import threading
import weakref
from random import Random  # noqa: TID251 (Mesa grids take a seeded random.Random)

import numpy as np
from mesa.discrete_space import Cell, OrthogonalMooreGrid

MAX_SPARES = 2  # grids kept for reuse per process (one per concurrent run is enough)
_spares: list[TheatreGrid] = []
_spares_lock = threading.Lock()


class _GridCell(Cell):
    """A cell whose ``random`` is its grid's, one for all its cells (Mesa gives every
    cell the grid's): a grid taken again for a new run (:meth:`TheatreGrid.take`) gets
    the run's in one assignment rather than one per cell. Each grid's cells are of a
    class of their own (Mesa's dynamic ``GridCell``), which holds it: setting one cell's
    sets every cell's of its grid (the model sets none)."""

    __slots__ = ()

    @property  # type: ignore[override]
    def random(self) -> Random | None:
        return type(self)._grid_random

    @random.setter
    def random(self, value: Random | None) -> None:
        type(self)._grid_random = value


class TheatreGrid(OrthogonalMooreGrid):
    """Mesa's Moore grid, built faster, released cleanly, reusable (see the module)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("cell_klass", _GridCell)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            super().__init__(*args, **kwargs)
        finally:
            if gc_was_enabled:
                gc.enable()
        weakref.finalize(self, copyreg.dispatch_table.pop, self.cell_klass, None)

    # --- reuse ----------------------------------------------------------------------------
    @classmethod
    def take(cls, dimensions: tuple[int, int], random: Random) -> TheatreGrid:
        """A grid as ``cls(dimensions, torus=False, capacity=None, random=random)`` would
        build it: one given back by a finished run if there is one, else a new one."""
        with _spares_lock:
            found = next((g for g in _spares if type(g) is cls
                          and tuple(g.dimensions) == tuple(dimensions)), None)
            if found is not None:
                _spares.remove(found)
        if found is None:
            return cls(dimensions, torus=False, capacity=None, random=random)
        found.random = random
        found.cell_klass._grid_random = random  # every cell's (``_GridCell``)
        return found

    def recycle(self) -> None:
        """Give back a grid that nobody will use again, reset as new, for :meth:`take`.

        Reset: the property layers other than ``empty`` are removed, agents are taken
        off their cells (they no longer have a cell), ``empty`` is all True again, and
        Mesa's neighbourhood caches are cleared (as Mesa itself does on every
        ``connect``). If enough grids are spare already, the cells are freed instead
        (:meth:`dispose`).

        Only the cells with agents are visited: Mesa marks a cell not ``empty`` whenever
        an agent comes onto it, and a pass over every cell of the default map costs as
        much as a tenth of a quiet run. The model never writes a cell's ``properties``
        (held by tests/test_theatre.py), so there are none to empty.
        """
        if self.torus or self.capacity is not None or not self._celllist:
            self.dispose()
            return
        for name in [n for n in self._mesa_property_layers if n != "empty"]:
            self.remove_property_layer(name)
        cells = self._celllist  # in the order of ``empty``'s flat cells
        for i in np.flatnonzero(~self.empty.data.reshape(-1)).tolist():
            cell = cells[i]
            for agent in cell._agents:
                agent._mesa_cell = None
            cell._agents.clear()
        self.empty.data[...] = True
        self.__dict__.pop("all_cells", None)
        Cell.get_neighborhood.cache_clear()
        Cell._neighborhood.cache_clear()
        with _spares_lock:
            keep = len(_spares) < MAX_SPARES
            if keep:
                _spares.append(self)
        if not keep:
            self.dispose()

    def dispose(self) -> None:
        """Unlink the cells of a grid nobody will use again, so they are freed at once.

        Each cell holds its neighbours, so a finished run's cells form one big cycle
        that only a full garbage collection frees: meanwhile a worker process carries
        the cells of many finished runs (tens of MB), and the collector walks them all
        again and again. The grid has no cells afterwards.
        """
        for cell in self._celllist:
            cell.connections = {}
        self._cells = {}
        self._celllist = []
        self.__dict__.pop("all_cells", None)

    # --- construction ---------------------------------------------------------------------
    def _connect_cells_2d(self) -> None:
        if self.torus:
            super()._connect_cells_2d()
            return
        height, width = self.dimensions
        rows = [self._celllist[i * width:(i + 1) * width] for i in range(height)]
        for i in range(1, height - 1):
            up, mid, down = rows[i - 1], rows[i], rows[i + 1]
            for ul, u, ur, left, cell, right, dl, d, dr in zip(
                    up[:-2], up[1:-1], up[2:], mid[:-2], mid[1:-1], mid[2:],
                    down[:-2], down[1:-1], down[2:], strict=True):
                # Mesa's offset order: (-1,-1) (-1,0) (-1,1) (0,-1) (0,1) (1,-1) (1,0) (1,1)
                cell.connections = {(-1, -1): ul, (-1, 0): u, (-1, 1): ur, (0, -1): left,
                                    (0, 1): right, (1, -1): dl, (1, 0): d, (1, 1): dr}
        offsets = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
        for cell in _border(rows):
            self._connect_single_cell_2d(cell, offsets)

    def _connect_single_cell_2d(self, cell, offsets) -> None:  # type: ignore[override]
        if self.torus:
            super()._connect_single_cell_2d(cell, offsets)
            return
        i, j = cell.coordinate
        height, width = self.dimensions
        cells = self._cells
        conn = cell.connections
        for di, dj in offsets:
            ni, nj = i + di, j + dj
            if 0 <= ni < height and 0 <= nj < width:
                conn[(di, dj)] = cells[ni, nj]


def _border(rows: list[list]) -> list:
    """The cells on the edge of a grid given as rows."""
    if len(rows) <= 2:
        return [c for row in rows for c in row]
    border = list(rows[0])
    for row in rows[1:-1]:
        border.extend(row if len(row) <= 2 else (row[0], row[-1]))
    return border + list(rows[-1])
