"""The visual run without a browser: controls from the schema, renderers, the page in solara.

The page is rendered with ``solara.render`` inside an ``AppLayout`` (which gives the
sidebar a place), its buttons are clicked as widgets, and the images it shows are
compared before and after. Everything runs on the small synthetic map.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import time
import tomllib
import typing

import numpy as np
import pandas as pd
import pytest
from dmzsim.model import outputs

solara = pytest.importorskip("solara")
ipyvuetify = pytest.importorskip("ipyvuetify")
import ipywidgets  # noqa: E402
import matplotlib.colors  # noqa: E402
from dmzsim.analysis.estimators import wilson  # noqa: E402
from dmzsim.model.forces import RU, UA  # noqa: E402
from dmzsim.model.model import CeasefireModel  # noqa: E402
from dmzsim.model.params import SEQUENCING_ARMS, Params, parameter_table  # noqa: E402
from dmzsim.model.processes.recording import summary  # noqa: E402
from dmzsim.runs.cli import main  # noqa: E402
from dmzsim.runs.cli import viz as viz_cli  # noqa: E402
from dmzsim.runs.experiment.published import PUBLISHED_DIR  # noqa: E402
from dmzsim.runs.experiment.seeds import run_seed  # noqa: E402
from dmzsim.runs.sweep.results import ResultsFolder  # noqa: E402
from dmzsim.runs.viz import controls as viz_controls  # noqa: E402
from dmzsim.runs.viz.components import (  # noqa: E402
    GROUPS,
    MORE,
    NONE_IN_DEAL,
    PANEL_PX,
    STALE,
    grouped,
    monitor_cards,
    monitor_values,
    picked_at,
)
from dmzsim.runs.viz.controls import InputError, control_spec, parse_seed, parse_value  # noqa: E402
from dmzsim.runs.viz.drawing import (  # noqa: E402
    CEDED,
    DMZ_GOLD,
    FALLEN,
    PHASE_LABEL,
    PHASE_SHADE,
    png_rgb,
)
from dmzsim.runs.viz.map import MapRenderer, deal_text, unit_stacks  # noqa: E402
from dmzsim.runs.viz.map_features import (  # noqa: E402
    attack_arrow,
    ceded_towns,
    focus_view,
    whole_view,
)
from dmzsim.runs.viz.plots import PlotsRenderer, phase_spans  # noqa: E402
from dmzsim.runs.viz.probe import probe  # noqa: E402
from dmzsim.runs.viz.replicates import (  # noqa: E402
    export_toml,
    run_replicates,
    summarise,
    write_export,
)
from PIL import Image as PILImage  # noqa: E402

from tests.helpers import ROOT, SMALL_MAP, same_records  # noqa: E402

v = ipyvuetify
FAST = {"horizon_days": 40}


def small_model(**overrides: typing.Any) -> CeasefireModel:
    return CeasefireModel(rng=3, map_path=SMALL_MAP, **overrides)


# --- controls come from the schema ----------------------------------------------------------------
def test_every_control_is_read_off_the_schema():
    """Bounds, defaults and choices of the controls are the schema's, for every field."""
    for row in parameter_table():
        spec = control_spec(row["name"])
        assert spec.default == row["default"]
        assert (spec.lo, spec.hi) == (row["min"], row["max"])
        assert spec.unit == row["unit"] and spec.doc == row["doc"]
    assert control_spec("sequencing").choices == SEQUENCING_ARMS
    assert control_spec("dmz_shape").choices == typing.get_args(
        Params.model_fields["dmz_shape"].annotation)


def test_slider_steps_hit_bounds_and_default():
    for spec in viz_controls.all_specs():
        if spec.kind in ("int", "float"):
            for value in (spec.hi, spec.default):
                k = (value - spec.lo) / spec.step
                assert abs(k - round(k)) < 1e-6, (spec.name, spec.step)
            assert (spec.hi - spec.lo) / spec.step <= 40_000


def test_front_panel_has_the_deal_zone_guarantee_monitoring_and_recruitment_controls():
    names = {n for group in viz_controls.FRONT_PANEL.values() for n in group}
    assert names <= set(Params.model_fields)
    wanted = {"sequencing", "dmz_shape", "dmz_width_km", "guarantee_delay_days",
              "guarantee_credibility", "guarantee_delivery_prob", "monitoring_coverage",
              "ru_recruits_per_month", "ua_recruits_per_month"}
    assert wanted <= names


@pytest.mark.parametrize(("text", "seed"), [("42", 42), (" 42 ", 42), ("1_000", 1000),
                                           ("+7", 7), ("0", 0), (str(2**63 - 1), 2**63 - 1)])
def test_seed_accepts_what_users_type(text, seed):
    assert parse_seed(text) == seed


@pytest.mark.parametrize("text", ["abc", "4.2", "-1", "", "1e3", "42abc", "0x10",
                                  str(2**63), "4 2"])
def test_seed_rejects_non_numbers_clearly(text):
    with pytest.raises(InputError, match="seed must be"):
        parse_seed(text)


def test_parameter_text_is_checked_against_type_and_bounds():
    spec = control_spec("dmz_width_km")
    assert parse_value(spec, " 12.5 ") == 12.5
    with pytest.raises(InputError, match=r"within 1..80 km"):
        parse_value(spec, "0.5")
    with pytest.raises(InputError, match="must be a number"):
        parse_value(spec, "ten")
    with pytest.raises(InputError, match="whole number"):
        parse_value(control_spec("withdrawal_days"), "3.5")
    with pytest.raises(InputError, match="choose one of"):
        parse_value(control_spec("sequencing"), "territory-first")


