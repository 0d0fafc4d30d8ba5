"""The whole line as front: a map's ``[line_of_contact] front = "whole"`` makes the line
inside the theatre the front, so that where the oblast's outline runs does not decide
which line is fought over; the default, ``"in_oblast"``, keeps today's front."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dmzsim.model.model import CeasefireModel
from dmzsim.model.theatre import _active_stretch
from dmzsim.model.theatre_map import MapFileError, load_map

from tests.helpers import ROOT

BORDER_MAP = ROOT / "model" / "maps" / "synthetic_border.toml"
# its last stretch runs along the oblast's southern border (47.60 N)
ALONG = "    [47.60, 35.50],\n    [47.60, 36.30],\n]"
OUTSIDE = "    [47.573, 35.50],\n    [47.573, 36.30],\n]"  # 3 km south, out of the oblast
POINTS = "[line_of_contact]\n"


def border_variant(folder: Path, front: str, moved: bool) -> Path:
    """The border map with its border stretch along the border or 3 km outside it, and
    the given ``front`` rule."""
    text = BORDER_MAP.read_text(encoding="utf-8")
    assert ALONG in text and POINTS in text
    if moved:
        text = text.replace(ALONG, OUTSIDE)
    text = text.replace(POINTS, f'{POINTS}front = "{front}"\n')
    path = folder / f"border-{front}-{'moved' if moved else 'along'}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _sectors(path: Path) -> int:
    return CeasefireModel(sequencing="frozen_line", rng=0, map_path=path).theatre.n_sectors


def test_moving_a_border_stretch_across_the_border_keeps_the_whole_front(tmp_path):
    along, outside = (_sectors(border_variant(tmp_path, "whole", moved)) for moved in (False, True))
    assert abs(along - outside) <= 1, (along, outside)


def test_with_the_front_in_the_oblast_the_same_move_cuts_the_front(tmp_path):
    """The control: the default rule drops the stretch once it lies outside the oblast."""
    along, outside = (_sectors(border_variant(tmp_path, "in_oblast", moved))
                      for moved in (False, True))
    assert along - outside >= 2, (along, outside)


def test_the_whole_front_is_at_least_the_front_in_the_oblast(tmp_path):
    whole = CeasefireModel(rng=0, map_path=border_variant(tmp_path, "whole", False)).theatre
    oblast = CeasefireModel(rng=0, map_path=BORDER_MAP).theatre
    assert whole.n_sectors >= oblast.n_sectors
    assert float(whole.front_km.sum()) > float(oblast.front_km.sum())
    assert np.all(whole.active_line)


def test_in_oblast_is_the_default_and_changes_nothing(tmp_path):
    """Null: a map that names the default rule gives the same active front and runs."""
    named = border_variant(tmp_path, "in_oblast", False)
    a, b = load_map(BORDER_MAP), load_map(named)
    assert b.line_of_contact.front == a.line_of_contact.front == "in_oblast"
    ma = CeasefireModel(sequencing="frozen_line", rng=3, map_path=BORDER_MAP, horizon_days=120)
    mb = CeasefireModel(sequencing="frozen_line", rng=3, map_path=named, horizon_days=120)
    assert np.array_equal(_active_stretch(ma.theatre.raster), _active_stretch(mb.theatre.raster))
    for _ in range(120):
        ma.step()
        mb.step()
    assert ma.record.day_resumed == mb.record.day_resumed or (
        np.isnan(ma.record.day_resumed) and np.isnan(mb.record.day_resumed))
    assert np.array_equal(ma.theatre.control_flat, mb.theatre.control_flat)


def test_an_unknown_front_rule_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BORDER_MAP.read_text(encoding="utf-8").replace(
        POINTS, f'{POINTS}front = "oblast"\n'), encoding="utf-8")
    with pytest.raises(MapFileError, match="front"):
        load_map(path)


# --- a declared stretch ("between") ------------------------------------------------------------
ENDS = "front_ends = [[47.85, 35.02], [47.60, 35.98]]\n"


def _between(folder: Path, moved: bool) -> Path:
    path = border_variant(folder, "between", moved)
    path.write_text(path.read_text(encoding="utf-8").replace(
        'front = "between"\n', f'front = "between"\n{ENDS}'), encoding="utf-8")
    return path


def test_a_declared_stretch_keeps_the_front_when_the_border_stretch_moves(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    along = _sectors(_between(tmp_path / "a", False))
    outside = _sectors(_between(tmp_path / "b", True))
    assert abs(along - outside) <= 1, (along, outside)


def test_the_default_maps_declared_stretch_is_its_line_in_the_oblast_at_every_margin(tmp_path):
    """The default map declares its front's ends where the line met the outline: the same
    cells as the in-oblast rule, and a front that a wider or narrower margin leaves alone."""
    default = ROOT / "model" / "maps" / "donetsk_2026-02.toml"
    text = default.read_text(encoding="utf-8")
    assert 'front = "between"' in text and "margin_km = 40.0" in text
    oblast = tmp_path / "oblast.toml"
    oblast.write_text(text.replace('front = "between"\n', 'front = "in_oblast"\n').replace(
        "front_ends = [[49.218, 37.728], [48.043, 36.599]]\n", ""), encoding="utf-8")
    base = CeasefireModel(rng=0).theatre
    in_oblast = CeasefireModel(rng=0, map_path=oblast).theatre
    assert np.array_equal(base.active_line, in_oblast.active_line)
    for margin in ("20.0", "60.0"):
        path = tmp_path / f"m{margin}.toml"
        path.write_text(text.replace("margin_km = 40.0", f"margin_km = {margin}"), encoding="utf-8")
        other = CeasefireModel(rng=0, map_path=path).theatre
        assert other.n_sectors == base.n_sectors
        assert float(other.front_km.sum()) == pytest.approx(float(base.front_km.sum()), abs=2.0)


@pytest.mark.parametrize("line", ['front = "between"\n', f'front = "whole"\n{ENDS}',
                                  'front = "between"\nfront_ends = [[47.85, 35.02]]\n',
                                  'front = "between"\nfront_ends = [[45.0, 30.0], [47.6, 35.9]]\n'])
def test_declared_ends_are_checked(tmp_path, line):
    path = tmp_path / "bad.toml"
    path.write_text(BORDER_MAP.read_text(encoding="utf-8").replace(POINTS, f"{POINTS}{line}"),
                    encoding="utf-8")
    with pytest.raises(MapFileError, match="front"):
        CeasefireModel(rng=0, map_path=path)
