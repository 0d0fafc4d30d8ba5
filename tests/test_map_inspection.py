"""``dmzsim map``: what a map gives the model, and the warnings a valid map can earn."""

from __future__ import annotations

import json

import pytest
from dmzsim.model.map_inspection import inspect_map
from dmzsim.model.map_schema import MIN_REAR_MARGIN_KM, map_warnings
from dmzsim.model.theatre_map import load_map
from dmzsim.runs.cli import main
from matplotlib.figure import Figure

from tests.helpers import BENT_MAP as BENT
from tests.helpers import bent_variant


def test_the_default_map_as_the_model_sees_it():
    m = inspect_map()
    a = m.areas_km2
    parts = ("ukraine_in_oblast", "russia_in_oblast", "ukraine_outside_oblast",
             "russia_outside_oblast")
    assert sum(a[k] for k in parts) == pytest.approx(a["theatre"])
    assert a["ukraine_in_oblast"] == pytest.approx(4850, rel=0.1)  # sources §1.4
    assert all(t.held_by == t.stated for t in m.towns if t.stated is not None)
    assert sum(t.stated is not None for t in m.towns) >= 10
    uni = next(z for z in m.zones if z.name == "unilateral")
    assert uni.ceded_km2 == pytest.approx(a["ukraine_in_oblast"])
    assert uni.ua_left_in_oblast_km2 == 0 and "Kramatorsk" in uni.towns_ceded
    assert all(z.every_sector_has_a_front for z in m.zones)
    assert not m.warnings


def test_a_flipped_ua_side_is_warned_about_and_names_the_towns(tmp_path):
    path = bent_variant(tmp_path, 'ua_side = "north"', 'ua_side = "south"')
    warnings = map_warnings(load_map(path))
    assert any("wrong way round" in w and "Hillford" in w and "Bendtown" in w
               for w in warnings)
    assert not any("wrong way round" in w for w in map_warnings(load_map(BENT)))


def test_a_shallow_rear_margin_is_warned_about(tmp_path):
    deep = bent_variant(tmp_path, "rear_margin_km = 30.0",
                    f"rear_margin_km = {MIN_REAR_MARGIN_KM}")
    assert not map_warnings(load_map(deep))
    assert any("rear_margin_km = 30" in w for w in map_warnings(load_map(BENT)))


def test_dmzsim_map_prints_the_tables_the_warnings_and_a_figure(tmp_path, capsys,
                                                                 monkeypatch):
    headings = []
    suptitle = Figure.suptitle
    monkeypatch.setattr(Figure, "suptitle",
                        lambda fig, text, **kw: headings.append(text) or suptitle(fig, text, **kw))
    path = bent_variant(tmp_path, 'ua_side = "north"', 'ua_side = "south"')
    figure = tmp_path / "map.png"
    assert main(["map", str(path), "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    for needle in ("in the oblast", "Hillford", "sectors of about 20 km", "unilateral",
                   "mirrored 10 km", "warning: map.ua_side"):
        assert needle in out
    assert figure.stat().st_size > 20_000 and figure.read_bytes()[:4] == b"\x89PNG"
    found = inspect_map(path)  # the figure is headed by the map, not by a panel
    assert headings == [f"{found.name} ({found.date}), cells of {found.cell_km:g} km"]


def test_dmzsim_map_json_and_parameters(capsys):
    assert main(["map", str(BENT), "--json", "--set", "sector_km=10"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["sector_km"] == 10 and len(found["sector_lengths_km"]) >= 8


def test_dmzsim_map_on_a_bad_map_exits_2_naming_the_file_and_key(tmp_path, capsys):
    path = bent_variant(tmp_path, "margin_km = 10.0", 'margin_km = "10"')
    assert main(["map", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "map.margin_km" in err and "Traceback" not in err


def test_sim_warns_about_a_suspicious_map(tmp_path, capsys):
    path = bent_variant(tmp_path, 'ua_side = "north"', 'ua_side = "south"')
    assert main(["sim", "--map", str(path), "--set", "horizon_days=30"]) == 0
    assert "warning: map file" in capsys.readouterr().err


def test_the_figure_draws_sector_borders_along_the_front_and_keys_every_colour():
    """Sector borders only near the front (sectors partition the theatre, but they are
    stretches of the front); every town colour in the key; a town in a mirrored zone is
    drawn as in the zone, not as Russia's."""
    import numpy as np
    from dmzsim.model import map_picture
    from dmzsim.model.map_inspection import _declared, _theatre
    from dmzsim.model.params import Params
    from dmzsim.model.theatre import cached_raster
    from dmzsim.model.theatre_map import default_map_path
    from matplotlib.colors import to_hex

    p = Params()
    raster = cached_raster(default_map_path(), p.cell_km)
    drawn = _theatre(raster, p)
    mirrored = _declared(raster, p, "mirrored", "mirrored")[0]
    for th in (drawn, mirrored):
        segments = map_picture.sector_border_segments(th)
        assert segments
        band = map_picture.border_band(th)
        for (x0, y0), (x1, y1) in segments:  # both cells beside an edge are near the front
            i, j = int(0.5 * (x0 + x1) / th.cell_km), int(0.5 * (y0 + y1) / th.cell_km)
            assert band[min(i, band.shape[0] - 1), min(j, band.shape[1] - 1)]
        assert band.mean() < 0.2  # a band along the front, not the theatre
    in_zone = [t for t in raster.towns if mirrored.dmz[t.cell]]
    assert in_zone and all(map_picture.town_side(mirrored, t.cell) == "zone" for t in in_zone)

    fig = map_picture.figure("Donetsk", [("as drawn", drawn), ("mirrored", mirrored)])
    keyed = {to_hex(h.get_color() if hasattr(h, "get_color") else h.get_facecolor())
             for h in fig.legends[0].legend_handles}
    used = {to_hex(line.get_color()) for ax in fig.axes for line in ax.get_lines()}
    assert used <= keyed, used - keyed
    assert {to_hex(c) for c, _ in map_picture.TOWN_COLOURS.values()} <= used
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "town in the zone" in labels and "oblast boundary" in labels
    assert np.all([to_hex(c) in keyed for c in map_picture.COLOURS])