def test_all_parameters_are_grouped_as_the_schema_groups_them():
    groups = viz_controls.schema_groups()
    assert list(groups)[:2] == ["the deal", "forces"]
    assert sorted(n for names in groups.values() for n in names) == sorted(Params.model_fields)
    assert "sequencing" in groups["the deal"] and "decision_noise" in groups["decisions"]
    _, rc = solara.render(viz_controls.ParameterPanel(Params().model_dump(), lambda n, v: None),
                          handle_error=False)
    headings = [w.widget.children[0] for w in rc.find(v.Html, class_="dmz-group")]
    assert headings == list(groups)
    fields = [*rc.find(v.Html, class_="dmz-field"),
              *rc.find(v.Html, class_="dmz-field dmz-inactive")]  # greyed: does not apply
    assert len(fields) == len(Params.model_fields)
    rc.close()


def test_controls_that_do_not_apply_to_the_deal_are_greyed_with_the_reason():
    """A frozen line has no zone and no guarantees: their controls are disabled, each
    saying why; under territory_first they are live again."""
    frozen = Params(sequencing="frozen_line").model_dump()
    off = viz_controls.not_applicable(frozen)
    assert set(viz_controls.GUARANTEE_PARAMS) | {"dmz_width_km", "dmz_shape"} <= set(off)
    assert off["guarantee_credibility"] == "frozen_line: no guarantees"
    assert "monitoring_coverage" not in off  # a frozen line is monitored
    _, rc = solara.render(viz_controls.ParameterPanel(frozen, lambda n, v: None),
                          handle_error=False)
    for name in ("guarantee_credibility", "guarantee_delay_days", "dmz_width_km"):
        box = rc.find(v.Html, class_=f"dmz-control-{name} dmz-inactive")
        box.assert_single()
        box.find(v.Slider, disabled=True).assert_single()
    rc.find(v.Html, class_="dmz-control-monitoring_coverage").find(
        v.Slider, disabled=False).assert_single()
    reasons = [w.children[0] for w in rc.find(v.Html, class_="dmz-inactive-reason").widgets]
    assert "does not apply: frozen_line: no guarantees" in reasons
    assert rc.find(v.Select, label="dmz_shape").widget.disabled
    assert not rc.find(v.Select, label="sequencing (changed)").widget.disabled
    text = rc.find(v.TextField, label="guarantee_credibility [probability]").widget
    assert text.disabled and text.messages == ["does not apply: frozen_line: no guarantees"]
    rc.close()
    live = viz_controls.not_applicable(Params(sequencing="territory_first",
                                              dmz_shape="mirrored").model_dump())
    assert live == {"unilateral_zone": live["unilateral_zone"]}


def _moved(name: str, value: typing.Any) -> typing.Any:
    """Another valid value of a parameter, as far from ``value`` as its range allows."""
    spec = control_spec(name)
    if spec.kind == "choice":
        return next(c for c in spec.choices if c != value)
    if spec.kind == "text":
        return "north_half"  # the small map's other zone
    return spec.hi if value != spec.hi else spec.lo


@pytest.mark.parametrize("deal", [{"sequencing": "no_deal"}, {"sequencing": "frozen_line"},
                                  {"sequencing": "simultaneous"},
                                  {"sequencing": "territory_first", "dmz_shape": "unilateral"},
                                  {"sequencing": "territory_first", "dmz_shape": "mirrored"}],
                         ids=lambda d: "-".join(d.values()))
def test_greyed_controls_do_not_act_on_the_run(deal):
    """Every parameter greyed for a deal moved at once, on a run where the war resumes:
    the same run, day by day (the delivery draw is made in every arm, so a frozen line
    records it; nothing acts on it)."""
    base = {**deal, "ua_initial_personnel": 60_000.0, "resumption_cost_km2": 0.0,
            "horizon_days": 150}
    off = viz_controls.not_applicable(Params.build(base).model_dump())
    moved = {**base, **{n: _moved(n, Params.build(base).model_dump()[n]) for n in off}}
    runs = []
    for values in (base, moved):
        m = CeasefireModel(Params.build(values), rng=2, map_path=SMALL_MAP)
        m.run_for(150)
        record = {k: v for k, v in summary(m).items() if k != "guarantees_delivered"}
        runs.append((record, pd.DataFrame(m.datacollector.model_vars)))
    assert same_records([runs[0][0]], [runs[1][0]]), off
    assert runs[0][1].equals(runs[1][1]), off


def test_published_arms_are_scenarios():
    scenarios, notes = viz_controls.published_scenarios()
    labels = {s.label: s for s in scenarios}
    arm = labels["sequencing.toml › guarantees_first-mirrored"]
    assert arm.values["sequencing"] == "guarantees_first"
    assert arm.values["dmz_shape"] == "mirrored"
    assert arm.seed == tomllib.loads(
        (PUBLISHED_DIR / "sequencing.toml").read_text())["root_seed"]
    assert scenarios[0].values == Params().model_dump()
    assert not notes, notes


