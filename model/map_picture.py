"""The picture ``dmzsim map --figure`` draws: the theatre as the model rasterised it.

One panel per state (the map as drawn, then each zone declared): who holds each cell,
the zone, water, the oblast's outline, the sectors' borders near the front and the towns
(whose each is, or in the zone), with one key for every colour and symbol. Drawn from the
model's own arrays, so what the picture shows is what a run starts from.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.common.labels import Spot, place_labels
from dmzsim.model.forces import UA
from dmzsim.model.map_geometry import TheatreFrame
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

if TYPE_CHECKING:
    from dmzsim.model.theatre import Theatre

#: cell classes and their colours: Russian-held, Ukrainian-held, zone, water, sector border
COLOURS = ["#e8b4ae", "#a9c4e4", "#f2d36b", "#5b8fc9", "#444444"]
LABELS = ["held by Russia", "held by Ukraine", "zone", "impassable water",
          "sector border (near the front)"]
#: towns by whose they are on the panel: (colour, label)
TOWN_COLOURS = {"ukraine": ("#1f3f77", "town held by Ukraine"),
                "russia": ("#7a1f17", "town held by Russia"),
                "zone": ("#8c6d00", "town in the zone")}
OUTLINE = "#000000"
TOWN_MARKER_PT = 3.5  # a town's marker, points
LABEL_FONT_SIZES = (5.5, 5.0, 4.5)  # points; a name shrinks before it moves away
#: Sector borders are drawn this far either side of the front (km; at least two cells).
BORDER_BAND_KM = 8.0


def _classes(th: Theatre) -> np.ndarray:
    """Each cell's class (index into :data:`COLOURS`), ``[x, y]``."""
    cls = np.where(th.control == UA, 1, 0)
    cls = np.where(th.dmz, 2, cls)
    return np.where(~th.passable.reshape(th.control.shape), 3, cls)


def border_band(th: Theatre) -> np.ndarray:
    """Cells near the front (``[x, y]``): where the sector borders are drawn. Sectors
    partition the whole theatre, but they are stretches of the front."""
    band = max(BORDER_BAND_KM, 2 * th.cell_km)
    return np.abs(th.depth.reshape(th.control.shape)) <= band


def sector_border_segments(th: Theatre) -> list[list[tuple[float, float]]]:
    """The cell edges between two different sectors near the front, in km."""
    sec = th.sectors.sector_of_cell.reshape(th.control.shape)
    near = border_band(th)
    c = th.cell_km
    segments = []
    for axis in (0, 1):
        a = sec[1:, :] if axis == 0 else sec[:, 1:]
        b = sec[:-1, :] if axis == 0 else sec[:, :-1]
        close = (near[1:, :] & near[:-1, :]) if axis == 0 else (near[:, 1:] & near[:, :-1])
        for x, y in zip(*np.nonzero((a != b) & (a >= 0) & (b >= 0) & close), strict=True):
            x0, y0 = (x + 1, y) if axis == 0 else (x, y + 1)  # the edge's lower-left end
            end = (x0, y0 + 1) if axis == 0 else (x0 + 1, y0)
            segments.append([(x0 * c, y0 * c), (end[0] * c, end[1] * c)])
    return segments


def town_side(th: Theatre, cell: tuple[int, int]) -> str:
    """Whose a town is on the panel: in the zone (either side's, or ceded), else the
    side that holds it (a key of :data:`TOWN_COLOURS`)."""
    if th.dmz[cell]:
        return "zone"
    return "ukraine" if th.control[cell] == UA else "russia"


