"""The visual run's time-series panels, with every phase of the agreement shaded, the
breakthrough ratio drawn in every phase, and a marker on the day the offensive resumed.

Draw order matters: the shading changes every frame, so it is painted over the cached
background; the reference lines that must stay visible on top of it are therefore drawn
per frame too, above the shading, and the shading stops short of the axes' frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from dmzsim.model.forces import RU, UA
from dmzsim.model.model import WAR_PHASES, CeasefireModel
from dmzsim.runs.viz.drawing import (
    FALLEN,
    PHASE_LABEL,
    PHASE_SHADE,
    RATIO_TICKS,
    SIDE_COLOUR,
    THRESHOLD,
    Blitter,
)
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import Bbox, TransformedBbox


# --- plots ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlotSpec:
    """One panel: a title, the (series, colour, label) lines it draws, its value scale
    (``linear``, ``log`` or ``symlog``), a factor on the values, and a reference line:
    ``threshold`` names the parameter whose value is drawn (and labelled on the axis),
    ``zero`` draws the line at 0."""

    title: str
    lines: tuple[tuple[str, str, str], ...]
    yscale: str = "linear"
    scale: float = 1.0
    threshold: str | None = None
    zero: bool = False


PLOTS = (
    PlotSpec("Force ratio RU : UA",
             (("force_ratio_main_axis", "#542788", "ratio today (main sector)"),
              ("expected_ratio", "#e08214", "Russia's expected (its best sector)")),
             yscale="log", threshold="breakthrough_ratio"),
    PlotSpec("Russia's decision (km² of aims)",
             (("value_resume_now", "#b2182b", "value of resuming now"),
              ("value_wait", "#4d4d4d", "best value of resuming later")),
             yscale="symlog", zero=True),
    PlotSpec("Personnel (thousands)",
             (("ru_strength", SIDE_COLOUR[RU], "RU"), ("ua_strength", SIDE_COLOUR[UA], "UA")),
             scale=1e-3),
    PlotSpec("Readiness (strength-weighted)",
             (("ru_readiness", SIDE_COLOUR[RU], "RU"), ("ua_readiness", SIDE_COLOUR[UA], "UA"))),
    PlotSpec("Territory held by Ukraine (km²)", (("ua_area_km2", SIDE_COLOUR[UA], "UA"),)),
    PlotSpec("Detections, violations (total)",
             (("detections", "#ff7f00", "build-up detections"),
              ("violations", "#636363", "ceasefire violations"))),
)


#: Read off Russia's ceasefire reviews: stale once the war is on, so not drawn then.
CEASEFIRE_ONLY = frozenset({"expected_ratio", "value_resume_now", "value_wait"})
COLUMNS = 3  # panels per row in a wide column; the rows follow from the number of plots
NARROW_PX = 680  # below this width (CSS pixels), two panels per row
CSS_DPI = 96.0  # a CSS pixel is 1/96 inch: text in points keeps its size on any screen
ROW_HEIGHT_IN = 2.1
KEY_HEIGHT_IN = 1.05
TEXT_PT = 8.0  # ticks, axis labels, the key; titles a point larger
SYMLOG_LINEAR = 100.0  # km² of aims: the symlog axis is linear within ± this
EDGE = {1.0: (0.97, "^"), -1.0: (0.03, "v")}  # ±inf: drawn at the top or bottom edge


class PlotsRenderer:
    """One time-series panel per entry of :data:`PLOTS`, :data:`COLUMNS` to a row, and a
    key below them; phase shading and a marker where the offensive resumed.

    The day axis is fixed to the horizon and the value axes only ever widen (with
    headroom), so most frames reuse the cached background and repaint just the lines.
    An infinite value (e.g. a ratio where Ukraine has nothing on the frontage) is drawn
    as a marker on the panel's edge rather than off the axis.
    """

    def __init__(self, model: CeasefireModel, width_px: float = 688.0,
                 dpr: float = 1.0) -> None:
        n = len(PLOTS)
        columns = COLUMNS if width_px >= NARROW_PX else 2
        rows = math.ceil(n / columns)
        narrow = columns != COLUMNS  # a title may take two lines: room above each panel
        key_in = KEY_HEIGHT_IN * (1.4 if narrow else 1.0)
        width_in, height = max(width_px, 320.0) / CSS_DPI, ROW_HEIGHT_IN * rows + key_in
        self.fig = Figure(figsize=(width_in, height), dpi=CSS_DPI * dpr)
        self.fig.subplots_adjust(left=0.5 / width_in, right=1 - 0.1 / width_in,
                                 bottom=(key_in + 0.3) / height,
                                 top=1 - (0.4 if narrow else 0.22) / height,
                                 wspace=0.3, hspace=0.55 if narrow else 0.42)
        self.blit = Blitter(self.fig)
        axes = self.fig.subplots(rows, columns, squeeze=False).ravel()
        self.axes: list[Any] = list(axes[:n])
        self.lines: list[list[Any]] = []
        self.edges: list[list[Any]] = []
        self.marks, self.shades, self.references = [], [], []
        for ax, spec in zip(self.axes, PLOTS, strict=True):
            self._init_panel(ax, spec, model)
        for ax in self.axes[-columns:]:  # the bottom row's plots
            ax.set_xlabel("day", fontsize=TEXT_PT, labelpad=1)
        for ax in axes[n:]:
            ax.axis("off")
        self._key(columns)
        self.note = self.blit.add(self.axes[0].text(
            0.98, 0.05, "", transform=self.axes[0].transAxes, ha="right", va="bottom",
            fontsize=TEXT_PT, color=FALLEN, zorder=6))

    def _init_panel(self, ax: Axes, spec: PlotSpec, model: CeasefireModel) -> None:
        _title(ax, spec.title)
        ax.set_xlim(0, model.p.horizon_days)
        ax.tick_params(labelsize=TEXT_PT)
        lo_hi = {"log": (0.5, 5.0), "symlog": (-SYMLOG_LINEAR, SYMLOG_LINEAR)}
        if spec.yscale == "log":
            _ratio_axis(ax, float(getattr(model.p, spec.threshold)) if spec.threshold else None)
        elif spec.yscale == "symlog":
            ax.set_yscale("symlog", linthresh=SYMLOG_LINEAR)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.yaxis.set_minor_locator(NullLocator())
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(_compact))
        ax.set_ylim(*lo_hi.get(spec.yscale, (0.0, 1.0)))
        if spec.threshold is not None:
            value = float(getattr(model.p, spec.threshold))
            self.references.append(self.blit.add(ax.axhline(
                value, color=THRESHOLD, ls=(0, (5, 2)), lw=1.2, zorder=2.5)))
        if spec.zero:
            self.references.append(self.blit.add(ax.axhline(0.0, color=THRESHOLD, lw=0.8,
                                                            zorder=2.5)))
        self.lines.append([self.blit.add(ax.plot([], [], color=c, lw=1.3, label=lab,
                                                 zorder=3)[0]) for _, c, lab in spec.lines])
        self.edges.append([self.blit.add(ax.plot(
            [], [], ls="", marker="^", ms=2.5, color=c, transform=ax.get_xaxis_transform(),
            zorder=3, clip_on=False)[0]) for _, c, _ in spec.lines])
        self.marks.append(self.blit.add(ax.axvline(0, color=FALLEN, ls="--", lw=1.2,
                                                   visible=False, zorder=4)))
        shade = PolyCollection([], transform=ax.get_xaxis_transform(), lw=0, zorder=0.5)
        self.shades.append(self.blit.add(ax.add_collection(shade, autolim=False)))
        shade.set_clip_box(_inside_frame(ax))

    def _key(self, columns: int) -> None:
        """One key for all panels, below them: every line, phase and marker."""
        handles: list[Any] = [Line2D([], [], color=c, label=label) for spec in PLOTS
                              for _, c, label in spec.lines if label not in ("RU", "UA")]
        handles += [Line2D([], [], color=SIDE_COLOUR[RU], label="Russia"),
                    Line2D([], [], color=SIDE_COLOUR[UA], label="Ukraine"),
                    Line2D([], [], color=THRESHOLD, ls=(0, (5, 2)),
                           label="breakthrough ratio (needed)"),
                    Line2D([], [], ls="", marker="^", color="#542788",
                           label="∞: Ukraine has nothing there"),
                    Line2D([], [], ls="", marker="v", color="#b2182b",
                           label="−∞: no breakthrough expected"),
                    Line2D([], [], color=FALLEN, ls="--", label="offensive resumed")]
        handles += [Patch(fc=PHASE_SHADE[p], label=f"phase: {label}")
                    for p, label in PHASE_LABEL.items()]
        ncol = 3 if columns == COLUMNS else 2
        renderer = self.fig.canvas.get_renderer()
        sizes = (TEXT_PT, TEXT_PT - 0.5, TEXT_PT - 1.0, TEXT_PT - 1.5)
        for size in sizes:  # the largest text at which the key fits the figure's width
            self.key = self.fig.legend(handles=handles, loc="lower center", ncol=ncol,
                                       fontsize=size, frameon=False,
                                       bbox_to_anchor=(0.5, 0.0), columnspacing=1.0,
                                       handlelength=2.0)
            if size == sizes[-1] or \
                    self.key.get_window_extent(renderer).width <= self.fig.bbox.width - 4:
                break
            self.key.remove()

    def frame(self, model: CeasefireModel) -> bytes:
        """The plots of ``model`` up to today, as PNG bytes."""
        with self.blit.lock:
            return self._frame(model)

    def _frame(self, model: CeasefireModel) -> bytes:
        full = model.datacollector.model_vars
        n = min(len(v) for v in full.values())
        data = {k: v[:n] for k, v in full.items()}
        days = np.asarray(data["day"], dtype=float)
        at_war = np.isin(np.asarray(data["phase"]), WAR_PHASES)
        for ax, spec, lines, edges in zip(self.axes, PLOTS, self.lines, self.edges,
                                          strict=True):
            ys = [np.where(at_war & (name in CEASEFIRE_ONLY), np.nan,
                           np.asarray(data[name], dtype=float) * spec.scale)
                  for name, _, _ in spec.lines]
            for line, edge, y in zip(lines, edges, ys, strict=True):
                line.set_data(days, np.where(np.isfinite(y), y, np.nan))
                _mark_infinite(edge, days, y)
            if _widen(ax, ys, spec.yscale):
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
        day = model.record.day_resumed
        shown = not math.isnan(day)
        for mark in self.marks:
            mark.set_visible(shown)
            if shown:
                mark.set_xdata([day, day])
        self.note.set_text(f"offensive resumed on day {day:.0f}" if shown else "")


def _title(ax: Axes, title: str) -> None:
    """The panel's title, on two lines if one would run past the panel's width (a
    narrow column's two panels a row)."""
    text = ax.set_title(title, fontsize=TEXT_PT + 1, loc="left")
    width = text.get_window_extent(ax.figure.canvas.get_renderer()).width
    room = ax.get_position().width * ax.figure.bbox.width
    if width > room and " " in title:
        cut = min((i for i, c in enumerate(title) if c == " "),
                  key=lambda i: abs(i - len(title) * room / width))
        text.set_text(title[:cut] + "\n" + title[cut + 1:])


def _compact(value: float, _: Any = None) -> str:
    """A tick of a linear axis in few characters: 40k for 40,000."""
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:g}"


