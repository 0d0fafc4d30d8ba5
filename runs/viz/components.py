"""What the visual run shows: monitors, and the solara components that wrap the map and
plot renderers (``runs/viz/map.py``, ``runs/viz/plots.py``); they re-render when the
page's ``tick`` changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import solara
from dmzsim.model import outputs
from dmzsim.model.model import CeasefireModel
from dmzsim.model.recording import summary
from dmzsim.runs.viz.map import MapRenderer
from dmzsim.runs.viz.plots import PlotsRenderer


# --- monitors -------------------------------------------------------------------------------
def monitor_values(model: CeasefireModel) -> list[tuple[str, str]]:
    """(label, value) pairs of the monitors, NetLogo-style: the day and phase, then the
    output table's monitors (:data:`model.outputs.MONITORS`), read off the model today."""
    today = {k: v[-1] for k, v in model.datacollector.model_vars.items() if v}
    so_far = summary(model)
    shown = [("Day", f"{model.day} / {model.p.horizon_days}"), ("Phase", str(model.phase))]
    for monitor in outputs.MONITORS:
        found = [(n, today[n], "day") if n in today else (n, so_far[n], "run")
                 for n in monitor.names]
        if monitor.show is not None:
            text = monitor.show(*(v for _, v, _ in found))
        else:
            parts = [_show(n, v, kind) for n, v, kind in found]
            text = parts[0] + "".join(f" ({p})" for p in parts[1:])
        shown.append((monitor.label, text))
    return shown


def _show(name: str, value: Any, kind: outputs.Kind) -> str:
    out = outputs.get(name, kind)
    return out.show(value) if out is not None else outputs.number(value)


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
