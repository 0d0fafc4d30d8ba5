"""What the visual run shows: monitors, and the solara components that wrap the map and
plot renderers (``runs/viz/map.py``, ``runs/viz/plots.py``); they re-render when the
page's ``tick`` changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import solara
from dmzsim.model import balance, outputs
from dmzsim.model.model import CeasefireModel
from dmzsim.model.processes.recording import summary
from dmzsim.runs.viz.drawing import POSTURE_STYLE
from dmzsim.runs.viz.map import LEGEND, MapRenderer
from dmzsim.runs.viz.map_features import focus_view
from dmzsim.runs.viz.plots import PlotsRenderer
from dmzsim.runs.viz.probe import probe

# --- monitors -------------------------------------------------------------------------------
#: Read off Russia's ceasefire reviews: stale once the war is on (there is no ceasefire left
#: to review), so shown as such then rather than as a current number.
REVIEW_OUTPUTS = frozenset({"expected_ratio", "value_resume_now", "value_wait", "decided_by"})
STALE = "at war: no review"
#: Monitor values said in fewer words, so a group's rows stay one line high; the full
#: wording is shown on hover.
SHORTER = {"none: no breakthrough expected": "no breakthrough"}
#: The arms whose deal has no guarantees (``model/agreement.py``).
NO_GUARANTEES = frozenset({"no_deal", "frozen_line"})
NONE_IN_DEAL = "none in this deal"


@dataclass(frozen=True)
class MonitorCard:
    """What one monitor shows: its label, the value, the value's unit, what it means
    (the output table's labels, shown on hover) and the group it is shown in."""

    label: str
    value: str
    unit: str = ""
    meaning: str = ""
    group: str = ""


def _ratio_today(model: CeasefireModel) -> str:
    """Which sector ``force_ratio_main_axis`` is read on today (recording's
    ``main_sector_ratio``): Russia's main effort, or before it has one the sector where
    the ratio is highest."""
    if model.effort.sector >= 0:
        return f"Force ratio today, sector {model.effort.sector} (Russia's main effort)"
    k = int(np.argmax(balance.current_ratio(model)))
    return f"Force ratio today, sector {k} (highest today)"


def _ratio_expected(model: CeasefireModel) -> str:
    """Which sector Russia's latest review expected its ratio on (its best one)."""
    review = model.record.review
    if review is None:
        return "Russia's expected ratio (no review yet)"
    return f"Russia's expected ratio, sector {int(review.sector[0])} (its best, last review)"


Label = str | Callable[[CeasefireModel], str]
#: The groups the monitors are shown in, in order.
GROUPS = ("The ceasefire", "Forces", "Russia's estimate", "The guarantor", "Costs to Ukraine")
#: How much of the row's spare width each group takes (the estimate's labels are longest).
GROUP_GROW = {"Russia's estimate": 1.5}
MORE = "More"  # a monitor of the output table not placed below
#: Where each of the output table's monitors (by the outputs it reads) is shown and what
#: it is called there: a label, or a function of the model where the label names a sector.
PLACED: dict[tuple[str, ...], tuple[str, Label]] = {
    ("day_resumed",): ("The ceasefire", "Offensive resumed"),
    ("detections",): ("The ceasefire", "Build-up detections"),
    ("violations",): ("The ceasefire", "Violations"),
    ("violations_detected",): ("The ceasefire", "Violations seen"),
    ("ru_strength",): ("Forces", "RU personnel"),
    ("ua_strength",): ("Forces", "UA personnel"),
    ("ru_readiness",): ("Forces", "RU readiness"),
    ("ua_readiness",): ("Forces", "UA readiness"),
    ("force_ratio_main_axis",): ("Forces", _ratio_today),
    ("expected_ratio",): ("Russia's estimate", _ratio_expected),
    ("required_ratio",): ("Russia's estimate", "Ratio needed to break through"),
    ("value_resume_now",): ("Russia's estimate", "Value of resuming now"),
    ("value_wait",): ("Russia's estimate", "Best value of resuming later"),
    ("decided_by",): ("Russia's estimate", "Decided by"),
    ("guarantees_in_force", "guarantees_delivered"): ("The guarantor", "Guarantees"),
    ("credibility",): ("The guarantor", "Credibility (0 until guarantees are in force)"),
    ("ua_area_km2",): ("Costs to Ukraine", "Territory Ukraine holds"),
    ("towns_lost",): ("Costs to Ukraine", "Towns lost to the offensive"),
    ("belt_towns_lost",): ("Costs to Ukraine", "Fortress-belt towns lost"),
    ("towns_ceded",): ("Costs to Ukraine", "Towns ceded by the deal"),
    ("belt_towns_ceded",): ("Costs to Ukraine", "Fortress-belt towns ceded"),
}


def monitor_cards(model: CeasefireModel) -> list[MonitorCard]:
    """The monitors, NetLogo-style: the day and phase, then the output table's monitors
    (:data:`model.outputs.MONITORS`), read off the model today, each in its group
    (:data:`PLACED`; an unplaced one under "More") and named for what it is."""
    today = {k: v[-1] for k, v in model.datacollector.model_vars.items() if v}
    so_far = summary(model)
    first = GROUPS[0]
    cards = [MonitorCard("Day", f"{model.day} / {model.p.horizon_days}", "",
                         "day of the run / the horizon", first),
             MonitorCard("Phase", str(model.phase), "", outputs.label("phase"), first)]
    for monitor in outputs.MONITORS:
        group, label = PLACED.get(monitor.names, (MORE, monitor.label))
        label = label(model) if callable(label) else label
        found = [(today[n], outputs.get(n, "day")) if n in today
                 else (so_far[n], outputs.get(n, "run")) for n in monitor.names]
        meaning = "; ".join(o.title for _, o in found if o is not None)
        if model.at_war and set(monitor.names) <= REVIEW_OUTPUTS:
            cards.append(MonitorCard(label, STALE, "", meaning, group))
            continue
        if group == "The guarantor" and model.p.sequencing in NO_GUARANTEES \
                and "guarantees_in_force" in monitor.names:
            cards.append(MonitorCard(label, NONE_IN_DEAL, "", meaning, group))
            continue
        if monitor.show is not None:
            cards.append(MonitorCard(label, monitor.show(*(v for v, _ in found)),
                                     "", meaning, group))
            continue
        value, out = found[0]
        text = out.show(value) if out is not None else outputs.number(value)
        unit = out.unit if out is not None and out.unit not in text else ""
        cards.append(MonitorCard(label, text, unit, meaning, group))
    return [MonitorCard(c.label, SHORTER[c.value], c.unit, f"{c.meaning} ({c.value})", c.group)
            if c.value in SHORTER else c for c in cards]


def grouped(cards: list[MonitorCard]) -> dict[str, list[MonitorCard]]:
    """The cards by group, in :data:`GROUPS` order (then "More")."""
    out: dict[str, list[MonitorCard]] = {g: [] for g in (*GROUPS, MORE)}
    for card in cards:
        out.setdefault(card.group, []).append(card)
    return {g: found for g, found in out.items() if found}


def monitor_values(model: CeasefireModel) -> list[tuple[str, str]]:
    """(label, value) pairs of the monitors (the value without its unit)."""
    return [(c.label, c.value) for c in monitor_cards(model)]


# --- solara components ----------------------------------------------------------------------
# ``guard`` is held while a frame is drawn: the page passes the lock its play thread holds
# while stepping, so a frame never sees a half-finished day.
Guard = AbstractContextManager[Any]
NO_GUARD: Guard = contextlib.nullcontext()


@solara.component_vue("pointer.vue")
def Pointer(event_size: Callable[[dict], None],  # noqa: N802
            event_point: Callable[[dict], None]) -> None:
    """A transparent layer over the map image: reports the image's width in CSS pixels
    and the device pixel ratio (so the map is drawn at the browser's pixel density), once
    it has settled, and where it is clicked: as fractions of the image's width and height,
    and the room on the screen around the click (``room_left``, ``room_right``,
    ``room_above``, ``room_below``, CSS pixels)."""


def size_bucket(width: float, dpr: float) -> tuple[int, float]:
    """A column width rounded to 16 px (a scroll bar coming and going does not redraw
    the map) and a pixel ratio rounded to a quarter."""
    return int((max(width, 240) + 15) // 16 * 16), max(round(dpr * 4) / 4, 1.0)


def use_sized_frame(model: CeasefireModel, tick: int, guard: Guard,
                    make: Callable[..., Any], initial: tuple[int, float],
                    key: tuple[Any, ...] = ()) -> tuple[Any, Any, Callable[[dict], None]]:
    """A renderer at the size the page reports (a new one per model, size bucket and
    ``key``), its frame for this tick, and the callback the :func:`Pointer` layer reports
    sizes to."""
    size, set_size = solara.use_state(initial)
    renderer = solara.use_memo(lambda: make(model, *size), [model, size, *key])
    png = solara.use_memo(lambda: _guarded(guard, renderer.frame, model),
                          [model, tick, size, *key])

    def on_size(data: dict) -> None:
        new = size_bucket(float(data.get("width", 0)), float(data.get("dpr", 1)))
        if new != size:
            set_size(new)

    return renderer, png, on_size


#: The map's views: the contested ground (the default) or the whole theatre.
VIEWS = ("front and zone", "whole theatre")
PANEL_PX = 330  # the inspection panel's width
PANEL_GAP_PX = 14  # between the point clicked and the panel, and from the screen's edges


@dataclass(frozen=True)
class Picked:
    """A point clicked on the map: its cell, and where on the screen the inspection panel
    opens (CSS pixels from the window's top left, or from its bottom when it opens
    upwards) and how tall it may grow."""

    cell: tuple[int, int]
    left: float
    top: float | None
    bottom: float | None
    max_height: float

    def style(self) -> str:
        """CSS that fixes the panel there, above the page."""
        down = f"top: {self.top:.0f}px" if self.top is not None \
            else f"bottom: {self.bottom:.0f}px"
        return (f"position: fixed; left: {self.left:.0f}px; {down}; width: {PANEL_PX}px; "
                f"max-height: {self.max_height:.0f}px; overflow-y: auto; z-index: 20; "
                "line-height: 1.35; font-size: 12px")


def picked_at(cell: tuple[int, int] | None, data: dict) -> Picked | None:
    """Where to open the panel for a click the :func:`Pointer` layer reported: beside
    the point, on the side with room for it, opening towards the larger part of the
    screen, always inside the window."""
    if cell is None:
        return None
    x, y = float(data.get("client_x", 0)), float(data.get("client_y", 0))
    w, h = float(data.get("screen_w", 1280)), float(data.get("screen_h", 800))
    gap = PANEL_GAP_PX
    left = x + gap if x + gap + PANEL_PX + gap <= w else x - gap - PANEL_PX
    left = min(max(left, gap), max(w - PANEL_PX - gap, gap))
    if h - y >= y:  # more room below: the panel's top a little above the point
        top = max(y - 2 * gap, gap)
        return Picked(cell, left, top, None, h - top - gap)
    bottom = max(h - y - 2 * gap, gap)
    return Picked(cell, left, None, bottom, h - bottom - gap)


@solara.component
def MapView(model: CeasefireModel, tick: int, guard: Guard = NO_GUARD) -> None:  # noqa: N802
    """The map image at its column's width and the browser's pixel density, framed on the
    contested ground or showing the whole theatre, and its key; what is at the point last
    clicked is marked on the map and told in a panel beside it on the screen. A new
    renderer per model, size and view, a new frame per tick."""
    view_name, set_view = solara.use_state(VIEWS[0])
    focus = solara.use_memo(lambda: focus_view(model), [model])
    view = focus if view_name == VIEWS[0] else None

    def make(m: CeasefireModel, width: float, dpr: float) -> MapRenderer:
        return MapRenderer(m, width, dpr, view)

    # (592, 1.0): its bucket at 1600 px wide
    renderer, png, on_size = use_sized_frame(model, tick, guard, make, (592, 1.0),
                                             key=(view_name,))
    picked, set_picked = solara.use_state(None)

    def on_point(data: dict) -> None:
        set_picked(picked_at(renderer.cell_at(float(data.get("x", -1)),
                                              float(data.get("y", -1))), data))

    where = renderer.fraction_of(picked.cell) if picked is not None else None
    with solara.Column(gap="4px"):
        with solara.Row(style={"align-items": "center", "gap": "8px"}):
            solara.Text("view", style={"font-size": "12px", "color": "#555"})
            solara.ToggleButtonsSingle(value=view_name, values=list(VIEWS), on_value=set_view,
                                       dense=True, classes=["dmz-view"])
            solara.Text("click the map to inspect a point",
                        style={"font-size": "12px", "color": "#555"})
        with solara.Div(style={"position": "relative", "line-height": "0"}):
            solara.Image(png, width="100%", classes=["dmz-map"])
            Pointer(event_size=on_size, event_point=on_point)
            if picked is not None and where is not None:
                solara.v.Html(tag="div", class_="dmz-inspect-point", style_=(
                    f"position: absolute; left: {where[0] * 100:.2f}%; "
                    f"top: {where[1] * 100:.2f}%; width: 14px; height: 14px; "
                    "margin: -7px 0 0 -7px; border: 2px solid #000; border-radius: 50%; "
                    "box-shadow: 0 0 0 2px #fff; pointer-events: none; z-index: 4"))
                Inspection(model, tick, picked.cell, guard, on_close=lambda: set_picked(None),
                           style=picked.style())
        MapKey()


@solara.component
def MapKey() -> None:  # noqa: N802
    """The map's key, as text beside the image rather than pixels inside it."""
    with solara.Row(classes=["dmz-map-key"],
                    style={"flex-wrap": "wrap", "gap": "2px 12px", "font-size": "12px"}):
        for kind, colour, edge, label in LEGEND:
            with solara.v.Html(tag="span", class_="dmz-key-item",
                               style_="display: inline-flex; align-items: center; gap: 4px"):
                solara.v.Html(tag="span", children=[_glyph(kind)], style_=_glyph_style(
                    kind, colour, edge))
                solara.v.Html(tag="span", children=[label])
        for name, marker, ru, ua in POSTURE_STYLE.values():
            glyph = {"o": "●", "v": "▼", "s": "■", "^": "▲"}[marker]
            with solara.v.Html(tag="span", class_="dmz-key-item",
                               style_="display: inline-flex; align-items: center; gap: 2px"):
                for c in (ru, ua):
                    solara.v.Html(tag="span", children=[glyph], style_=f"color: {c}")
                solara.v.Html(tag="span", children=[f"units {name} (RU, UA)"])
        solara.v.Html(tag="span", children=["unit marker area ∝ personnel"],
                      style_="color: #555")


def _glyph(kind: str) -> str:
    return {"patch": "", "line": "", "dashed": "", "arrow": "➤"}.get(kind, kind)


def _glyph_style(kind: str, colour: str, edge: str) -> str:
    if kind == "patch":
        return f"display: inline-block; width: 14px; height: 10px; background: {colour}"
    if kind in ("line", "dashed"):
        style = "solid" if kind == "line" else "dashed"
        return f"display: inline-block; width: 16px; border-top: 2px {style} {colour}"
    stroke = f"-webkit-text-stroke: 1px {edge};" if edge else ""
    return f"color: {colour}; {stroke} font-size: 13px"


@solara.component
def Inspection(model: CeasefireModel, tick: int, cell: tuple[int, int],  # noqa: N802
               guard: Guard, on_close: Callable[[], None], style: str = "") -> None:
    """What is at the clicked point today: ground, town, units, sector (``probe``)."""
    found = solara.use_memo(lambda: _guarded(guard, lambda m: probe(m, cell), model),
                            [model, tick, cell])
    with solara.v.Card(class_="pa-2 dmz-inspect", style_=style, elevation=6):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            solara.Text("At this point (updates as the run goes on)",
                        style={"font-weight": "600"})
            solara.Button("close", on_click=on_close, text=True, small=True)
        for finding in found:
            solara.v.Html(tag="div", children=[finding.title], class_="dmz-inspect-title",
                          style_="font-weight: 600; margin-top: 4px")
            for line in finding.lines:
                solara.v.Html(tag="div", children=[line])


@solara.component
def PlotsView(model: CeasefireModel, tick: int, guard: Guard = NO_GUARD) -> None:  # noqa: N802
    """The time-series panels, at their column's width and the browser's pixel density."""
    # (592, 1.0): its bucket at 1600 px wide
    _, png, on_size = use_sized_frame(model, tick, guard, PlotsRenderer, (592, 1.0))
    with solara.Div(style={"position": "relative", "line-height": "0"}):
        solara.Image(png, width="100%", classes=["dmz-plots"])
        Pointer(event_size=on_size, event_point=lambda data: None)


@solara.component
def Monitors(model: CeasefireModel, tick: int, guard: Guard = NO_GUARD) -> None:  # noqa: N802
    """NetLogo-style monitors in groups (the ceasefire, forces, Russia's estimate, the
    guarantor, costs to Ukraine): a label beside a value and its unit; the output's full
    label on hover."""
    cards = solara.use_memo(lambda: _guarded(guard, monitor_cards, model), [model, tick])
    with solara.Row(style={"flex-wrap": "wrap", "gap": "6px", "align-items": "stretch"},
                    classes=["dmz-monitors"]):
        for group, found in grouped(cards).items():
            grow = GROUP_GROW.get(group, 1.0)
            with solara.v.Sheet(outlined=True, class_="px-2 py-1 dmz-monitor-group",
                                style_=f"flex: {grow} 1 {140 * grow:.0f}px; min-width: 140px"):
                solara.v.Html(tag="div", children=[group], class_="dmz-monitor-group-title",
                              style_="font-size: 12px; font-weight: 700")
                for card in found:
                    with solara.v.Html(tag="div", class_="dmz-monitor",
                                       attributes={"title": card.meaning},
                                       style_="display: flex; flex-wrap: wrap; "
                                              "align-items: baseline; column-gap: 6px"):
                        # the value goes under its label, right-aligned, if both do not fit
                        solara.v.Html(tag="span", children=[card.label],
                                      class_="dmz-monitor-label",
                                      style_="font-size: 11px; color: #555; line-height: 1.2;"
                                             " flex: 1 1 60px")
                        wrap = "nowrap" if len(card.value) <= 18 else "normal"
                        with solara.v.Html(tag="span", style_="text-align: right; "
                                                              "margin-left: auto; "
                                                              f"white-space: {wrap}"):
                            solara.v.Html(tag="span", children=[card.value],
                                          class_="dmz-monitor-value",
                                          style_="font-size: 12.5px; font-weight: 600")
                            if card.unit and card.unit.lower() not in card.label.lower():
                                solara.v.Html(tag="span", children=[f" {card.unit}"],
                                              class_="dmz-monitor-unit",
                                              style_="font-size: 10px; color: #555")


def _guarded(guard: Guard, fn: Callable[[Any], Any], arg: Any) -> Any:
    with guard:
        return fn(arg)
