"""The visual run's map: control by side, works, the DMZ and its sectors' coverage, towns
(fallen ones marked), and unit stacks sized by strength and coloured by side and posture.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from dmzsim.model.forces import RU, UA
from dmzsim.model.model import CeasefireModel
from dmzsim.runs.viz.drawing import (
    DMZ_GOLD,
    FALLEN,
    POSTURE_STYLE,
    RU_HELD,
    UA_HELD,
    WORKS,
    Blitter,
    Painter,
)
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch


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
        self.blit = Blitter(self.fig)
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
