"""The visual run's time-series panels, with the agreement's phases shaded and a marker
on the day the offensive resumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from dmzsim.model.forces import RU, UA
from dmzsim.model.model import CeasefireModel
from dmzsim.runs.viz.drawing import FALLEN, PHASE_SHADE, RATIO_TICKS, SIDE_COLOUR, Blitter
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator


# --- plots ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlotSpec:
    """One panel: a title and the (series, colour, label) lines it draws."""

    title: str
    lines: tuple[tuple[str, str, str], ...]
    log: bool = False
    scale: float = 1.0


PLOTS = (
    PlotSpec("Force ratio, main sector; Russia's odds and what it needs",
             (("force_ratio_main_axis", "#542788", "ratio today"),
              ("expected_ratio", "#e08214", "expected at review"),
              ("required_ratio", "#636363", "needed")), log=True),
    PlotSpec("Personnel in theatre (thousands)",
             (("ru_strength", SIDE_COLOUR[RU], "RU"), ("ua_strength", SIDE_COLOUR[UA], "UA")),
             scale=1e-3),
    PlotSpec("Readiness (strength-weighted)",
             (("ru_readiness", SIDE_COLOUR[RU], "RU"), ("ua_readiness", SIDE_COLOUR[UA], "UA"))),
    PlotSpec("Territory held by Ukraine (km²)", (("ua_area_km2", SIDE_COLOUR[UA], "UA"),)),
    PlotSpec("Detections and violations (cumulative)",
             (("detections", "#ff7f00", "build-up detections"),
              ("violations", "#636363", "violations"))),
)


COLUMNS = 3  # panels per row; the rows follow from the number of plots (plus the key)
ROW_HEIGHT_IN = 2.3


class PlotsRenderer:
    """One time-series panel per entry of :data:`PLOTS`, then a key, :data:`COLUMNS` to a
    row; phase shading and a marker where the offensive resumed.

    The day axis is fixed to the horizon and the value axes only ever widen (with
    headroom), so most frames reuse the cached background and repaint just the lines.
    """

    def __init__(self, model: CeasefireModel, width_in: float = 8.6, dpi: int = 80) -> None:
        n = len(PLOTS)
        rows = math.ceil((n + 1) / COLUMNS)
        self.fig = Figure(figsize=(width_in, ROW_HEIGHT_IN * rows), dpi=dpi)
        self.fig.subplots_adjust(left=0.06, right=0.99, bottom=0.1, top=0.94, wspace=0.28,
                                 hspace=0.38)
        self.blit = Blitter(self.fig)
        axes = self.fig.subplots(rows, COLUMNS, squeeze=False).ravel()
        self.axes: list[Any] = list(axes[:n])
        self.lines: list[list[Any]] = []
        self.marks, self.shades = [], []
        for ax, spec in zip(self.axes, PLOTS, strict=True):
            self._init_panel(ax, spec, model)
        for ax in self.axes[(rows - 1) * COLUMNS:]:  # the bottom row's plots
            ax.set_xlabel("day", fontsize=7, labelpad=1)
        self._key(axes[n])
        for ax in axes[n + 1:]:
            ax.axis("off")
        self.note = self.blit.add(self.axes[0].text(
            0.98, 0.95, "", transform=self.axes[0].transAxes, ha="right", va="top",
            fontsize=7, color=FALLEN))

    def _init_panel(self, ax: Axes, spec: PlotSpec, model: CeasefireModel) -> None:
        ax.set_title(spec.title, fontsize=8, loc="left")
        ax.set_xlim(0, model.p.horizon_days)
        ax.tick_params(labelsize=7)
        if spec.log:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(FixedLocator(RATIO_TICKS))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.axhline(model.p.breakthrough_ratio, color="#542788", ls=":", lw=0.8)
        ax.set_ylim(*((0.5, 5.0) if spec.log else (0.0, 1.0)))
        self.lines.append([self.blit.add(ax.plot([], [], color=c, lw=1.3, label=lab,
                                                 zorder=3)[0]) for _, c, lab in spec.lines])
        self.marks.append(self.blit.add(ax.axvline(0, color=FALLEN, ls="--", lw=1.2,
                                                   visible=False, zorder=4)))
        shade = PolyCollection([], transform=ax.get_xaxis_transform(), lw=0, zorder=0.5)
        self.shades.append(self.blit.add(ax.add_collection(shade, autolim=False)))

    def _key(self, ax: Axes) -> None:
        ax.axis("off")
        handles: list[Any] = [Line2D([], [], color=c, label=label) for c, label in (
            (SIDE_COLOUR[RU], "Russia"), (SIDE_COLOUR[UA], "Ukraine"),
            ("#ff7f00", "build-up detections"), ("#636363", "ceasefire violations"))]
        handles += [Patch(fc=c, label=f"phase: {p}") for p, c in PHASE_SHADE.items()
                    if p != "war"]
        handles.append(Line2D([], [], color=FALLEN, ls="--", label="offensive resumed"))
        handles.append(Line2D([], [], color="#542788", ls=":", label="breakthrough ratio"))
        ax.legend(handles=handles, loc="center", fontsize=7, frameon=False)

    def frame(self, model: CeasefireModel) -> bytes:
        """The plots of ``model`` up to today, as PNG bytes."""
        with self.blit.lock:
            return self._frame(model)

    def _frame(self, model: CeasefireModel) -> bytes:
        full = model.datacollector.model_vars
        n = min(len(v) for v in full.values())
        data = {k: v[:n] for k, v in full.items()}
        days = np.asarray(data["day"], dtype=float)
        for ax, spec, lines in zip(self.axes, PLOTS, self.lines, strict=True):
            ys = [np.asarray(data[name], dtype=float) * spec.scale for name, _, _ in spec.lines]
            for line, y in zip(lines, ys, strict=True):
                line.set_data(days, np.where(np.isfinite(y), y, np.nan))
            if _widen(ax, ys, spec.log):
                self.blit.invalidate()
        spans = phase_spans(list(data["phase"]), days)
        verts = [[(s, 0), (e + 1, 0), (e + 1, 1), (s, 1)] for _, s, e in spans]
        colours = [PHASE_SHADE[p] for p, _, _ in spans]
        for shade in self.shades:
            shade.set_verts(verts)
            shade.set_facecolors(colours)
        self._update_mark(model)
        return self.blit.png()

    def _update_mark(self, model: CeasefireModel) -> None:
        day = model.record.get("day_resumed", math.nan)
        shown = not math.isnan(day)
        for mark in self.marks:
            mark.set_visible(shown)
            if shown:
                mark.set_xdata([day, day])
        self.note.set_text(f"offensive resumed on day {day:.0f}" if shown else "")


def phase_spans(phases: list[str], days: np.ndarray) -> list[tuple[str, int, int]]:
    """(phase, first day, last day) runs of the shaded phases, in order."""
    out: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, len(phases) + 1):
        if i == len(phases) or phases[i] != phases[start]:
            if phases[start] in PHASE_SHADE:
                out.append((phases[start], int(days[start]), int(days[i - 1])))
            start = i
    return out


def _widen(ax: Axes, ys: list[np.ndarray], log: bool) -> bool:
    """Widen the value axis (with headroom) if the data left it; True if it changed.

    Axes never shrink: a frame redraws the background only when a series sets a record.
    """
    vals = np.concatenate([y[np.isfinite(y)] for y in ys])
    if log:
        vals = vals[vals > 0]
    if vals.size == 0:
        return False
    lo, hi = ax.get_ylim()
    vmin, vmax = float(vals.min()), float(vals.max())
    if lo <= vmin and vmax <= hi:
        return False
    if log:
        ax.set_ylim(min(lo, vmin / 1.5), max(hi, vmax * 1.5))
    else:
        pad = 0.15 * max(vmax - min(lo, vmin), 1e-9)
        ax.set_ylim(vmin - pad if vmin < lo else lo, max(hi, vmax + pad))
    return True
