"""The theatre map: file format, validation and rasteriser."""

from __future__ import annotations

import math
import random  # noqa: TID251 (seeded random.Random instances for Mesa grids)
import re
from pathlib import Path

import numpy as np
import pytest
from dmzsim.model.theatre_map import (
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON_EQUATOR,
    MapFileError,
    MapSpec,
    Raster,
    default_map_path,
    load_map,
    rasterise,
)

SYNTHETIC = Path(__file__).resolve().parent.parent / "model" / "maps" / "synthetic_small.toml"

# Synthetic map geometry (see the file): rectangle 48.00-48.36 N, 37.00-37.80 E,
# margin 10 km, line of contact at 37.40 E.
LAT_C = 48.18
KX = KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(LAT_C))
KY = KM_PER_DEG_LAT
MARGIN = 10.0
LINE_X = MARGIN + 0.40 * KX
WIDTH = 0.80 * KX + 2 * MARGIN
HEIGHT = 0.36 * KY + 2 * MARGIN


@pytest.fixture(scope="module")
def synthetic() -> MapSpec:
    return load_map(SYNTHETIC)


@pytest.fixture(scope="module")
def syn2(synthetic: MapSpec) -> Raster:
    return rasterise(synthetic, 2.0)


@pytest.fixture(scope="module")
def donetsk() -> Raster:
    return rasterise(load_map(default_map_path()), 2.0)


# --- synthetic map -----------------------------------------------------------------------
def test_synthetic_shape_follows_cell_size(synthetic: MapSpec) -> None:
    for cell_km in (0.5, 1.0, 2.0, 3.0, 5.0):
        r = rasterise(synthetic, cell_km)
        assert r.shape == (math.ceil(WIDTH / cell_km), math.ceil(HEIGHT / cell_km))
        assert r.cell_area_km2 == pytest.approx(cell_km**2)
        for name in (
            "lat",
            "lon",
            "in_oblast",
            "ua_held",
            "depth_km",
            "along_km",
            "town_id",
            "urban",
        ):
            assert getattr(r, name).shape == r.shape, name
    assert rasterise(synthetic, 1.0).shape == (80, 60)
    assert rasterise(synthetic, 2.0).shape == (40, 30)


def test_synthetic_coordinates_are_x_east_y_north(syn2: Raster) -> None:
    assert np.all(np.diff(syn2.lon, axis=0) > 0)  # x (first index) runs east
    assert np.all(np.diff(syn2.lat, axis=1) > 0)  # y (second index) runs north
    assert np.allclose(np.diff(syn2.lon, axis=1), 0)
    assert syn2.lat[0, 0] == pytest.approx(48.0 - MARGIN / KY + 1.0 / KY)


def test_synthetic_ua_held_is_west_of_the_line(synthetic: MapSpec) -> None:
    for cell_km in (1.0, 2.0, 3.0):
        r = rasterise(synthetic, cell_km)
        assert np.array_equal(r.ua_held, r.x_km < LINE_X)
        assert np.array_equal(r.ua_held, r.lon < 37.40)


def test_synthetic_depth_is_signed_east_west_distance(syn2: Raster) -> None:
    assert np.allclose(syn2.depth_km, LINE_X - syn2.x_km, atol=1e-6)
    assert np.array_equal(syn2.depth_km > 0, syn2.ua_held)


def test_synthetic_along_runs_north_to_south(syn2: Raster) -> None:
    assert np.all(syn2.along_km >= 0)
    assert np.all(np.diff(syn2.along_km, axis=1) < 0)  # decreases northward
    assert np.allclose(np.diff(syn2.along_km, axis=0), 0, atol=1e-9)
    # zero at the northern edge of the grid (the theatre rounded up to whole cells)
    assert np.allclose(syn2.along_km, syn2.shape[1] * syn2.cell_km - syn2.y_km, atol=1e-6)


def test_synthetic_oblast_area(synthetic: MapSpec) -> None:
    expected = 0.80 * KX * 0.36 * KY
    for cell_km, tol in ((0.5, 0.02), (1.0, 0.03), (2.0, 0.06)):
        r = rasterise(synthetic, cell_km)
        assert r.area_km2(r.in_oblast) == pytest.approx(expected, rel=tol)
    r = rasterise(synthetic, 1.0)
    assert r.area_km2(np.ones(r.shape, bool)) == pytest.approx(80 * 60)