def test_plain_parameter_file_is_a_scenario(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('sequencing = "frozen_line"\nmonitoring_coverage = 0.9\n')
    [scenario] = viz_controls.load_scenarios(path)
    assert scenario.values["monitoring_coverage"] == 0.9 and scenario.seed == 0
    path.write_text("monitoring_coverag = 0.9\n")
    with pytest.raises(ValueError, match="did you mean 'monitoring_coverage'"):
        viz_controls.load_scenarios(path)


# --- renderers ------------------------------------------------------------------------------------
def test_map_shows_control_dmz_and_real_aspect_ratio():
    m = small_model(dmz_shape="mirrored", sequencing="territory_first")
    renderer = MapRenderer(m)
    png0 = renderer.frame(m)
    for _ in range(20):  # withdrawal done: the zone exists
        m.step()
    rgba = renderer.colours(m)
    th = m.theatre
    assert th.dmz.any() and rgba.shape[:2] == th.control.shape
    dmz = rgba[th.dmz & m.theatre.raster.in_oblast][:, :3] / 255.0
    assert np.all(np.linalg.norm(dmz - DMZ_GOLD, axis=1) < 0.45)
    assert renderer.frame(m) != png0
    ax = renderer.ax.get_window_extent()
    nx, ny = th.raster.shape
    assert ax.width / ax.height == pytest.approx(nx / ny, rel=0.02)


def test_fallen_towns_are_marked_again():
    m = small_model(sequencing="no_deal", horizon_days=365, ua_initial_personnel=60_000.0)
    renderer = MapRenderer(m)
    renderer.frame(m)

    def red_pixels() -> int:
        _, premultiplied, keep = renderer.overlay
        rgb = premultiplied / np.maximum(1.0 - keep, 1e-6)
        return int(np.sum((rgb[:, 0] > 140) & (rgb[:, 1] < 90) & (keep[:, 0] < 0.5)))

    before = red_pixels()
    held0 = m.theatre.towns_held.copy()
    while not np.any(held0 & ~m.theatre.towns_held) and m.running:
        m.step()
    assert np.any(held0 & ~m.theatre.towns_held), "expected a town to fall in a no-deal war"
    renderer.frame(m)
    assert red_pixels() > before + 20  # a red cross and a red label


def test_map_fills_its_width_at_the_pixel_density():
    m = small_model()
    for width, dpr in ((480, 1.0), (480, 2.0), (800, 1.5)):
        image = PILImage.open(io.BytesIO(MapRenderer(m, width, dpr).frame(m)))
        assert image.width == pytest.approx(width * dpr, abs=2)


def assert_labels_apart(m: CeasefireModel, width: float, view=None) -> MapRenderer:
    """Town labels on ``m``'s map at ``width`` CSS pixels: none overlaps another."""
    renderer = MapRenderer(m, width, 1.0, view)
    renderer.frame(m)
    boxes = renderer.label_boxes
    assert len(boxes) == len(renderer.labelled)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (width, view, a, b)
    return renderer


#: The map column's width in the page's two tested layouts, 1280 x 800 and 1600 x 1000
#: (the size bucket of tests/test_viz_browser.py's measured widths), and two more.
MAP_WIDTHS = (368, 432, 592, 800)


def test_town_labels_do_not_overlap_on_the_donetsk_map():
    """Chasiv Yar and Bakhmut, Myrnohrad and Pokrovsk: close towns, labels apart, in the
    default view (every town in it named) and the whole theatre (every fortress-belt
    town named; a crowded minor one may be left to the inspection)."""
    m = CeasefireModel(rng=1)
    towns = m.theatre.raster.towns
    belt = {t.name for t in towns if t.fortress_belt}
    for width in MAP_WIDTHS:
        focused = assert_labels_apart(m, width, focus_view(m))
        in_view = {t.name for t, xy in zip(towns, focused.town_xy, strict=True)
                   if focused.view[0] <= xy[0] <= focused.view[1]
                   and focused.view[2] <= xy[1] <= focused.view[3]}
        assert set(focused.labelled) == in_view, (width, in_view - set(focused.labelled))
        assert {"Chasiv Yar", "Bakhmut", "Pokrovsk", "Myrnohrad"} <= in_view
        whole = assert_labels_apart(m, width)
        assert belt <= set(whole.labelled), width


def test_the_default_view_frames_the_front_and_the_zone():
    """The map opens on the contested ground, a fraction of the theatre: the line in the
    oblast, Ukraine's ground there, and the zone the deal will declare, with a margin."""
    m = CeasefireModel(rng=1)
    r, k = m.theatre.raster, m.theatre.cell_km
    west, east, south, north = view = focus_view(m)
    whole = whole_view(m)
    assert east - west == pytest.approx(north - south)  # square
    assert (east - west) * (north - south) < 0.35 * whole[1] * whole[3]
    assert 0 <= west < east <= whole[1] and 0 <= south < north <= whole[3]
    contested = ((np.abs(r.depth_km) <= k) & r.in_oblast) | (r.ua_held & r.in_oblast)
    xs, ys = np.nonzero(contested)
    assert west <= xs.min() * k - 20 and (xs.max() + 1) * k + 20 <= east
    assert south <= ys.min() * k - 20 and (ys.max() + 1) * k + 20 <= north
    wide = CeasefireModel(rng=1, sequencing="territory_first", dmz_shape="mirrored",
                          dmz_width_km=40.0)
    assert focus_view(wide)[1] - focus_view(wide)[0] > east - west  # the zone is in view
    renderer = MapRenderer(m, 432, 1.0, view)
    renderer.frame(m)
    cell = m.theatre.attack_point(0)
    assert renderer.cell_at(*renderer.fraction_of(cell)) == cell
    assert renderer.fraction_of((0, 0)) is None  # out of view
    assert renderer.cell_at(0.01, 0.99) is None  # the margin, not the map


def test_tick_labels_keep_apart():
    """Degree ticks at most as dense as their labels allow, in either view and width."""
    m = CeasefireModel(rng=1)
    for width in (432, 592):
        for view in (focus_view(m), None):
            renderer = MapRenderer(m, width, 1.0, view)
            renderer.frame(m)
            labels = [t for t in renderer.ax.get_xticklabels() if t.get_text()]
            boxes = [t.get_window_extent(renderer.fig.canvas.get_renderer()) for t in labels]
            assert len(boxes) >= 3
            for a, b in itertools.pairwise(boxes):
                assert b.x0 - a.x1 >= 8, (width, view, a, b)
            assert all(t.get_fontsize() >= 8 for t in labels)


def test_ceded_towns_are_not_fallen_and_have_their_own_glyph():
    m = small_model(sequencing="territory_first", dmz_shape="unilateral")
    renderer = MapRenderer(m)
    renderer.frame(m)
    while m.phase != "dmz":
        m.step()
    ceded = ceded_towns(m)
    assert ceded.sum() == m.record.towns_ceded > 0 and m.record.towns_lost == 0
    renderer.frame(m)
    _, premultiplied, keep = renderer.overlay
    rgb = premultiplied / np.maximum(1.0 - keep, 1e-6)
    solid = keep[:, 0] < 0.5
    gold = np.array(matplotlib.colors.to_rgb(CEDED)) * 255
    red = np.array(matplotlib.colors.to_rgb(FALLEN)) * 255
    assert np.sum(solid & (np.abs(rgb - gold).max(axis=1) < 30)) > 20  # rings and labels
    assert np.sum(solid & (np.abs(rgb - red).max(axis=1) < 30)) == 0  # no "fallen" cross


def test_zone_colour_follows_its_state_and_the_line_and_arrow_are_drawn():
    m = CeasefireModel(rng=11, map_path=SMALL_MAP, sequencing="territory_first",
                       dmz_shape="mirrored", horizon_days=400,
                       ua_initial_personnel=60_000.0)  # resumes on day 34
    renderer = MapRenderer(m)
    while m.phase != "dmz":
        m.step()
    renderer.frame(m)
    zone = m.theatre.dmz & m.theatre.raster.in_oblast
    in_force = renderer.colours(m)[zone][:, :3] / 255.0
    assert np.all(np.linalg.norm(in_force - DMZ_GOLD, axis=1) < 0.45)
    assert len(renderer.front.get_segments()) > 0
    assert len(renderer.zone_edge.get_segments()) > 0
    assert not renderer.arrow.get_visible()
    while m.phase != "resumed" and m.running:
        m.step()
    assert m.phase == "resumed", "expected the offensive to resume"
    m.step()
    renderer.frame(m)
    zone = m.theatre.dmz & m.theatre.raster.in_oblast
    at_war = renderer.colours(m)[zone][:, :3] / 255.0
    assert np.all(np.linalg.norm(at_war - DMZ_GOLD, axis=1) > 0.3)  # not gold any more
    assert renderer.arrow.get_visible()
    start, tip = attack_arrow(m)
    assert np.hypot(*(tip - start)) >= 30.0 - 1e-9


def test_the_map_names_the_deal_without_a_zone_it_does_not_have():
    assert deal_text(Params(sequencing="frozen_line")) == \
        "frozen_line: ceasefire on the line, no zone"
    assert deal_text(Params(sequencing="no_deal")) == "no deal: the war goes on"
    assert deal_text(Params(sequencing="territory_first", dmz_shape="mirrored")) == \
        "territory_first, mirrored 10 km DMZ"
    m = small_model(sequencing="frozen_line")
    renderer = MapRenderer(m)
    renderer.frame(m)
    assert "DMZ" not in renderer.title.get_text()


def test_the_inspection_panel_opens_inside_the_window():
    """Beside the point clicked, towards the larger part of the screen, never past an
    edge, at 1280 x 800 and 1600 x 1000, wherever the click."""
    for w, h in ((1280, 800), (1600, 1000)):
        for x in (420, 640, 900, w - 5):
            for y in (70, h // 2, h - 5):
                picked = picked_at((1, 1), {"client_x": x, "client_y": y,
                                            "screen_w": w, "screen_h": h})
                assert picked.left >= 0 and picked.left + PANEL_PX <= w
                assert not (picked.left < x < picked.left + PANEL_PX), "covers the point"
                top = picked.top if picked.top is not None \
                    else h - picked.bottom - picked.max_height
                assert top >= 0 and top + picked.max_height <= h
                assert picked.max_height >= h / 2 - 60
    assert picked_at(None, {}) is None


def test_clicking_the_map_finds_the_cell_and_inspects_it_without_changing_the_run():
    m, twin = small_model(), small_model()
    renderer = MapRenderer(m)
    renderer.frame(m)
    for _ in range(30):
        m.step()
        twin.step()
        k = 0
        cell = m.theatre.attack_point(k)
        width, height = renderer.fig.canvas.get_width_height()
        x, y = renderer.ax.transData.transform(((cell[0] + 0.5) * m.theatre.cell_km,
                                                (cell[1] + 0.5) * m.theatre.cell_km))
        assert renderer.cell_at(x / width, 1 - y / height) == cell
        found = {f.title: f.lines for f in probe(m, cell)}
    assert summary(m) == summary(twin)  # inspecting drew no number and changed nothing
    text = " ".join(" ".join(lines) for lines in found.values())
    assert any(title.startswith("Ground at") for title in found)
    assert any(title.startswith(("Russia:", "Ukraine:")) for title in found)
    assert "strength" in text and "readiness" in text and "posture" in text
    sector = next(lines for title, lines in found.items() if title.startswith("Sector"))
    assert "build-up detections" in sector[1] and "expected ratio" in sector[2]
    assert "review" in sector[3]
    assert renderer.cell_at(-0.5, 0.5) is None


def test_units_are_stacked_by_cell_side_and_posture():
    m = small_model()
    stacks = unit_stacks(m)
    f = m.forces
    on_map = [r for r, u in m.units.items() if u.cell is not None and f.alive[r]]
    for side in (RU, UA):
        expected = sum(f.strength[r] for r in on_map if f.side[r] == side)
        assert stacks[stacks[:, 2] == side, 4].sum() == pytest.approx(expected)
    keys = {tuple(row[:4]) for row in stacks}
    assert len(keys) == len(stacks)


def test_plots_mark_the_resumption():
    m = small_model(sequencing="no_deal")
    renderer = PlotsRenderer(m)
    renderer.frame(m)
    m.step()
    renderer.frame(m)
    assert all(mark.get_visible() for mark in renderer.marks)
    assert renderer.note.get_text() == "offensive resumed on day 0"
    quiet = small_model(sequencing="guarantees_first")
    PlotsRenderer(quiet).frame(quiet)
    assert math.isnan(quiet.record.day_resumed)


def test_the_plot_grid_grows_with_the_list_of_plots(monkeypatch):
    from dmzsim.runs.viz import plots

    seventh = plots.PlotSpec("Losses (cumulative)", (("ru_losses", "#b2182b", "RU"),))
    monkeypatch.setattr(plots, "PLOTS", (*plots.PLOTS, seventh))
    m = small_model()
    renderer = PlotsRenderer(m)
    m.step()
    assert renderer.frame(m).startswith(b"\x89PNG")
    assert len(renderer.axes) == 7 and len(renderer.fig.axes) == 9  # 3 rows, 2 blank


@pytest.mark.parametrize("width", [432, 592])
def test_plot_text_is_readable_and_inside_the_image(width):
    """At the plots' width in the 1280 x 800 and 1600 x 1000 layouts: ticks at 8 pt, the
    key at 7.5 pt or more, and no title, tick or key entry running past the image."""
    m = small_model()
    m.step()
    renderer = PlotsRenderer(m, width, 1.0)
    renderer.frame(m)
    draw = renderer.fig.canvas.get_renderer()
    inside = renderer.fig.bbox
    texts = [*renderer.key.get_texts()]
    for ax in renderer.axes:
        texts.append(ax._left_title)
        for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            shown = [t.label1 for t in axis.get_major_ticks()
                     if lo <= t.get_loc() <= hi and t.label1.get_text()]
            assert shown and all(t.get_fontsize() >= 8 for t in shown)
            texts += shown
    assert renderer.key.get_texts()[0].get_fontsize() >= 7.5
    for text in texts:
        box = text.get_window_extent(draw)
        assert inside.x0 - 0.5 <= box.x0 and box.x1 <= inside.x1 + 0.5, text.get_text()
        assert inside.y0 - 0.5 <= box.y0 and box.y1 <= inside.y1 + 0.5, text.get_text()


def test_phase_spans():
    phases = ["ceasefire", "withdrawal", "withdrawal", "dmz", "dmz", "resumed"]
    assert phase_spans(phases, np.arange(6)) == [
        ("ceasefire", 0, 0), ("withdrawal", 1, 2), ("dmz", 3, 4), ("resumed", 5, 5)]


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.parametrize("phase", sorted(PHASE_SHADE))
def test_threshold_line_is_drawn_over_every_phase_shading(phase):
    """The 3:1 line stays visible whatever phase is shaded behind it (the shading is
    painted per frame, so the line must be drawn after it)."""
    m = small_model(horizon_days=60)
    for _ in range(30):
        m.step()
    m.datacollector.model_vars["phase"] = [phase] * len(m.datacollector.model_vars["day"])
    renderer = PlotsRenderer(m)
    px = _pixels(renderer.frame(m))
    ax = renderer.axes[0]
    height = px.shape[0]
    shade = np.array(matplotlib.colors.to_rgb(PHASE_SHADE[phase])) * 255
    hits = 0
    for day in range(8, 28):  # inside the shaded span, away from the data lines' ends
        x, y = ax.transData.transform((day, m.p.breakthrough_ratio))
        column = px[height - int(y) - 2:height - int(y) + 3, int(x)]
        assert np.any(np.abs(px[height - int(y) - 12, int(x)] - shade).max() < 8), \
            "the phase is shaded"
        hits += bool(np.any(column.max(axis=1) < 70))  # the threshold's black
    assert hits >= 10, f"threshold line hidden under the {phase} shading"


def test_every_phase_is_shaded_and_in_the_key():
    m = small_model()
    renderer = PlotsRenderer(m)
    keyed = {t.get_text() for t in renderer.key.get_texts()}
    for label in PHASE_LABEL.values():
        assert f"phase: {label}" in keyed
    assert set(PHASE_SHADE) >= {"ceasefire", "withdrawal", "dmz", "resumed", "war"}
    assert "breakthrough ratio (needed)" in keyed


def test_ratio_axis_has_a_labelled_threshold_tick_and_marks_infinity():
    m = small_model()
    renderer = PlotsRenderer(m)
    renderer.frame(m)
    ax = renderer.axes[0]
    assert m.p.breakthrough_ratio in ax.get_yticks()
    assert any(t.get_text() == "3" and t.get_fontweight() == "bold" for t in ax.texts)
    n = len(m.datacollector.model_vars["day"])
    m.datacollector.model_vars["force_ratio_main_axis"] = [math.inf] * n
    renderer.frame(m)
    edge = renderer.edges[0][0]
    assert len(edge.get_xdata()) == n and set(edge.get_ydata()) == {0.97}
    assert ax.get_ylim()[1] < 1e6  # clipped: the axis did not run off to infinity


def test_decision_panel_is_beside_the_force_ratio():
    from dmzsim.runs.viz.plots import PLOTS

    assert [name for name, _, _ in PLOTS[0].lines] == ["force_ratio_main_axis",
                                                       "expected_ratio"]
    assert PLOTS[0].threshold == "breakthrough_ratio"  # the required ratio, as a line
    assert [name for name, _, _ in PLOTS[1].lines] == ["value_resume_now", "value_wait"]


def test_monitors_read_the_model():
    m = small_model()
    m.step()
    shown = dict(monitor_values(m))
    assert shown["Day"] == f"1 / {m.p.horizon_days}"
    assert shown["Phase"] == m.phase
    assert shown["Territory Ukraine holds"] == f"{m.ua_area:,.0f} km²"


def test_monitors_are_grouped_and_named_for_what_they_show():
    """Five groups; every monitor of the output table placed in one; the two ratios name
    their sectors; credibility says it is 0 until the guarantees are in force; a deal
    without guarantees says so instead of "pending"."""
    m = small_model(sequencing="frozen_line")
    for _ in range(40):
        m.step()
    cards = monitor_cards(m)
    groups = grouped(cards)
    assert list(groups) == list(GROUPS)  # nothing left under "More"
    assert MORE not in groups
    labels = {c.label: c for c in cards}
    today = next(c for c in cards if c.label.startswith("Force ratio today"))
    assert re.search(r"sector \d+ \((highest today|Russia's main effort)\)", today.label)
    expected = next(c for c in cards if c.label.startswith("Russia's expected ratio"))
    assert re.search(r"sector \d+ \(its best", expected.label) and m.record.review
    assert today.group == "Forces" and expected.group == "Russia's estimate"
    assert labels["Guarantees"].value == NONE_IN_DEAL
    assert labels["Credibility (0 until guarantees are in force)"].value == "0.00"
    assert labels["Towns ceded by the deal"].group == "Costs to Ukraine"
    pending = small_model(sequencing="territory_first")
    pending.step()
    assert dict(monitor_values(pending))["Guarantees"] in ("pending", "not delivered")


def test_monitors_have_labels_units_and_one_value_each():
    """Each monitor is one value with its output's unit; towns ceded by the deal and
    towns lost to the offensive are separate monitors (no cryptic "a (b)")."""
    m = small_model(sequencing="territory_first", dmz_shape="unilateral")
    while m.phase != "dmz":
        m.step()
    cards = {c.label: c for c in monitor_cards(m)}
    assert m.record.towns_ceded > 0
    assert cards["Towns ceded by the deal"].value == str(m.record.towns_ceded)
    assert cards["Towns lost to the offensive"].value == "0"
    assert cards["Towns ceded by the deal"].unit == "towns"
    assert cards["RU personnel"].unit == "personnel"
    for card in cards.values():
        assert not re.fullmatch(r".+ \(.+\)", card.value) or card.value == STALE, card
        assert card.meaning, card.label
    war = small_model(sequencing="no_deal")
    war.step()
    cards = {c.label: c for c in monitor_cards(war)}
    assert cards["Value of resuming now"].value == STALE  # no ceasefire left to review
    assert cards["Decided by"].value == STALE


def test_frames_are_png_the_browser_reads():
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(png_rgb(rgb)))), rgb)


