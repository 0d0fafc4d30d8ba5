"""The theatre's grid and sector bookkeeping."""

import random  # noqa: TID251 (seeded random.Random instances for Mesa grids)

import numpy as np
from dmzsim.model.model import CeasefireModel
from dmzsim.model.theatre import TheatreGrid
from mesa.discrete_space import OrthogonalMooreGrid

from tests.helpers import SMALL_MAP, small


def test_fast_grid_has_exactly_mesas_connections():
    rng = random.Random(0)
    ours, mesas = TheatreGrid((7, 5), random=rng), OrthogonalMooreGrid((7, 5), random=rng)
    for coord, cell in mesas._cells.items():
        got = {k: c.coordinate for k, c in ours._cells[coord].connections.items()}
        want = {k: c.coordinate for k, c in cell.connections.items()}
        assert got == want
    assert len(ours[(3, 2)].neighborhood) == 8


def test_sectors_partition_the_theatre_and_capture_is_monotone():
    m = CeasefireModel(small(), rng=0, map_path=SMALL_MAP)
    th = m.theatre
    cells = np.concatenate([st.cells for st in th.strips])
    assert len(np.unique(cells)) == cells.size  # no cell in two sectors
    area0 = th.ua_area_km2()
    taken, _ = th.capture(th.strips[0], 3.0)
    assert taken > 0 and th.ua_area_km2() == area0 - taken
    again, _ = th.capture(th.strips[0], 2.0)  # going back captures nothing
    assert again == 0.0


def test_every_stretch_of_the_modelled_front_is_in_a_sector():
    m = CeasefireModel(small(), rng=0, map_path=SMALL_MAP)
    sec = m.theatre.sectors
    assert np.all(sec.sector_of_cell[sec.front] >= 0)
    np.testing.assert_allclose(sec.length_km.sum(), sec.hi[-1] - sec.lo[0], rtol=1e-9)


def test_property_layers_are_the_model_arrays():
    m = CeasefireModel(small(), rng=0, map_path=SMALL_MAP)
    cell = m.grid[(0, 0)]
    m.theatre.fort[0, 0] = 0.123
    assert cell.fortification == 0.123
    assert set(m.grid._mesa_property_layers) >= {"control", "fortification", "urban", "dmz",
                                                  "monitored"}
