"""What the visual run draws: the map, the monitors and the plots.

Drawing uses matplotlib's object API (``Figure`` + Agg canvas, never pyplot, so several
browser sessions can render at once). Each renderer builds its figure once per model and
then only updates its artists (image data, scatter offsets, line data), so a frame costs
one Agg draw and one fast PNG encode. The solara components at the end wrap the
renderers; they re-render when the page's ``tick`` changes.
"""

from __future__ import annotations

import contextlib
import io
import math
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import solara
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from PIL import Image as PILImage

from model.forces import RU, UA, Posture

if TYPE_CHECKING:
    from model.model import CeasefireModel

RU_HELD, UA_HELD = np.array([0.93, 0.66, 0.62]), np.array([0.66, 0.79, 0.93])
WORKS, DMZ_GOLD = np.array([0.08, 0.20, 0.40]), np.array([0.99, 0.80, 0.18])
SIDE_COLOUR = {RU: "#b2182b", UA: "#2166ac"}
# Posture -> (name, marker, RU shade, UA shade): colour says side and what a unit is doing.
POSTURE_STYLE: dict[Posture, tuple[str, str, str, str]] = {
    Posture.DEFEND: ("on the line", "o", "#b2182b", "#2166ac"),
    Posture.RESERVE: ("reserve", "o", "#f4a582", "#92c5de"),
    Posture.WITHDRAW: ("withdrawing", "v", "#d6604d", "#4393c3"),
    Posture.CONCENTRATE: ("massing", "s", "#e66101", "#35978f"),
    Posture.ATTACK: ("attacking", "^", "#67001f", "#053061"),
}
RATIO_TICKS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 1000)
PHASE_SHADE = {"withdrawal": "#d9d9d9", "dmz": "#fff2b3", "resumed": "#fbd0cc",
               "war": "#fbd0cc"}
FALLEN = "#b2182b"
Painter = Callable[[np.ndarray], None]


