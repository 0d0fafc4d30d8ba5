"""The visual run's map: control by side, works, the zone (coloured by its state) and its
sectors' coverage, the line of contact and the zone's edges, towns (ceded and fallen ones
told apart), the main attack's direction, and unit stacks sized by strength and coloured
by side and posture. The key is not in the image: the page shows it beside the map
(:data:`LEGEND`), so the map takes its whole column.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from dmzsim.common.labels import Spot, place_labels
from dmzsim.model.forces import RU, UA
from dmzsim.model.model import CeasefireModel
from dmzsim.runs.viz.drawing import (
    CEDED,
    DMZ_GOLD,
    FALLEN,
    FRONT,
    POSTURE_STYLE,
    RU_HELD,
    UA_HELD,
    WORKS,
    ZONE_BROKEN,
    ZONE_EDGE,
    Blitter,
    Painter,
)
from dmzsim.runs.viz.map_features import (
    NO_ZONE,
    View,
    attack_arrow,
    ceded_towns,
    front_lines,
    in_view,
    whole_view,
)
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

CSS_DPI = 96.0  # a CSS pixel is 1/96 inch: text in points keeps its size on any screen
MARGINS_IN = (0.62, 0.14, 0.3, 0.28)  # left, right, bottom, top (ticks and the title)
TICK_PT = 8.0  # tick labels and the title
TICK_STEPS = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0)  # degrees between ticks: the finest that fits
TICK_GAP_PX = {"x": 64.0, "y": 40.0}  # least room between two ticks' centres (CSS px)

#: The map's key, shown by the page beside the image: (kind, colour, edge, label) with
#: kind "patch", "line", "dashed", "arrow" or a marker glyph.
LEGEND: tuple[tuple[str, str, str, str], ...] = (
    ("patch", to_hex(RU_HELD), "", "Russian-held"),
    ("patch", to_hex(UA_HELD), "", "Ukrainian-held"),
    ("patch", to_hex(WORKS * 0.6 + UA_HELD * 0.4), "", "fortified (darker: stronger works)"),
    ("patch", to_hex(DMZ_GOLD), "", "DMZ in force (brighter: more monitored)"),
    ("patch", to_hex(ZONE_BROKEN), "", "former DMZ, war resumed"),
    ("line", FRONT, "", "line of contact"),
    ("dashed", ZONE_EDGE, "", "edge of the zone"),
    ("arrow", FALLEN, "", "main attack, after resumption"),
    ("◆", to_hex(DMZ_GOLD), "#444444", "monitoring sector (filled: coverage)"),
    ("◆", to_hex(DMZ_GOLD), "#d7301f", "sector that saw a build-up"),
    ("■", "#ffffff", "#000000", "fortress-belt town"),
    ("●", "#ffffff", "#000000", "other town"),
    ("●", "#bdbdbd", "#000000", "town Russian-held at day 0"),
    ("●", to_hex(RU_HELD), CEDED, "town ceded by the deal (gold ring)"),
    ("✕", FALLEN, "", "town taken by the offensive"),
)


class MapRenderer:
    """The theatre, or the part of it in ``view`` ((west, east, south, north) km; the
    whole theatre by default), on its real aspect ratio, ``width_px`` CSS pixels wide,
    drawn at ``dpr`` image pixels per CSS pixel (the browser's pixel density).

    Layers, bottom to top: the cell raster (numpy, pasted into the canvas at one pixel
    box per cell, no matplotlib resampling); the line of contact, the zone's edges,
    sectors, units and the attack arrow (matplotlib artists); then the oblast outline and
    the towns with their labels, drawn once into a transparent overlay and blended in
    (text is the slowest thing to draw) until a town changes hands.
    """

    def __init__(self, model: CeasefireModel, width_px: float = 560.0,
                 dpr: float = 1.0, view: View | None = None) -> None:
        r = model.theatre.raster
        self.raster, self.cell_km, self.outside = r, r.cell_km, ~r.in_oblast
        self.view = view if view is not None else whole_view(model)
        west, east, south, north = self.view
        aspect = (north - south) / (east - west)
        left, right, bottom, top = MARGINS_IN
        w = max(width_px, 240.0) / CSS_DPI
        map_w = w - left - right
        h = map_w * aspect + bottom + top
        self.rect = (left / w, bottom / h, map_w / w, map_w * aspect / h)
        self.scale = map_w / 4.6  # marker sizes were tuned for a 4.6 in wide map
        self.fig = Figure(figsize=(w, h), dpi=CSS_DPI * dpr)
        self.blit = Blitter(self.fig)
        self.ax = ax = self._axes(self.fig)
        _degree_ticks(ax, r, self.view, map_w * CSS_DPI)
        for spine in ax.spines.values():
            self.blit.add(spine)
        self._add_artists(ax, w, h)
        towns = r.towns
        self.town_xy = np.array([((t.cell[0] + 0.5) * self.cell_km,
                                  (t.cell[1] + 0.5) * self.cell_km) for t in towns]).reshape(-1, 2)
        self.towns_shown: tuple[bytes, bytes] | None = None
        self.front_version = -1
        self.label_boxes: list[Bbox] = []
        self.labelled: list[str] = []  # the towns whose names are on the map
        self.overlay: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.pixels: tuple[slice, slice, np.ndarray] | None = None

    def _add_artists(self, ax: Any, w: float, h: float) -> None:
        add = self.blit.add
        self.front = add(ax.add_collection(LineCollection([], colors=FRONT, linewidths=1.4,
                                                          zorder=3), autolim=False))
        self.zone_edge = add(ax.add_collection(LineCollection(
            [], colors=ZONE_EDGE, linewidths=1.1, linestyles=(0, (4, 2)), zorder=3),
            autolim=False))
        self.sectors = add(ax.scatter([], [], marker="D", s=36 * self.scale, linewidths=1.2,
                                      zorder=4))
        self.units = {p: add(ax.scatter([], [], marker=style[1], linewidths=0.5,
                                        edgecolors="#111111", zorder=5))
                      for p, style in POSTURE_STYLE.items()}
        self.arrow = add(ax.add_patch(FancyArrowPatch(
            (0, 0), (1, 1), arrowstyle="simple,head_width=1.4,head_length=1.2,tail_width=0.5",
            mutation_scale=16 * self.scale, fc=FALLEN, ec="white", lw=0.8, alpha=0.9,
            zorder=6, visible=False)))
        self.title = add(self.fig.text(MARGINS_IN[0] / w, 1 - 0.06 / h, "", fontsize=TICK_PT,
                                       va="top"))

    def _axes(self, fig: Figure) -> Any:
        ax = fig.add_axes(self.rect)
        ax.set_xlim(*self.view[:2])
        ax.set_ylim(*self.view[2:])
        return ax

    # --- the overlay: outline, towns, labels ------------------------------------------
    def _draw_overlay(self, held: np.ndarray, ceded: np.ndarray) -> None:
        """Outline, towns and their labels (ceded ones ringed in gold, fallen ones crossed
        and red), as sparse pixels to blend over each frame."""
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
        fell = start & ~held & ~ceded
        fill = np.where(ceded, to_hex(RU_HELD), np.where(start, "white", "#bdbdbd"))
        edge = np.where(ceded, CEDED, "black")
        for mask, marker, size in ((belt, "s", 30), (~belt, "o", 14)):
            ax.scatter(*self.town_xy[mask].T, marker=marker, s=size * self.scale,
                       c=fill[mask], edgecolors=edge[mask],
                       linewidths=np.where(ceded[mask], 2.0, 1.0))
        ax.scatter(*self.town_xy[fell].T, marker="x", s=64 * self.scale, c=FALLEN,
                   linewidths=2.0)
        colours = np.where(fell, FALLEN, np.where(ceded, CEDED,
                                                  np.where(start, "black", "#555555")))
        self._label_towns(fig, ax, colours, belt)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba()).reshape(-1, 4)
        flat = np.flatnonzero(rgba[:, 3])
        alpha = rgba[flat, 3:4].astype(np.float32) / 255.0
        self.overlay = (flat, rgba[flat, :3].astype(np.float32) * alpha, 1.0 - alpha)

    def _label_towns(self, fig: Figure, ax: Any, colours: np.ndarray, belt: np.ndarray) -> None:
        """Names of the towns in view, each at a spot where it overlaps no other label and
        no town: fortress-belt towns first; a name with no such spot is left out."""
        towns = self.raster.towns
        halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
        shown = in_view(self.town_xy, self.view)
        order = sorted((i for i in range(len(towns)) if shown[i]),
                       key=lambda i: (not belt[i], towns[i].name))
        texts = [ax.annotate(towns[i].name, tuple(self.town_xy[i]), xytext=(4, 2),
                             textcoords="offset points", fontsize=8, color=colours[i],
                             path_effects=halo, fontweight="bold" if belt[i] else "normal",
                             fontstyle="italic" if colours[i] == CEDED else "normal")
                 for i in order]
        renderer = fig.canvas.get_renderer()

        def measure(j: int, size: float, spot: Spot) -> Bbox:
            text = texts[j]
            text.set_fontsize(size)
            text.set_position(spot[:2])
            text.set_ha(spot[2])
            text.set_va(spot[3])
            return text.get_window_extent(renderer)

        points = ax.transData.transform(self.town_xy[order]) if order else np.zeros((0, 2))
        half = [0.5 * math.sqrt((30 if belt[i] else 14) * self.scale) * fig.dpi / 72 + 1
                for i in order]
        choice, boxes = place_labels(points, half, measure, ax.bbox)
        to_data = ax.transData.inverted()
        self.labelled = []
        for j, picked in enumerate(choice):
            if picked is None:
                texts[j].set_visible(False)
                continue
            size, spot = picked
            self.labelled.append(towns[order[j]].name)
            box = measure(j, size, spot)
            if math.hypot(*spot[:2]) > 12:  # far from its town: a leader line to it
                end = to_data.transform((min(max(points[j][0], box.x0), box.x1),
                                         min(max(points[j][1], box.y0), box.y1)))
                ax.plot(*np.column_stack([self.town_xy[order[j]], end]), color="#666666",
                        lw=0.6)
        self.label_boxes = boxes

    # --- the cell raster ----------------------------------------------------------------
    def _pixel_map(self, height: int) -> tuple[slice, slice, np.ndarray]:
        """The axes' pixel box in the canvas and, per pixel, the flat index of its cell."""
        nx, ny = self.raster.shape
        west, east, south, north = self.view
        k = self.cell_km
        box = self.ax.bbox
        c0, c1 = round(box.x0), round(box.x1)
        r0, r1 = height - round(box.y1), height - round(box.y0)
        x_km = west + (np.arange(c0, c1) + 0.5 - box.x0) / box.width * (east - west)
        y_up = height - (np.arange(r0, r1) + 0.5)
        y_km = south + (y_up - box.y0) / box.height * (north - south)
        ix = np.floor(x_km / k).astype(int).clip(0, nx - 1)
        iy = np.floor(y_km / k).astype(int).clip(0, ny - 1)
        return slice(r0, r1), slice(c0, c1), ix[None, :] * ny + iy[:, None]

    def _paste(self, rgba: np.ndarray) -> Painter:
        def paint(buf: np.ndarray) -> None:
            if self.pixels is None:
                self.pixels = self._pixel_map(buf.shape[0])
            rows, cols, index = self.pixels
            # one 32-bit word a pixel: a quarter of the gathers of one a byte
            words = np.ascontiguousarray(rgba).view(np.uint32).reshape(-1)
            buf.view(np.uint32)[rows, cols, 0] = words[index]
        return paint

    def _blend_overlay(self, buf: np.ndarray) -> None:
        assert self.overlay is not None
        flat, premultiplied, keep = self.overlay
        px = buf.reshape(-1, 4)
        px[flat, :3] = (premultiplied + px[flat, :3] * keep).astype(np.uint8)

    def colours(self, model: CeasefireModel) -> np.ndarray:
        """RGBA per cell, ``[x, y]``: control, darkened by works, and the zone: gold
        while it is in force (brighter where monitored), grey once the war is on."""
        th = model.theatre
        ua = th.control == UA
        rgb = np.where(ua[..., None], UA_HELD, RU_HELD)
        works = (0.6 * th.fort * (ua | th.dmz))[..., None]
        rgb = rgb * (1.0 - works) + WORKS * works
        if model.at_war:
            alpha, zone = (0.7 * th.dmz)[..., None], ZONE_BROKEN
        else:
            alpha, zone = ((0.45 + 0.45 * th.monitored) * th.dmz)[..., None], DMZ_GOLD
        rgb = rgb * (1.0 - alpha) + zone * alpha
        rgb[self.outside] = rgb[self.outside] * 0.55 + 0.45
        out = np.empty((*rgb.shape[:2], 4), np.uint8)
        out[..., :3] = np.rint(rgb * 255)
        out[..., 3] = 255
        return out

    # --- per frame ------------------------------------------------------------------------
    def frame(self, model: CeasefireModel) -> bytes:
        """The map of ``model`` today, as PNG bytes."""
        with self.blit.lock:
            return self._frame(model)

    def _frame(self, model: CeasefireModel) -> bytes:
        held, ceded = model.theatre.towns_held, ceded_towns(model)
        key = (held.tobytes(), ceded.tobytes())
        if key != self.towns_shown:
            self._draw_overlay(held, ceded)
            self.towns_shown = key
        self._update_lines(model)
        self._update_sectors(model)
        self._update_units(model)
        self._update_arrow(model)
        self.title.set_text(f"Day {model.day} · {model.phase} · {deal_text(model.p)}")
        return self.blit.png(under=self._paste(self.colours(model)), over=self._blend_overlay)

    def _update_lines(self, model: CeasefireModel) -> None:
        """The line of contact and the zone's edges, traced again when ground changed."""
        if model.theatre.version == self.front_version:
            return
        front, zone = front_lines(model)
        self.front.set_segments(front)
        self.zone_edge.set_segments(zone)
        self.front_version = model.theatre.version

    def _update_arrow(self, model: CeasefireModel) -> None:
        arrow = attack_arrow(model)
        self.arrow.set_visible(arrow is not None)
        if arrow is not None:
            self.arrow.set_positions(tuple(arrow[0]), tuple(arrow[1]))

    def _update_sectors(self, model: CeasefireModel) -> None:
        k, sectors = self.cell_km, [s for s in model.monitoring.sectors if s.cell is not None]
        xy = np.array([s.cell.coordinate for s in sectors], dtype=float).reshape(-1, 2)
        cover = np.array([s.coverage for s in sectors], dtype=float)
        face = np.column_stack([np.tile(DMZ_GOLD, (len(cover), 1)), 0.15 + 0.85 * cover])
        self.sectors.set_offsets((xy + 0.5) * k)
        self.sectors.set_facecolors(face)
        self.sectors.set_edgecolors(["#d7301f" if s.detections else "#444444"
                                     for s in sectors])

    def _update_units(self, model: CeasefireModel) -> None:
        stacks = unit_stacks(model)
        scale = 16.0 * self.scale / model.p.unit_personnel
        for posture, artist in self.units.items():
            rows = stacks[stacks[:, 3] == int(posture)]
            artist.set_offsets((rows[:, :2] + 0.5) * self.cell_km)
            artist.set_sizes(np.clip(rows[:, 4] * scale, 5.0, 600.0 * self.scale))
            _, _, ru, ua = POSTURE_STYLE[posture]
            artist.set_facecolors([ru if s == RU else ua for s in rows[:, 2]])

    def fraction_of(self, cell: tuple[int, int]) -> tuple[float, float] | None:
        """Where a cell's centre is in the image, as fractions of its width and height
        from the top left (the inverse of :meth:`cell_at`); None if it is out of view."""
        xy = ((cell[0] + 0.5) * self.cell_km, (cell[1] + 0.5) * self.cell_km)
        if not in_view(np.array(xy), self.view)[0]:
            return None
        w, h = self.fig.canvas.get_width_height()
        x, y = self.ax.transData.transform(xy)
        return float(x / w), float(1.0 - y / h)

    def cell_at(self, fx: float, fy: float) -> tuple[int, int] | None:
        """The cell under a point of the image given as fractions of its width and height
        from the top left (where the page was clicked); None outside the map."""
        w, h = self.fig.canvas.get_width_height()
        x, y = self.ax.transData.inverted().transform((fx * w, (1.0 - fy) * h))
        nx, ny = self.raster.shape
        if not in_view(np.array((x, y)), self.view)[0]:
            return None
        i, j = math.floor(x / self.cell_km), math.floor(y / self.cell_km)
        return (i, j) if 0 <= i < nx and 0 <= j < ny else None


def deal_text(p: Any) -> str:
    """The deal in a few words: the arm, and its zone's shape if it has a zone."""
    if p.sequencing == "no_deal":
        return "no deal: the war goes on"
    if p.sequencing in NO_ZONE:
        return f"{p.sequencing}: ceasefire on the line, no zone"
    width = f" {p.dmz_width_km:g} km" if p.dmz_shape == "mirrored" else ""
    return f"{p.sequencing}, {p.dmz_shape}{width} DMZ"


def _degree_ticks(ax: Any, raster: Any, view: View, width_px: float) -> None:
    """Label the km axes in degrees (the projection is linear in lon and in lat), at the
    finest step of :data:`TICK_STEPS` that leaves labels room apart."""
    for name, axis, km, deg, (lo_km, hi_km), suffix in (
            ("x", ax.xaxis, raster.x_km[:, 0], raster.lon[:, 0], view[:2], "E"),
            ("y", ax.yaxis, raster.y_km[0, :], raster.lat[0, :], view[2:], "N")):
        if km.size < 2:
            continue
        slope = (deg[-1] - deg[0]) / (km[-1] - km[0])
        lo, hi = deg[0] + slope * (lo_km - km[0]), deg[0] + slope * (hi_km - km[0])
        px_per_deg = width_px / abs(hi - lo) if name == "x" else \
            width_px * (view[3] - view[2]) / (view[1] - view[0]) / abs(hi - lo)
        step = next((s for s in TICK_STEPS if s * px_per_deg >= TICK_GAP_PX[name]),
                    TICK_STEPS[-1])
        ticks = np.arange(math.ceil(lo / step - 1e-9) * step, hi + 1e-9, step)
        axis.set_ticks(km[0] + (ticks - deg[0]) / slope)
        digits = 1 if abs(step * 10 - round(step * 10)) < 1e-9 else 2
        axis.set_ticklabels([f"{t:.{digits}f}°{suffix}" for t in ticks], fontsize=TICK_PT)


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
