"""Any theatre from a map file: a bent line, Ukraine on the north, a line along the
oblast's border, the theatre's own force block; and the zones after any withdrawal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dmzsim.model.forces import RU, UA
from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params
from dmzsim.model.theatre_map import MapFileError, load_map

from tests.helpers import BENT_MAP as BENT
from tests.helpers import bent_variant

DEFAULT = None  # the shipped Donetsk map
WITHDRAWALS = [("unilateral", 10.0), ("mirrored", 5.0), ("mirrored", 10.0),
               ("mirrored", 40.0)]


def _after_withdrawal(map_path: Path | None, shape: str, width: float) -> CeasefireModel:
    m = CeasefireModel(sequencing="simultaneous", dmz_shape=shape, dmz_width_km=width,
                       withdrawal_days=3, guarantee_credibility=0.9, rng=0, map_path=map_path)
    before = m.theatre.n_sectors
    assert before >= 1 and np.all(m.lines.has_line())
    for _ in range(4):
        m.step()
    assert m.phase == "dmz"
    return m


@pytest.mark.parametrize("map_path", [BENT, DEFAULT], ids=["bent", "donetsk"])
@pytest.mark.parametrize(("shape", "width"), WITHDRAWALS)
def test_after_any_withdrawal_every_sector_has_a_front_and_no_unit_is_in_the_zone(
        map_path, shape, width):
    m = _after_withdrawal(map_path, shape, width)
    th = m.theatre
    assert np.all(m.lines.has_line()) and np.all(th.front_km > 0)
    assert np.all(th.sectors.sector_of_cell[th.sectors.front] >= 0)
    for u in m.units.values():
        x, y = u.cell.coordinate
        assert not th.dmz[x, y]
        assert th.control[x, y] == (RU if u.side == "RU" else UA)


@pytest.mark.parametrize("map_path", [BENT, DEFAULT], ids=["bent", "donetsk"])
def test_a_unilateral_zone_leaves_no_ground_of_ukraines_in_the_oblast(map_path):
    m = _after_withdrawal(map_path, "unilateral", 10.0)
    th = m.theatre
    assert not np.any(th.ua_ground() & th.in_oblast)  # no holes: it is all zone
    assert m.record.area_ceded > 0 and m.record.area_ceded == pytest.approx(
        np.count_nonzero(th.dmz_flat) * th.cell_area)


@pytest.mark.parametrize("width", [5.0, 10.0, 40.0])
def test_a_mirrored_zone_has_no_holes_along_the_modelled_front(width):
    m = CeasefireModel(sequencing="simultaneous", dmz_shape="mirrored", dmz_width_km=width,
                       withdrawal_days=3, rng=0, map_path=BENT)
    th = m.theatre
    near = (np.abs(th.depth) <= width - th.cell_km) & (th.sectors.sector_of_cell >= 0)
    for _ in range(4):
        m.step()
    assert np.all(th.dmz_flat[near])


def test_a_map_brings_its_own_forces_and_a_parameter_set_by_the_user_wins():
    spec = load_map(BENT)
    m = CeasefireModel(rng=0, map_path=BENT)
    assert m.p.ru_initial_personnel == spec.forces["ru_initial_personnel"].value
    assert m.p.ua_theatre_share == spec.forces["ua_theatre_share"].value
    mine = CeasefireModel(Params.build({"ru_initial_personnel": 80_000.0}), rng=0,
                          map_path=BENT)
    assert mine.p.ru_initial_personnel == 80_000.0
    assert mine.p.ua_initial_personnel == spec.forces["ua_initial_personnel"].value


def test_the_bent_map_runs_a_whole_war_and_a_ceasefire():
    for arm in ("no_deal", "territory_first"):
        m = CeasefireModel(sequencing=arm, horizon_days=200, rng=1, map_path=BENT)
        m.run_for(200)
        assert m.ua_area >= 0 and np.all(m.forces.view("strength") >= 0)


# --- maps that must not load -------------------------------------------------------------
def _error(path: Path) -> str:
    with pytest.raises(MapFileError) as info:
        load_map(path)
    return str(info.value)


def test_a_self_intersecting_outline_is_refused(tmp_path):
    path = bent_variant(tmp_path, "[48.00, 36.00],\n    [47.60, 36.00],",
                    "[47.60, 36.00],\n    [48.00, 36.00],")
    msg = _error(path)
    assert "variant.toml" in msg and "oblast.outline" in msg and "crosses itself" in msg


def test_an_outline_with_no_area_is_refused(tmp_path):
    path = bent_variant(tmp_path, "[48.00, 35.00],\n    [48.00, 36.00],\n    [47.60, 36.00],",
                    "[47.70, 35.00],\n    [47.80, 35.00],\n    [47.90, 35.00],")
    assert "encloses no area" in _error(path)


def test_a_line_that_never_crosses_the_oblast_is_refused(tmp_path):
    text = BENT.read_text(encoding="utf-8")
    head, _ = text.split("[line_of_contact]")
    path = tmp_path / "variant.toml"
    path.write_text(head + "[line_of_contact]\npoints = [[48.05, 34.80], [48.05, 36.30]]\n",
                    encoding="utf-8")
    msg = _error(path)
    assert "never runs through the oblast" in msg


def test_a_ua_side_along_the_line_is_refused(tmp_path):
    path = bent_variant(tmp_path, 'ua_side = "north"', 'ua_side = "east"')
    msg = _error(path)
    assert "map.ua_side = 'east'" in msg and "north or south" in msg


# --- Ukraine on any side -------------------------------------------------------------------
def _turned(tmp_path: Path, side: str) -> Path:
    """The bent map turned so that Ukraine holds ``side``: mirrored north-south for
    "south"; lat and lon swapped about the oblast's centre for "east" (and then mirrored
    east-west for "west"). The line still runs partly along the oblast's border."""
    import tomllib

    from dmzsim.runs.experiment.tomlout import dumps

    data = tomllib.loads(BENT.read_text(encoding="utf-8"))
    lat_c, lon_c = 47.80, 35.50

    def turn(lat: float, lon: float) -> list[float]:
        dlat, dlon = lat - lat_c, lon - lon_c
        if side == "south":
            return [lat_c - dlat, lon]
        # north -> east: a point dlat north lands dlat (in degrees of lat, as km) east
        east = dlat * 110.57 / (111.32 * np.cos(np.radians(lat_c)))
        north = dlon * (111.32 * np.cos(np.radians(lat_c))) / 110.57
        return [float(lat_c + north), float(lon_c + (east if side == "east" else -east))]

    data["map"]["ua_side"] = side
    data["oblast"]["outline"] = [turn(*p) for p in data["oblast"]["outline"]]
    data["line_of_contact"]["points"] = [turn(*p) for p in data["line_of_contact"]["points"]]
    for t in data["towns"]:
        t["lat"], t["lon"] = turn(t["lat"], t["lon"])
    path = tmp_path / f"bent_{side}.toml"
    path.write_text(dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("side", ["south", "east", "west"])
def test_ukraine_on_any_side_of_the_line(tmp_path, side):
    from dmzsim.model.map_schema import map_warnings

    path = _turned(tmp_path, side)
    spec = load_map(path)
    assert not any("wrong way round" in w for w in map_warnings(spec))
    base = CeasefireModel(rng=0, map_path=BENT).theatre
    m = _after_withdrawal(path, "unilateral", 10.0)
    th = m.theatre
    assert not np.any(th.ua_ground() & th.in_oblast)
    assert np.all(m.lines.has_line()) and np.all(th.front_km > 0)
    # the same theatre turned: the same ground on each side and the same front, to a cell
    turned = CeasefireModel(rng=0, map_path=path).theatre
    assert turned.ua_area_km2(oblast_only=True) == pytest.approx(
        base.ua_area_km2(oblast_only=True), rel=0.05)
    assert turned.front_km.sum() == pytest.approx(base.front_km.sum(), rel=0.1)
    war = CeasefireModel(sequencing="no_deal", horizon_days=120, rng=1, map_path=path)
    war.run_for(120)
    assert 0 <= war.ua_area <= base.ua_area_km2()