def test_synthetic_towns_and_urban_mask(synthetic: MapSpec) -> None:
    for cell_km in (1.0, 2.0):
        r = rasterise(synthetic, cell_km)
        assert [t.name for t in r.towns] == ["Northfort", "Southfort", "Eastville"]
        assert [t.fortress_belt for t in r.towns] == [True, True, False]
        for i, t in enumerate(r.towns):
            tx, ty = (t.lon - 37.0) * KX + MARGIN, (t.lat - 48.0) * KY + MARGIN
            cx, cy = t.cell
            assert abs(r.x_km[cx, cy] - tx) <= cell_km / 2 + 1e-9
            assert abs(r.y_km[cx, cy] - ty) <= cell_km / 2 + 1e-9
            assert r.town_id[t.cell] == i
            inside = np.hypot(r.x_km - tx, r.y_km - ty) <= t.radius_km
            assert np.all(r.town_id[inside] == i)
            expected = inside.copy()
            expected[t.cell] = True
            assert np.array_equal(r.town_id == i, expected)
        assert np.array_equal(r.urban, r.town_id >= 0)
        assert r.ua_held[r.towns[0].cell] and r.ua_held[r.towns[1].cell]
        assert not r.ua_held[r.towns[2].cell]


def test_synthetic_helpers(syn2: Raster) -> None:
    assert syn2.km_to_cells(10.0) == 5
    assert syn2.km_to_cells(3.0) == 2
    assert syn2.km_to_cells(0.0) == 0
    assert syn2.area_km2(syn2.urban) == pytest.approx(4.0 * np.count_nonzero(syn2.urban))
    assert syn2.map_name == "Synthetic small"
    assert str(syn2.map_date) == "2026-01-01"
    with pytest.raises(ValueError):
        syn2.ua_held[0, 0] = False  # arrays are read-only


def test_raster_fits_a_mesa_grid(syn2: Raster) -> None:
    from mesa.discrete_space import OrthogonalMooreGrid, PropertyLayer

    grid = OrthogonalMooreGrid(syn2.shape, torus=False, random=random.Random(0))
    grid.add_property_layer(PropertyLayer.from_data("ua", syn2.ua_held.astype(bool)))
    assert (grid.width, grid.height) == syn2.shape
    x, y = syn2.towns[2].cell
    assert grid.ua.data[x, y] == syn2.ua_held[x, y]


# --- the default map ---------------------------------------------------------------------
def _town(r: Raster, name: str) -> tuple[int, int]:
    return next(t.cell for t in r.towns if t.name == name)


def test_default_map_areas(donetsk: Raster) -> None:
    oblast = donetsk.area_km2(donetsk.in_oblast)
    assert oblast == pytest.approx(26_517, rel=0.10)
    ua_oblast = donetsk.area_km2(donetsk.in_oblast & donetsk.ua_held)
    assert 4_500 <= ua_oblast <= 6_500
    assert donetsk.area_km2(~donetsk.in_oblast & donetsk.ua_held) > 1_000


def test_default_map_control_of_towns(donetsk: Raster) -> None:
    assert len(donetsk.towns) == 17
    belt = {t.name for t in donetsk.towns if t.fortress_belt}
    assert belt == {"Sloviansk", "Kramatorsk", "Druzhkivka", "Kostiantynivka"}
    for name in [*sorted(belt), "Dobropillia", "Lyman"]:
        assert donetsk.ua_held[_town(donetsk, name)], name
    for name in (
        "Siversk",
        "Bakhmut",
        "Chasiv Yar",
        "Toretsk",
        "Pokrovsk",
        "Myrnohrad",
        "Kurakhove",
        "Velyka Novosilka",
        "Horlivka",
        "Donetsk",
        "Mariupol",
    ):
        assert not donetsk.ua_held[_town(donetsk, name)], name
    for name in ("Lyman", "Kostiantynivka"):  # contested: on or next to the line
        assert 0 < donetsk.depth_km[_town(donetsk, name)] < 5, name
    for t in donetsk.towns:
        assert donetsk.in_oblast[t.cell], t.name


def test_default_map_front_coordinates(donetsk: Raster) -> None:
    assert np.array_equal(donetsk.depth_km > 0, donetsk.ua_held)
    assert np.all(donetsk.along_km >= 0)
    # along the belt from north to south
    along = [
        donetsk.along_km[_town(donetsk, n)]
        for n in ("Lyman", "Sloviansk", "Kramatorsk", "Druzhkivka", "Kostiantynivka")
    ]
    assert along == sorted(along)
    # the theatre reaches beyond the oblast on every side
    assert not donetsk.in_oblast[0, :].any() and not donetsk.in_oblast[-1, :].any()
    assert not donetsk.in_oblast[:, 0].any() and not donetsk.in_oblast[:, -1].any()


# --- malformed map files -----------------------------------------------------------------
def _write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(path: Path) -> str:
    with pytest.raises(MapFileError) as info:
        load_map(path)
    message = str(info.value)
    assert str(path) in message
    return message


BASE = SYNTHETIC.read_text(encoding="utf-8")


def test_unknown_key(tmp_path: Path) -> None:
    msg = _error(
        _write(tmp_path, BASE.replace('ua_side = "west"', 'ua_side = "west"\ncolour = "red"'))
    )
    assert "map.colour = 'red'" in msg and "unknown key" in msg and "margin_km" in msg