class _Blitter:
    """Draw a figure's static parts once; per frame, paint only the changing artists.

    ``dynamic`` artists are marked animated, so a full draw leaves them out; a frame
    restores the cached background, draws them in z-order and encodes the canvas as PNG
    (zlib level 1: several times faster than the default, files ~30% larger).
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.lock = threading.Lock()  # a page may render from its play thread and its UI
        FigureCanvasAgg(fig)
        self.dynamic: list[Artist] = []
        self.background: Any = None

    def add(self, artist: Artist) -> Artist:
        artist.set_animated(True)
        self.dynamic.append(artist)
        return artist

    def invalidate(self) -> None:
        self.background = None

    def png(self, under: Painter | None = None, over: Painter | None = None) -> bytes:
        """Encode a frame; ``under``/``over`` paint on the RGBA buffer before/after the
        dynamic artists are drawn."""
        canvas = self.fig.canvas
        if self.background is None:
            canvas.draw()
            self.background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self.background)
        if under is not None:
            under(np.asarray(canvas.buffer_rgba()))
        for artist in sorted(self.dynamic, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                self.fig.draw_artist(artist)
        if over is not None:
            over(np.asarray(canvas.buffer_rgba()))
        width, height = canvas.get_width_height()
        image = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw",
                                    "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _degree_ticks(ax: Any, raster: Any) -> None:
    """Label the km axes in degrees (the projection is linear in lon and in lat)."""
    nx, ny = raster.shape
    for axis, km, deg, top, suffix in (
            (ax.xaxis, raster.x_km[:, 0], raster.lon[:, 0], nx * raster.cell_km, "E"),
            (ax.yaxis, raster.y_km[0, :], raster.lat[0, :], ny * raster.cell_km, "N")):
        if km.size < 2:
            continue
        slope = (deg[-1] - deg[0]) / (km[-1] - km[0])
        lo, hi = deg[0] - slope * km[0], deg[0] + slope * (top - km[0])
        step = 0.5 if hi - lo > 1.5 else 0.1
        ticks = np.arange(math.ceil(lo / step) * step, hi, step)
        axis.set_ticks(km[0] + (ticks - deg[0]) / slope)
        axis.set_ticklabels([f"{t:.1f}°{suffix}" for t in ticks], fontsize=7)


class MapRenderer:
    """The theatre on its real aspect ratio: control, works, DMZ, towns, sectors, units.

    Layers, bottom to top: the cell raster (numpy, pasted into the canvas at one pixel
    box per cell, no matplotlib resampling); sectors, units and fallen-town marks
    (matplotlib artists); then the oblast outline and the town markers and labels, drawn
    once into a transparent overlay and blended in (text is the slowest thing to draw).
    """

    LEGEND_IN, LEFT_IN, PAD_IN = 1.75, 0.6, 0.12

    def __init__(self, model: CeasefireModel, map_width_in: float = 4.6, dpi: int = 90) -> None:
        r = model.theatre.raster
        nx, ny = r.shape
        self.raster, self.cell_km, self.outside = r, r.cell_km, ~r.in_oblast
        map_h = map_width_in * ny / nx
        w = self.LEFT_IN + map_width_in + self.PAD_IN + self.LEGEND_IN
        h = max(map_h + 0.65, 4.2)
        self.rect = (self.LEFT_IN / w, 0.3 / h, map_width_in / w, map_h / h)
        self.fig = Figure(figsize=(w, h), dpi=dpi)
        self.blit = _Blitter(self.fig)
        self.ax = ax = self._axes(self.fig)
        _degree_ticks(ax, r)
        for spine in ax.spines.values():
            self.blit.add(spine)
        self.sectors = self.blit.add(ax.scatter([], [], marker="D", s=36, linewidths=1.2,
                                                zorder=4))
        self.units = {p: self.blit.add(ax.scatter([], [], marker=style[1], linewidths=0.5,
                                                  edgecolors="#111111", zorder=5))
                      for p, style in POSTURE_STYLE.items()}
        self.title = self.blit.add(self.fig.text(self.LEFT_IN / w, 1 - 0.08 / h, "",
                                                 fontsize=9, va="top"))
        self._legend(w)
        towns = r.towns
        self.town_xy = np.array([((t.cell[0] + 0.5) * self.cell_km,
                                  (t.cell[1] + 0.5) * self.cell_km) for t in towns]).reshape(-1, 2)
        self.held_shown: np.ndarray | None = None
        self.overlay: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.pixels: tuple[slice, slice, np.ndarray] | None = None

    def _legend(self, w: float) -> None:
        handles: list[Any] = [
            Patch(fc=RU_HELD, label="Russian-held"), Patch(fc=UA_HELD, label="Ukrainian-held"),
            Patch(fc=WORKS * 0.6 + UA_HELD * 0.4, label="fortified (darker)"),
            Patch(fc=DMZ_GOLD, label="DMZ (brighter:\nmore monitored)"),
            Line2D([], [], ls="", marker="D", mfc=DMZ_GOLD, mec="#444444",
                   label="monitoring sector"),
            Line2D([], [], ls="", marker="D", mfc=DMZ_GOLD, mec="#d7301f", mew=1.5,
                   label="sector saw a build-up"),
            Line2D([], [], ls="", marker="s", mfc="white", mec="black",
                   label="fortress-belt town"),
            Line2D([], [], ls="", marker="o", mfc="#bdbdbd", mec="black",
                   label="town Russian-held at day 0"),
            Line2D([], [], ls="", marker="x", mec=FALLEN, mew=2, label="town fallen since")]
        labels = [h.get_label() for h in handles]
        for name, marker, ru, ua in POSTURE_STYLE.values():
            handles.append(tuple(Line2D([], [], ls="", marker=marker, mfc=c, mec="#111111")
                                 for c in (ru, ua)))
            labels.append(f"{name} (RU, UA)")
        self.fig.legend(handles, labels, loc="upper left", fontsize=6.5, frameon=False,
                        bbox_to_anchor=((w - self.LEGEND_IN) / w, 0.97), handlelength=2.0,
                        handler_map={tuple: HandlerTuple(ndivide=None)},
                        title="units: area ∝ personnel", title_fontsize=6.5,
                        alignment="left")

    def _axes(self, fig: Figure) -> Any:
        nx, ny = self.raster.shape
        ax = fig.add_axes(self.rect)
        ax.set_xlim(0.0, nx * self.cell_km)
        ax.set_ylim(0.0, ny * self.cell_km)
        return ax

    def _draw_overlay(self, held: np.ndarray) -> None:
        """Outline, towns and their labels (crossed and red once fallen), as sparse pixels."""
        fig = Figure(figsize=self.fig.get_size_inches(), dpi=self.fig.dpi)
        FigureCanvasAgg(fig)
        fig.patch.set_alpha(0.0)
        ax = self._axes(fig)
        ax.axis("off")
        r, k = self.raster, self.cell_km
        xs, ys = (np.arange(r.shape[0]) + 0.5) * k, (np.arange(r.shape[1]) + 0.5) * k
        ax.contour(xs, ys, r.in_oblast.T.astype(float), levels=[0.5], colors="#222222",
                   linewidths=1.0)
        belt = np.array([t.fortress_belt for t in r.towns], dtype=bool)
        start = np.array([bool(r.ua_held[t.cell]) for t in r.towns], dtype=bool)
        fell = start & ~held
        fill = np.where(start, "white", "#bdbdbd")
        for mask, marker, size in ((belt, "s", 30), (~belt, "o", 12)):
            ax.scatter(*self.town_xy[mask].T, marker=marker, s=size, c=fill[mask],
                       edgecolors="black", linewidths=1.0)
        ax.scatter(*self.town_xy[fell].T, marker="x", s=64, c=FALLEN, linewidths=2.0)
        halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
        for i, t in enumerate(r.towns):
            colour = FALLEN if fell[i] else ("black" if start[i] else "#555555")
            ax.annotate(t.name, tuple(self.town_xy[i]), xytext=(4, 3), fontsize=6.5,
                        textcoords="offset points", color=colour, path_effects=halo,
                        fontweight="bold" if t.fortress_belt else "normal")
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba()).reshape(-1, 4)
        flat = np.flatnonzero(rgba[:, 3])
        alpha = rgba[flat, 3:4].astype(np.float32) / 255.0
        self.overlay = (flat, rgba[flat, :3].astype(np.float32) * alpha, 1.0 - alpha)

    def _pixel_map(self, height: int) -> tuple[slice, slice, np.ndarray]:
        """The axes' pixel box in the canvas and, per pixel, the flat index of its cell."""
        nx, ny = self.raster.shape
        box = self.ax.bbox
        c0, c1 = round(box.x0), round(box.x1)
        r0, r1 = height - round(box.y1), height - round(box.y0)
        ix = ((np.arange(c0, c1) + 0.5 - box.x0) / box.width * nx).astype(int).clip(0, nx - 1)
        y_up = height - (np.arange(r0, r1) + 0.5)
        iy = ((y_up - box.y0) / box.height * ny).astype(int).clip(0, ny - 1)
        return slice(r0, r1), slice(c0, c1), ix[None, :] * ny + iy[:, None]

    def _paste(self, rgba: np.ndarray) -> Painter:
        def paint(buf: np.ndarray) -> None:
            if self.pixels is None:
                self.pixels = self._pixel_map(buf.shape[0])
            rows, cols, index = self.pixels
            buf[rows, cols] = rgba.reshape(-1, 4)[index]
        return paint

    def _blend_overlay(self, buf: np.ndarray) -> None:
        assert self.overlay is not None
        flat, premultiplied, keep = self.overlay
        px = buf.reshape(-1, 4)
        px[flat, :3] = (premultiplied + px[flat, :3] * keep).astype(np.uint8)

    # --- per frame ------------------------------------------------------------------------
    def frame(self, model: CeasefireModel) -> bytes:
        """The map of ``model`` today, as PNG bytes."""
        with self.blit.lock:
            return self._frame(model)

    def _frame(self, model: CeasefireModel) -> bytes:
        held = model.theatre.towns_held
        if self.held_shown is None or not np.array_equal(held, self.held_shown):
            self._draw_overlay(held)
            self.held_shown = held.copy()
        self._update_sectors(model)
        self._update_units(model)
        p = model.p
        self.title.set_text(f"Day {model.day} · {model.phase} · {p.sequencing}, "
                            f"{p.dmz_shape} DMZ")
        return self.blit.png(under=self._paste(self.colours(model)), over=self._blend_overlay)

    def colours(self, model: CeasefireModel) -> np.ndarray:
        """RGBA per cell, ``[x, y]``: control, darkened by works, gold where the DMZ is."""
        th = model.theatre
        ua = th.control == UA
        rgb = np.where(ua[..., None], UA_HELD, RU_HELD)
        works = (0.6 * th.fort * (ua | th.dmz))[..., None]
        rgb = rgb * (1.0 - works) + WORKS * works
        alpha = ((0.45 + 0.45 * th.monitored) * th.dmz)[..., None]
        rgb = rgb * (1.0 - alpha) + DMZ_GOLD * alpha
        rgb[self.outside] = rgb[self.outside] * 0.55 + 0.45
        out = np.empty((*rgb.shape[:2], 4), np.uint8)
        out[..., :3] = np.rint(rgb * 255)
        out[..., 3] = 255
        return out

    def _update_sectors(self, model: CeasefireModel) -> None:
        k, sectors = self.cell_km, [s for s in model.sectors if s.cell is not None]
        xy = np.array([s.cell.coordinate for s in sectors], dtype=float).reshape(-1, 2)
        cover = np.array([s.coverage for s in sectors], dtype=float)
        face = np.column_stack([np.tile(DMZ_GOLD, (len(cover), 1)), 0.15 + 0.85 * cover])
        self.sectors.set_offsets((xy + 0.5) * k)
        self.sectors.set_facecolors(face)
        self.sectors.set_edgecolors(["#d7301f" if s.detections else "#444444"
                                     for s in sectors])

    def _update_units(self, model: CeasefireModel) -> None:
        stacks = unit_stacks(model)
        scale = 16.0 / model.p.unit_personnel
        for posture, artist in self.units.items():
            rows = stacks[stacks[:, 3] == int(posture)]
            artist.set_offsets((rows[:, :2] + 0.5) * self.cell_km)
            artist.set_sizes(np.clip(rows[:, 4] * scale, 5.0, 600.0))
            _, _, ru, ua = POSTURE_STYLE[posture]
            artist.set_facecolors([ru if s == RU else ua for s in rows[:, 2]])