# --- the page -------------------------------------------------------------------------------------
@pytest.fixture
def viz_page(monkeypatch, tmp_path):
    monkeypatch.setenv("DMZSIM_MAP", str(SMALL_MAP))
    monkeypatch.setenv("DMZSIM_VIZ_OUT", str(tmp_path / "viz"))
    monkeypatch.setenv("DMZSIM_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("DMZSIM_SCENARIO", raising=False)
    from dmzsim.runs.viz import app

    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    yield rc
    pause = rc.find(v.Btn, children=["❚❚ Pause"])
    if pause:
        pause.widget.click()
    rc.close()


def day_text(rc) -> str:
    return rc.find(v.Html, class_="dmz-day").widget.children[0]


def images(rc) -> list[bytes]:
    return [img.widget.value for img in rc.find(ipywidgets.Image)]


def wait_until(predicate, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def enter(rc, label: str, text: str) -> None:
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("keyup.enter", None)  # what pressing Enter sends


def test_page_shows_map_plots_and_controls(viz_page):
    assert len(images(viz_page)) == 2
    assert day_text(viz_page).startswith("Day 0 of 730")
    for label in ("Reset", "▶ Play", "Step"):
        viz_page.find(v.Btn, children=[label]).assert_single()
    viz_page.find(v.Select, label="sequencing").assert_single()
    viz_page.find(v.TextField, label="seed").assert_single()
    # the day and the phase, then the output table's monitors
    assert len(viz_page.find(v.Html, class_="dmz-monitor-value")) == 2 + len(outputs.MONITORS)


def test_step_and_play_advance_the_day_and_change_the_pictures(viz_page):
    before = images(viz_page)
    viz_page.find(v.Btn, children=["Step"]).widget.click()
    assert day_text(viz_page).startswith("Day 1 of")
    after_step = images(viz_page)
    assert all(a != b for a, b in zip(before, after_step, strict=True))
    viz_page.find(v.Btn, children=["▶ Play"]).widget.click()
    wait_until(lambda: int(day_text(viz_page).split()[1]) >= 10)
    viz_page.find(v.Btn, children=["❚❚ Pause"]).widget.click()
    wait_until(lambda: viz_page.find(v.Btn, children=["▶ Play"]).widgets)
    assert all(a != b for a, b in zip(after_step, images(viz_page), strict=True))


def test_bad_seed_is_refused_and_a_good_one_applied(viz_page):
    enter(viz_page, "seed", "forty-two")
    field = viz_page.find(v.TextField, label="seed").widget
    assert field.error and "seed must be a whole number" in field.messages[0]
    assert day_text(viz_page).endswith("seed 0")
    enter(viz_page, "seed", " 7 ")
    assert day_text(viz_page).endswith("seed 7")  # day 0: applied at once


def test_changes_after_the_start_wait_for_reset(viz_page):
    viz_page.find(v.Btn, children=["Step"]).widget.click()
    viz_page.find(v.Select, label="sequencing").widget.v_model = "frozen_line"
    viz_page.find(v.Alert, class_="dmz-pending").assert_single()
    assert day_text(viz_page).startswith("Day 1 of")
    viz_page.find(v.Btn, children=["Reset"]).widget.click()
    assert day_text(viz_page).startswith("Day 0 of")
    assert not viz_page.find(v.Alert, class_="dmz-pending").widgets
    viz_page.find(v.Select, label="sequencing (changed)").assert_single()


def test_picking_a_published_arm_loads_it(viz_page):
    label = "dmz_design.toml › simultaneous"
    viz_page.find(v.Select, label="scenario").widget.v_model = label
    root_seed = tomllib.loads((ROOT / "runs" / "dmz_design.toml").read_text())["root_seed"]
    assert day_text(viz_page).endswith(f"seed {root_seed}")
    viz_page.find(v.Select, label="sequencing (changed)").assert_single()


def test_an_arm_this_map_cannot_run_is_said_not_fatal(viz_page):
    """The flagship's arms name an aims scenario only the default map has: on another
    map, picking one says so and the page goes on."""
    viz_page.find(v.Select, label="scenario").widget.v_model = "sequencing.toml › no_deal-mirrored"
    errors = [e.widget.children for e in viz_page.find(v.Alert)]
    assert any("claimed_oblasts" in str(c) for c in errors)
    assert day_text(viz_page).startswith("Day 0")


def test_page_starts_from_the_scenario_file(monkeypatch, tmp_path):
    """``dmzsim viz --scenario FILE`` (passed as DMZSIM_SCENARIO): an export loads back."""
    text = export_toml(Params(sequencing="frozen_line").model_dump(), 99, 5, "mine")
    monkeypatch.setenv("DMZSIM_SCENARIO", str(write_export(text, tmp_path / "mine.toml")))
    monkeypatch.setenv("DMZSIM_MAP", str(SMALL_MAP))
    from dmzsim.runs.viz import app

    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    assert day_text(rc).endswith("seed 99")
    assert rc.find(v.Select, label="scenario").widget.v_model == "mine.toml › base"
    assert rc.find(v.Select, label="sequencing (changed)").widget.v_model == "frozen_line"
    rc.close()


def test_a_broken_scenario_file_is_reported_not_fatal(monkeypatch, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("sequencing = 'sometimes'\n")
    monkeypatch.setenv("DMZSIM_SCENARIO", str(bad))
    monkeypatch.setenv("DMZSIM_MAP", str(SMALL_MAP))
    from dmzsim.runs.viz import app

    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    assert day_text(rc).endswith("seed 0")
    note = rc.find(v.Html, class_="dmz-note").widget.children[0]
    assert note.startswith("not listed: bad.toml") and "'sequencing'" in note
    rc.close()


# --- replicates and export ------------------------------------------------------------------------
def test_summary_statistics():
    df = pd.DataFrame({"resumed": [True, True, False, True],
                       "day_resumed": [10.0, 30.0, np.nan, 30.0],
                       "days_run": [100, 100, 100, 100]})
    s = summarise(df, 100, folder=None)
    assert (s.resumed, s.n_ok) == (3, 4)
    assert s.p == wilson(3, 4)
    assert s.km.at(9) == 1.0 and s.km.at(10) == 0.75 and s.km.at(30) == 0.25
    assert s.km.at(99) == 0.25
    assert "3 of 4 runs" in s.text()


def test_replicates_go_through_the_experiment_runner(tmp_path):
    values = Params(**FAST).model_dump()
    first = run_replicates(values, 5, 3, tmp_path, map_path=str(SMALL_MAP), serial=True)
    assert first.n_ok == 3 and first.n_failed == 0
    for name in ("manifest.json", "experiment.toml"):
        assert (first.folder / name).is_file()
    again = run_replicates(values, 5, 3, tmp_path, map_path=str(SMALL_MAP), serial=True)
    assert again.folder == first.folder and again.p == first.p  # resumed, not rerun


def test_replicates_run_in_worker_processes(tmp_path):
    values = Params(sequencing="no_deal", **FAST).model_dump()
    seen = []
    result = run_replicates(values, 1, 2, tmp_path, map_path=str(SMALL_MAP), workers=1,
                            on_progress=lambda done, n: seen.append((done, n)))
    assert (result.n_ok, result.resumed) == (2, 2)
    assert result.km.at(0) == 0.0  # a no-deal war is on from day 0


def test_replicates_panel_shows_p_the_survival_curve_and_replays_a_replicate(
        tmp_path, monkeypatch):
    from dmzsim.runs.viz import replicates as viz_replicates

    real = viz_replicates.run_replicates
    monkeypatch.setattr(viz_replicates, "run_replicates",
                        lambda *a, **k: real(*a, **{**k, "serial": True}))
    values = Params(**FAST).model_dump()
    replayed = []
    panel = viz_replicates.ReplicatesPanel(values, 2, str(SMALL_MAP), str(tmp_path),
                                           on_replay=replayed.append)
    _, rc = solara.render(panel, handle_error=False)
    rc.find(v.TextField, label="replicates N").widget.v_model = "3"
    rc.find(v.Btn, children=["Run 3 replicates"]).widget.click()
    wait_until(lambda: rc.find(v.Alert, class_="dmz-p-resumed").widgets, timeout=60)
    box = rc.find(v.Alert, class_="dmz-p-resumed").widget
    text = box.children[0]
    assert "P(offensive resumes within 40 days)" in text and "of 3 runs" in text
    assert box.type is None and box.color == "grey darken-2"  # neutral: an estimate
    assert len(rc.find(ipywidgets.Image)) == 1
    rc.find(v.TextField, label="replicate k").widget.v_model = "2"
    rc.find(v.Btn, children=["Replay replicate 2"]).widget.click()
    assert replayed == [run_seed(2, 0, 1)]  # replicate 2 is the runner's replicate 1
    summary_2 = ResultsFolder(next(tmp_path.iterdir())).summaries(
        ["replicate", "day_resumed"]).set_index("replicate").loc[1]
    on_screen = CeasefireModel(Params(**FAST), rng=replayed[0], map_path=SMALL_MAP)
    on_screen.run_for(40)
    assert summary(on_screen)["day_resumed"] == pytest.approx(summary_2["day_resumed"],
                                                              nan_ok=True)
    rc.close()


def test_replicates_and_export_share_one_n(viz_page):
    viz_page.find(v.TextField, label="replicates N").widget.v_model = "7"
    assert viz_page.find(v.TextField, label="replicates N (in the file)").widget.v_model == "7"
    viz_page.find(v.Btn, children=["Run 7 replicates"]).assert_single()


def test_a_finished_run_says_so(viz_page):
    assert not viz_page.find(v.Alert, class_="dmz-finished").widgets
    enter(viz_page, "horizon_days [days]", "2")
    for _ in range(2):
        viz_page.find(v.Btn, children=["Step"]).widget.click()
    banner = viz_page.find(v.Alert, class_="dmz-finished").widget
    assert banner.children[0].startswith("Finished: the run reached its horizon, day 2")


def test_export_is_an_experiment_dmzsim_run_accepts(tmp_path):
    values = Params(sequencing="simultaneous", horizon_days=15).model_dump()
    path = write_export(export_toml(values, 11, 2, "exported"), tmp_path / "exported.toml")
    data = tomllib.loads(path.read_text())
    assert data["root_seed"] == 11 and data["base"]["sequencing"] == "simultaneous"
    assert data["base"] == Params.build(values).model_dump(mode="json")
    code = main(["run", str(path), "--serial", "--out", str(tmp_path / "out"), "--no-report",
                 "--no-progress"])
    assert code == 0
    other = tmp_path / "notes.toml"
    other.write_text("x = 1\n")
    with pytest.raises(ValueError, match="not a dmzsim viz export"):
        write_export("# Exported from the dmzsim\n", other)


def test_export_panel_writes_the_file(tmp_path, monkeypatch):
    from dmzsim.runs.viz.replicates import ExportPanel

    monkeypatch.setenv("DMZSIM_EXPORT_DIR", str(tmp_path))
    _, rc = solara.render(ExportPanel(Params().model_dump(), 3), handle_error=False)
    rc.find(v.TextField, label="experiment name").widget.v_model = "bad name"
    assert rc.find(v.Btn, children=["Export TOML"]).widget.disabled
    rc.find(v.TextField, label="experiment name").widget.v_model = "mine"
    rc.find(v.Btn, children=["Export TOML"]).widget.click()
    assert tomllib.loads((tmp_path / "mine.toml").read_text())["root_seed"] == 3
    rc.close()


# --- the command ----------------------------------------------------------------------------------
def test_viz_command_defaults_to_localhost():
    parser = __import__("argparse").ArgumentParser()
    viz_cli.add_arguments(parser)
    args = parser.parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    cmd = viz_cli.server_command(args.host, args.port)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert {"--production", "--no-open"} <= set(cmd)
    assert cmd[cmd.index("run") + 1].endswith("runs/viz/app.py")
    assert viz_cli.server_env(args)["SOLARA_THEME_SHOW_BANNER"] == "False"  # no badge


def test_viz_command_reports_bad_input(tmp_path, capsys):
    assert main(["viz", "--scenario", str(tmp_path / "missing.toml")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["viz", "--port", "70000"]) == 2
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["viz", "--port", str(port)]) == 2
    assert "in use" in capsys.readouterr().err