def test_latitude_out_of_range(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, BASE.replace("lat = 48.10", "lat = 95.0")))
    assert "towns[1].lat = 95.0: must be <= 90" in msg


def test_two_point_outline(tmp_path: Path) -> None:
    text = BASE.replace("    [48.36, 37.80],\n    [48.00, 37.80],\n", "")
    msg = _error(_write(tmp_path, text))
    assert "oblast.outline" in msg and "at least 3" in msg


def test_missing_line_of_contact(tmp_path: Path) -> None:
    text = BASE.split("[line_of_contact]")[0]
    msg = _error(_write(tmp_path, text))
    assert "line_of_contact: missing" in msg


def test_line_that_does_not_split_the_theatre(tmp_path: Path) -> None:
    text = BASE.replace(
        "[48.40, 37.40],\n    [47.96, 37.40]", "[48.40, 39.40],\n    [47.96, 39.40]"
    )
    msg = _error(_write(tmp_path, text))
    assert "line_of_contact.points" in msg and "does not split" in msg


def test_town_outside_theatre(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, BASE.replace("lon = 37.60", "lon = 39.60")))
    assert "towns[2]" in msg and "Eastville" in msg and "outside the theatre" in msg


def test_bad_side_and_date(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, BASE.replace('ua_side = "west"', 'ua_side = "left"')))
    assert "map.ua_side = 'left'" in msg
    msg = _error(_write(tmp_path, BASE.replace('"2026-01-01"', '"2026-13-01"')))
    assert "map.date = '2026-13-01'" in msg


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(MapFileError, match=re.escape(str(path))):
        load_map(path)


def test_toml_syntax_error(tmp_path: Path) -> None:
    msg = _error(
        _write(tmp_path, BASE.replace("margin_km = 10.0", "margin_km = = 10.0"), name="broken.toml")
    )
    assert "broken.toml" in msg and "not valid TOML" in msg


def test_other_sides_close_correctly(tmp_path: Path) -> None:
    east = load_map(_write(tmp_path, BASE.replace('ua_side = "west"', 'ua_side = "east"')))
    r = rasterise(east, 2.0)
    assert np.array_equal(r.ua_held, r.x_km > LINE_X)
    assert np.allclose(r.depth_km, r.x_km - LINE_X, atol=1e-6)
    # an east-west line held from the north
    text = BASE.replace(
        "[48.40, 37.40],\n    [47.96, 37.40]", "[48.18, 36.80],\n    [48.18, 38.00]"
    ).replace('ua_side = "west"', 'ua_side = "north"')
    r = rasterise(load_map(_write(tmp_path, text, "north.toml")), 2.0)
    line_y = MARGIN + 0.18 * KY
    assert np.array_equal(r.ua_held, r.y_km > line_y)
    assert np.all(np.diff(r.along_km, axis=0) > 0)  # west to east along the line


def test_no_silent_coercion(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, BASE.replace("lat = 48.10", 'lat = "48.10"')))
    assert "towns[1].lat = '48.10'" in msg
    msg = _error(_write(tmp_path, BASE.replace("fortress_belt = false", "fortress_belt = 0")))
    assert "towns[2].fortress_belt = 0" in msg
    msg = _error(_write(tmp_path, BASE.replace('date = "2026-01-01"', "date = 20260101")))
    assert "map.date = 20260101" in msg
    # a TOML date and integer coordinates are fine
    spec = load_map(_write(tmp_path, BASE.replace('"2026-01-01"', "2026-01-01"), "ok.toml"))
    assert str(spec.map.date) == "2026-01-01"


def test_line_that_crosses_itself(tmp_path: Path) -> None:
    text = BASE.replace(
        "[48.40, 37.40],\n    [47.96, 37.40]",
        "[48.40, 37.40],\n    [47.96, 37.40],\n    [47.96, 37.50],\n"
        "    [48.10, 37.50],\n    [48.10, 37.30]",
    )
    msg = _error(_write(tmp_path, text))
    assert "line_of_contact.points" in msg and "crosses itself" in msg


def test_closing_point_is_optional(tmp_path: Path, synthetic: MapSpec) -> None:
    text = BASE.replace("    [48.00, 37.80],\n]", "    [48.00, 37.80],\n    [48.00, 37.00],\n]")
    closed = rasterise(load_map(_write(tmp_path, text)), 2.0)
    assert np.array_equal(closed.in_oblast, rasterise(synthetic, 2.0).in_oblast)


@pytest.mark.parametrize("cell_km", [1.0, 3.0, 7.5])
def test_default_map_at_other_cell_sizes(cell_km: float) -> None:
    r = rasterise(load_map(default_map_path()), cell_km)
    assert np.all(r.along_km >= 0)
    assert np.array_equal(r.depth_km > 0, r.ua_held)
    assert 4_500 <= r.area_km2(r.in_oblast & r.ua_held) <= 6_500