def unit_stacks(model: CeasefireModel) -> np.ndarray:
    """Units on the map summed per (cell, side, posture): rows ``x, y, side, posture,
    personnel``, one marker per row."""
    f = model.forces
    stacks: dict[tuple[int, int, int, int], float] = {}
    for row, unit in model.units.items():
        if unit.cell is None or not f.alive[row]:
            continue
        key = (*unit.cell.coordinate, int(f.side[row]), int(f.posture[row]))
        stacks[key] = stacks.get(key, 0.0) + float(f.strength[row])
    return np.array([(*k, v) for k, v in stacks.items()], dtype=float).reshape(-1, 5)


# --- plots ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlotSpec:
    """One panel: a title and the (series, colour, label) lines it draws."""

    title: str
    lines: tuple[tuple[str, str, str], ...]
    log: bool = False
    scale: float = 1.0


PLOTS = (
    PlotSpec("Force ratio, main axis (RU : UA effective)",
             (("force_ratio_main_axis", "#542788", "ratio"),), log=True),
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


class PlotsRenderer:
    """Five time-series panels with phase shading and a marker where the offensive resumed.

    The day axis is fixed to the horizon and the value axes only ever widen (with
    headroom), so most frames reuse the cached background and repaint just the lines.
    """

    def __init__(self, model: CeasefireModel, width_in: float = 8.6, dpi: int = 80) -> None:
        self.fig = Figure(figsize=(width_in, 4.6), dpi=dpi)
        self.fig.subplots_adjust(left=0.06, right=0.99, bottom=0.1, top=0.94, wspace=0.28,
                                 hspace=0.38)
        self.blit = _Blitter(self.fig)
        axes = self.fig.subplots(2, 3).ravel()
        self.axes: list[Any] = list(axes[:5])
        self.lines: list[list[Any]] = []
        self.marks, self.shades = [], []
        for ax, spec in zip(self.axes, PLOTS, strict=True):
            self._init_panel(ax, spec, model)
        for ax in axes[3:5]:
            ax.set_xlabel("day", fontsize=7, labelpad=1)
        self._key(axes[5])
        self.note = self.blit.add(self.axes[0].text(
            0.98, 0.95, "", transform=self.axes[0].transAxes, ha="right", va="top",
            fontsize=7, color=FALLEN))

    def _init_panel(self, ax: Any, spec: PlotSpec, model: CeasefireModel) -> None:
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

    def _key(self, ax: Any) -> None:
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


def _widen(ax: Any, ys: list[np.ndarray], log: bool) -> bool:
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
