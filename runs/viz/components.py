"""What the visual run shows: monitors, and the solara components that wrap the map and
plot renderers (``runs/viz/map.py``, ``runs/viz/plots.py``); they re-render when the
page's ``tick`` changes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import solara
from dmzsim.model.model import CeasefireModel
from dmzsim.runs.viz.map import MapRenderer
from dmzsim.runs.viz.plots import PlotsRenderer


# --- monitors -------------------------------------------------------------------------------
def monitor_values(model: CeasefireModel) -> list[tuple[str, str]]:
    """(label, value) pairs of the monitors, NetLogo-style: read off the model today."""
    data = model.datacollector.model_vars
    last = {k: v[-1] for k, v in data.items() if v}
    ratio = last.get("force_ratio_main_axis", math.nan)
    day_resumed = model.record.get("day_resumed", math.nan)
    g = model.guarantor
    sectors = model.sectors
    return [
        ("Day", f"{model.day} / {model.p.horizon_days}"),
        ("Phase", str(model.phase)),
        ("Force ratio, main axis", "∞" if math.isinf(ratio) else f"{ratio:.2f}"),
        ("RU personnel", f"{last.get('ru_strength', 0.0) / 1000:,.1f}k"),
        ("UA personnel", f"{last.get('ua_strength', 0.0) / 1000:,.1f}k"),
        ("RU readiness", f"{last.get('ru_readiness', 0.0):.2f}"),
        ("UA readiness", f"{last.get('ua_readiness', 0.0):.2f}"),
        ("UA territory", f"{model.ua_area:,.0f} km²"),
        ("Detections", str(sum(s.detections for s in sectors))),
        ("Violations (seen)", f"{sum(s.violations for s in sectors)} "
                              f"({sum(s.violations_detected for s in sectors)})"),
        ("Towns lost (belt)", f"{model.record['towns_lost']} ({model.record['belt_towns_lost']})"),
        ("Guarantees", "in force" if g.in_force else ("not delivered" if not g.delivered
                                                       else "pending")),
        ("Credibility", f"{g.credibility():.2f}"),
        ("Offensive resumed", "no" if math.isnan(day_resumed) else f"day {day_resumed:.0f}"),
    ]


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
    """NetLogo-style monitors: a label over a value, in a wrapping row."""
    values = solara.use_memo(lambda: _guarded(guard, monitor_values, model), [model, tick])
    with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
        for label, value in values:
            with solara.v.Sheet(outlined=True, class_="pa-1 dmz-monitor",
                                style_="min-width: 118px"):
                solara.v.Html(tag="div", children=[label],
                              style_="font-size: 11px; color: #555")
                solara.v.Html(tag="div", children=[value], class_="dmz-monitor-value",
                              style_="font-size: 15px; font-weight: 600")


def _guarded(guard: Guard, fn: Callable[[Any], Any], arg: Any) -> Any:
    with guard:
        return fn(arg)
