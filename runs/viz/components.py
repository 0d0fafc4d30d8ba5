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

import solara
from dmzsim.model import outputs
from dmzsim.model.model import CeasefireModel
from dmzsim.model.recording import summary
from dmzsim.runs.viz.map import MapRenderer
from dmzsim.runs.viz.plots import PlotsRenderer


# --- monitors -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MonitorCard:
    """What one monitor shows: its label, the value, the value's unit, and what it means
    (the output table's labels, shown on hover)."""

    label: str
    value: str
    unit: str = ""
    meaning: str = ""


def monitor_cards(model: CeasefireModel) -> list[MonitorCard]:
    """The monitors, NetLogo-style: the day and phase, then the output table's monitors
    (:data:`model.outputs.MONITORS`), read off the model today."""
    today = {k: v[-1] for k, v in model.datacollector.model_vars.items() if v}
    so_far = summary(model)
    cards = [MonitorCard("Day", f"{model.day} / {model.p.horizon_days}", "",
                         "day of the run / the horizon"),
             MonitorCard("Phase", str(model.phase), "", outputs.label("phase"))]
    for monitor in outputs.MONITORS:
        found = [(today[n], outputs.get(n, "day")) if n in today
                 else (so_far[n], outputs.get(n, "run")) for n in monitor.names]
        meaning = "; ".join(o.title for _, o in found if o is not None)
        if monitor.show is not None:
            cards.append(MonitorCard(monitor.label, monitor.show(*(v for v, _ in found)),
                                     "", meaning))
            continue
        value, out = found[0]
        text = out.show(value) if out is not None else outputs.number(value)
        unit = out.unit if out is not None and out.unit not in text else ""
        cards.append(MonitorCard(monitor.label, text, unit, meaning))
    return cards


def monitor_values(model: CeasefireModel) -> list[tuple[str, str]]:
    """(label, value) pairs of the monitors (the value without its unit)."""
    return [(c.label, c.value) for c in monitor_cards(model)]


# --- solara components ----------------------------------------------------------------------
# ``guard`` is held while a frame is drawn: the page passes the lock its play thread holds
# while stepping, so a frame never sees a half-finished day.
Guard = AbstractContextManager[Any]
NO_GUARD: Guard = contextlib.nullcontext()


@solara.component
def MapView(model: CeasefireModel, tick: int, guard: Guard = NO_GUARD) -> None:  # noqa: N802
    """The map image; a new renderer per model, a new frame per tick."""
    renderer = solara.use_memo(lambda: MapRenderer(model), [model])
    png = solara.use_memo(lambda: _guarded(guard, renderer.frame, model), [model, tick])
    solara.Image(png, width="100%", classes=["dmz-map"])


@solara.component
def PlotsView(model: CeasefireModel, tick: int, guard: Guard = NO_GUARD) -> None:  # noqa: N802
    """The time-series panels."""
    renderer = solara.use_memo(lambda: PlotsRenderer(model), [model])
    png = solara.use_memo(lambda: _guarded(guard, renderer.frame, model), [model, tick])
    solara.Image(png, width="100%", classes=["dmz-plots"])


@solara.component
def Monitors(model: CeasefireModel, tick: int, guard: Guard = NO_GUARD) -> None:  # noqa: N802
    """NetLogo-style monitors: a label over a value and its unit, in a wrapping row; the
    output's full label on hover."""
    cards = solara.use_memo(lambda: _guarded(guard, monitor_cards, model), [model, tick])
    with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
        for card in cards:
            with solara.v.Sheet(outlined=True, class_="pa-1 dmz-monitor",
                                style_="min-width: 112px", attributes={"title": card.meaning}):
                solara.v.Html(tag="div", children=[card.label], class_="dmz-monitor-label",
                              style_="font-size: 11px; color: #555")
                with solara.v.Html(tag="div", style_="white-space: nowrap"):
                    solara.v.Html(tag="span", children=[card.value],
                                  class_="dmz-monitor-value",
                                  style_="font-size: 15px; font-weight: 600")
                    if card.unit:
                        solara.v.Html(tag="span", children=[f" {card.unit}"],
                                      class_="dmz-monitor-unit",
                                      style_="font-size: 11px; color: #555")


def _guarded(guard: Guard, fn: Callable[[Any], Any], arg: Any) -> Any:
    with guard:
        return fn(arg)
