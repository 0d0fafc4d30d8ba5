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
    assert all(c.random is rng for c in ours._celllist)


def test_a_grid_given_back_after_a_run_is_taken_again_as_new():
    """A finished run's grid (``TheatreGrid.recycle``) is the next run's, as a new one
    would be: no agent on any cell, every cell empty, only the ``empty`` layer; and a run
    writes no cell's properties, which the reset does not visit."""
    from dmzsim.model import api
    from dmzsim.model.theatre_grid import _spares

    _spares.clear()
    params = small(sequencing="territory_first", horizon_days=120)
    m = api._SummaryOnlyModel(params, rng=4, map_path=SMALL_MAP)
    m.run_for(120)
    grid = m.grid
    placed = [u for u in m.agents if getattr(u, "cell", None) is not None]
    assert placed and not any(c.properties for c in grid._celllist)
    grid.recycle()
    assert all(getattr(u, "cell", None) is None for u in placed)
    assert not any(c._agents for c in grid._celllist) and grid.empty.data.all()
    assert list(grid._mesa_property_layers) == ["empty"]
    again = api._SummaryOnlyModel(params, rng=4, map_path=SMALL_MAP)
    assert again.grid is grid
    assert all(c.random is again.random for c in grid._celllist)  # the new run's
    fresh = CeasefireModel(params, rng=4, map_path=SMALL_MAP)
    assert (again.grid.empty.data == fresh.grid.empty.data).all()
    again.run_for(120)
    fresh.run_for(120)
    assert repr(api.summary(again)) == repr(api.summary(fresh))  # NaN as NaN


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


def test_span_means_kept_weights_give_the_same_bits_and_follow_new_arrays():
    """The span weights kept between calls (``Theatre._span_weights``, with the cut) give
    what a fresh computation gives, and a new cells array (a new zone) is read afresh."""
    m = CeasefireModel(small(), rng=1, map_path=SMALL_MAP)
    th, lines = m.theatre, m.lines
    cells, _, weights = m.fortification.zone
    spans = lines.windows.spans
    first = th.span_means(cells, th.fort_flat, spans, weights)
    th.fort_flat[cells] += 0.125  # the day's works change; the weights do not
    kept = th.span_means(cells, th.fort_flat, spans, weights)
    th.cut.spans_kept.clear()
    fresh = th.span_means(cells, th.fort_flat, spans, weights)
    assert kept.tobytes() == fresh.tobytes() and not np.array_equal(first, kept)
    half = cells[: cells.size // 2].copy()
    assert th.span_means(half, th.fort_flat, spans, weights[: half.size]).tobytes() == (
        _uncached(th, half, th.fort_flat, spans, weights[: half.size]).tobytes())


def test_span_means_of_the_same_values_again_are_the_ones_computed_afresh():
    """A review reads the same works review after review once they are dug: the sums
    kept for them are reused only while the values are the same to the bit, and other
    values on the same cells and spans (the towns, works changed in place) are summed
    afresh."""
    m = CeasefireModel(small(), rng=1, map_path=SMALL_MAP)
    th, spans = m.theatre, m.lines.windows.spans
    cells, _, weights = m.fortification.zone
    th.fort_flat[cells] = np.linspace(0.0, 1.0, cells.size)
    for values in (th.fort_flat, th.fort_flat, th.urban_flat, th.fort_flat):
        again = th.span_means(cells, values, spans, weights)
        assert again.tobytes() == _uncached(th, cells, values, spans, weights).tobytes()
    before = th.span_means(cells, th.fort_flat, spans, weights)
    th.fort_flat[cells[0]] += 0.5  # written in place: the same array, other values
    after = th.span_means(cells, th.fort_flat, spans, weights)
    assert after.tobytes() == _uncached(th, cells, th.fort_flat, spans, weights).tobytes()
    assert not np.array_equal(before, after)


def _uncached(th, cells, values, spans, weights):
    th.cut.spans_kept.clear()
    return th.span_means(cells, values, spans, weights)