def _inside_frame(ax: Axes, px: float = 1.5) -> TransformedBbox:
    """The axes' box less ``px`` pixels on each side: shading clipped to it leaves the
    frame (drawn once, in the cached background) uncovered."""
    box = ax.get_position()
    fig_w, fig_h = ax.figure.bbox.width, ax.figure.bbox.height
    dx, dy = px / fig_w, px / fig_h
    return TransformedBbox(Bbox.from_extents(box.x0 + dx, box.y0 + dy, box.x1 - dx,
                                             box.y1 - dy), ax.figure.transFigure)


def _ratio_axis(ax: Axes, threshold: float | None) -> None:
    """A log axis of ratios; the threshold gets its own tick, labelled in bold."""
    ax.set_yscale("log")
    ticks = sorted({*RATIO_TICKS, *(() if threshold is None else (threshold,))})
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _: "" if threshold is not None and math.isclose(v, threshold) else f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    if threshold is not None:
        ax.text(-0.012, threshold, f"{threshold:g}", transform=ax.get_yaxis_transform(),
                ha="right", va="center", fontsize=TEXT_PT + 0.5, fontweight="bold",
                color=THRESHOLD)


def _mark_infinite(edge: Line2D, days: np.ndarray, y: np.ndarray) -> None:
    """Days with an infinite value, as markers on the top (+∞) or bottom (−∞) edge."""
    inf = np.isinf(y)
    if not inf.any():
        edge.set_data([], [])
        return
    sign = float(np.sign(y[inf][-1]))
    at, marker = EDGE[sign]
    keep = inf & (np.sign(y) == sign)
    edge.set_data(days[keep], np.full(int(keep.sum()), at))
    edge.set_marker(marker)


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


def _widen(ax: Axes, ys: list[np.ndarray], yscale: str) -> bool:
    """Widen the value axis (with headroom) if the data left it; True if it changed.

    Axes never shrink, and widen with generous headroom: a frame redraws the background
    (the slowest part of a frame) only when a series sets a record.
    """
    vals = np.concatenate([y[np.isfinite(y)] for y in ys])
    if yscale == "log":
        vals = vals[vals > 0]
    if vals.size == 0:
        return False
    lo, hi = ax.get_ylim()
    vmin, vmax = float(vals.min()), float(vals.max())
    if lo <= vmin and vmax <= hi:
        return False
    if yscale == "log":
        ax.set_ylim(min(lo, vmin / 2.0), max(hi, vmax * 2.0))
    elif yscale == "symlog":
        ax.set_ylim(min(lo, vmin * 3.0), max(hi, vmax * 3.0))
    else:
        pad = 0.4 * max(vmax - min(lo, vmin), 1e-9)
        ax.set_ylim(vmin - pad if vmin < lo else lo, max(hi, vmax + pad))
    return True
