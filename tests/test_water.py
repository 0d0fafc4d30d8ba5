"""Water in a map: impassable water is nobody's ground and an advance goes round it; an
obstacle is crossed at a cost. Tiny hand-built fronts first, then a whole map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dmzsim.model.forces import RU, UA
from dmzsim.model.front import partition
from dmzsim.model.model import CeasefireModel
from dmzsim.model.theatre_map import MapFileError, load_map, rasterise

from tests.helpers import BENT_MAP as BENT

# A lake 2-11 km behind the bent map's western stretch of line (47.85 N).
LAKE = [[47.87, 34.95], [47.95, 34.95], [47.95, 35.38], [47.87, 35.38]]


def _with_water(tmp_path: Path, kind: str, factor: float | None = None,
                outline: list | None = None) -> Path:
    lines = ["", "[water.lake]", f'kind = "{kind}"', f"outline = {outline or LAKE}",
             'source = "synthetic: made up for tests"']
    if factor is not None:
        lines.append(f"crossing_factor = {factor}")
    path = tmp_path / f"bent_{kind}.toml"
    path.write_text(BENT.read_text(encoding="utf-8") + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


# --- the partition on a hand-built front ---------------------------------------------------
def _wall_world(cost_on_wall: float) -> tuple[np.ndarray, ...]:
    """12 x 12 cells of 1 km; Ukraine holds y >= 6; a wall of water at y = 8 from x = 0 to
    9, open at x = 10, 11. Everything is on the modelled stretch."""
    ua = np.zeros((12, 12), bool)
    ua[:, 6:] = True
    cost = np.ones((12, 12))
    cost[:10, 8] = cost_on_wall
    if np.isinf(cost_on_wall):
        ua[:10, 8] = False  # impassable water is no one's ground
    active = np.ones(144, bool)
    along = np.repeat(np.arange(12.0), 12)
    return ua, cost, active, along


def test_an_advance_goes_round_impassable_water():
    ua, cost, active, along = _wall_world(np.inf)
    sec = partition(ua, active, along, 1.0, 6.0, cost)
    behind = np.ravel_multi_index((2, 10), ua.shape)
    # straight through the wall it is 4 km from the front (y = 6); round the gap, more
    assert sec.depth[behind] > 10.0 and np.isfinite(sec.depth[behind])
    wall = np.ravel_multi_index((np.arange(10), np.full(10, 8)), ua.shape)
    assert np.all(sec.sector_of_cell[wall] == -1)
    # the bank faces nobody: no cell beside the wall is front
    assert not np.isin(wall + 1, sec.front).any() and not np.isin(wall - 1, sec.front).any()


def test_an_obstacle_costs_its_factor_and_no_obstacle_costs_nothing():
    ua, _, active, along = _wall_world(1.0)
    plain = partition(ua, active, along, 1.0, 6.0).depth
    behind = np.ravel_multi_index((2, 10), ua.shape)
    depth = {f: partition(ua, active, along, 1.0, 6.0, _wall_world(f)[1]).depth[behind]
             for f in (1.0, 3.0, 6.0)}
    assert depth[1.0] == pytest.approx(plain[behind])  # a straight path: exact
    assert depth[1.0] < depth[3.0] < depth[6.0]
    assert depth[3.0] == pytest.approx(plain[behind] + 2.0)  # 1 km of wall at 3x


# --- the map file ----------------------------------------------------------------------------
def test_water_is_read_and_rasterised(tmp_path):
    spec = load_map(_with_water(tmp_path, "impassable"))
    r = rasterise(spec, 2.0)
    assert r.has_water and r.impassable.any()
    area = r.area_km2(r.impassable)
    lake_km2 = (0.08 * 110.57) * (0.43 * 111.32 * np.cos(np.radians(47.8)))  # ~284 km²
    assert area == pytest.approx(lake_km2, rel=0.15)  # 2-km cells
    assert np.all(np.isinf(r.crossing_cost[r.impassable]))
    ob = rasterise(load_map(_with_water(tmp_path, "obstacle", 3.0)), 2.0)
    assert not ob.impassable.any() and set(np.unique(ob.crossing_cost)) == {1.0, 3.0}


@pytest.mark.parametrize(("kind", "factor", "outline", "says"), [
    ("obstacle", None, None, "needs crossing_factor"),
    ("impassable", 3.0, None, "only read for kind = 'obstacle'"),
    ("obstacle", 1.0, None, "crossing_factor = 1.0"),
    ("impassable", None, [[47.87, 34.95], [47.95, 35.38], [47.87, 35.38], [47.95, 34.95]],
     "crosses itself"),
    ("river", None, None, "water.lake.kind"),
])
def test_bad_water_is_a_clear_error(tmp_path, kind, factor, outline, says):
    path = _with_water(tmp_path, kind, factor, outline)
    with pytest.raises(MapFileError) as err:
        load_map(path)
    assert str(path) in str(err.value) and says in str(err.value)


# --- a whole map --------------------------------------------------------------------------
def test_impassable_water_never_changes_hands_and_nobody_stands_on_it(tmp_path):
    m = CeasefireModel(sequencing="no_deal", horizon_days=120, rng=2,
                       map_path=_with_water(tmp_path, "impassable"))
    th = m.theatre
    lake = ~th.passable
    control0 = th.control_flat[lake].copy()
    for _ in range(120):
        m.step()
        for u in m.units.values():
            assert th.passable[np.ravel_multi_index(u.cell.coordinate, th.control.shape)]
    assert np.array_equal(th.control_flat[lake], control0)
    held = (th.control_flat == UA) & th.passable
    assert m.ua_area == pytest.approx(np.count_nonzero(held) * th.cell_area)
    assert not np.any(th.ua_ground()[lake]) and not np.any(th.ru_ground()[lake])


def test_ground_behind_a_lake_is_reached_only_round_it(tmp_path):
    """The same map with and without the lake: cells just behind the lake are further
    from the front with it (the way round), and capture never takes a lake cell."""
    dry = CeasefireModel(sequencing="no_deal", rng=0, map_path=BENT).theatre
    wet = CeasefireModel(sequencing="no_deal", rng=0,
                         map_path=_with_water(tmp_path, "impassable")).theatre
    lake = ~wet.passable
    # land cells north of the lake, within 6 km of it
    y_lake = wet.raster.y_km.ravel()[lake].max()
    x = wet.raster.x_km.ravel()
    y = wet.raster.y_km.ravel()
    x_lake = x[lake]
    behind = (wet.passable & (y > y_lake) & (y < y_lake + 6.0)
              & (x > x_lake.min() + 6) & (x < x_lake.max() - 6))
    assert behind.any()
    assert np.all(wet.depth[behind] > dry.depth[behind] + 4.0)
    for strip in wet.strips:
        strip.passed(strip.depth[-1])
    assert not np.any(lake[np.concatenate([s.cells for s in wet.strips])])


def test_a_unilateral_zone_cedes_no_water(tmp_path):
    m = CeasefireModel(sequencing="simultaneous", dmz_shape="unilateral", withdrawal_days=3,
                       rng=0, map_path=_with_water(
                           tmp_path, "impassable",
                           outline=[[47.88, 35.05], [47.95, 35.05], [47.95, 35.30],
                                    [47.88, 35.30]]))
    for _ in range(4):
        m.step()
    th = m.theatre
    assert not np.any(th.dmz_flat & ~th.passable)
    assert m.record.area_ceded == pytest.approx(np.count_nonzero(th.dmz_flat) * th.cell_area)
    assert np.all(th.control_flat[th.dmz_flat] == RU)