def _panel(ax, th: Theatre, title: str) -> None:
    r = th.raster
    nx, ny = r.shape
    extent = (0.0, nx * r.cell_km, 0.0, ny * r.cell_km)
    ax.imshow(_classes(th).T, origin="lower", extent=extent, interpolation="nearest",
              cmap=ListedColormap(COLOURS[:4]), vmin=0, vmax=3)
    ax.add_collection(LineCollection(sector_border_segments(th), colors=COLOURS[4],
                                     linewidths=0.8))
    frame = TheatreFrame.of(r.spec)
    ring = frame.project_pairs(r.spec.oblast.ring())
    ring = np.vstack([ring, ring[:1]])
    ax.plot(ring[:, 0], ring[:, 1], color=OUTLINE, lw=0.9)
    for t in r.towns:
        x, y = (t.cell[0] + 0.5) * r.cell_km, (t.cell[1] + 0.5) * r.cell_km
        colour = TOWN_COLOURS[town_side(th, t.cell)][0]
        ax.plot(x, y, "s" if t.fortress_belt else "o", ms=TOWN_MARKER_PT, color=colour,
                markeredgecolor="white", markeredgewidth=0.4)
    ax.set_title(f"{title}: {th.n_sectors} sectors, {th.front_km.sum():.0f} km of front",
                 fontsize=8)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=6)
    ax.set_xlabel("km east", fontsize=6)
    ax.set_ylabel("km north", fontsize=6)


def _label_towns(fig: Figure, ax, th: Theatre) -> None:
    """Name the towns where no name overlaps another or covers a town (fortress belt
    first); a name with no free spot is left out. Needs the figure's final layout."""
    towns = th.raster.towns
    order = sorted(range(len(towns)), key=lambda i: (not towns[i].fortress_belt,
                                                     towns[i].name))
    xy = np.array([[(towns[i].cell[0] + 0.5) * th.cell_km,
                    (towns[i].cell[1] + 0.5) * th.cell_km] for i in order]).reshape(-1, 2)
    texts = [ax.annotate(towns[i].name, tuple(p), xytext=(2, 2), textcoords="offset points",
                         fontsize=LABEL_FONT_SIZES[0]) for i, p in zip(order, xy, strict=True)]
    renderer = fig.canvas.get_renderer()

    def measure(j: int, size: float, spot: Spot) -> Bbox:
        texts[j].set_fontsize(size)
        texts[j].set_position(spot[:2])
        texts[j].set_ha(spot[2])
        texts[j].set_va(spot[3])
        return texts[j].get_window_extent(renderer)

    half = [TOWN_MARKER_PT / 2.0 * fig.dpi / 72 + 1] * len(order)
    choice, _ = place_labels(ax.transData.transform(xy), half, measure, ax.bbox,
                             LABEL_FONT_SIZES)
    for j, picked in enumerate(choice):
        if picked is None:
            texts[j].set_visible(False)
        else:
            measure(j, *picked)


def legend_handles() -> list:
    """Every colour and symbol the panels use, with what it means."""
    handles: list = [Patch(color=c, label=lab)
                     for c, lab in zip(COLOURS[:4], LABELS, strict=False)]
    handles.append(Line2D([], [], color=COLOURS[4], lw=0.8, label=LABELS[4]))
    handles.append(Line2D([], [], color=OUTLINE, lw=0.9, label="oblast boundary"))
    handles += [Line2D([], [], ls="", marker="o", ms=4, color=c, label=lab)
                for c, lab in TOWN_COLOURS.values()]
    handles += [Line2D([], [], ls="", marker=m, ms=4, color="#777777", label=lab)
                for m, lab in (("s", "square: fortress-belt town"), ("o", "dot: other town"))]
    return handles


def figure(heading: str, panels: list[tuple[str, Theatre]]) -> Figure:
    """``panels`` side by side (at most three a row) under ``heading``, with one key."""
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(4.2 * cols, 4.0 * rows + 0.8), dpi=150, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (title, th) in zip(axes, panels, strict=False):
        _panel(ax, th, title)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    handles = legend_handles()
    fig.legend(handles=handles, loc="outside lower center", ncols=math.ceil(len(handles) / 2),
               fontsize=7, frameon=False)
    fig.suptitle(heading, fontsize=9)
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # the final layout, so labels are measured where drawn
    fig.set_layout_engine("none")
    for ax, (_, th) in zip(axes, panels, strict=False):
        _label_towns(fig, ax, th)
    return fig


def draw(heading: str, panels: list[tuple[str, Theatre]], path: Path) -> Path:
    """Draw ``panels`` (:func:`figure`) and save to ``path``. It takes theatres and a
    title only, so it needs nothing from the map inspection that calls it (no import
    circle)."""
    fig = figure(heading, panels)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
