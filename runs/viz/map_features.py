"""What the map draws beyond the cell raster, computed for drawing from the model's state
(nothing here changes it): the line of contact and the zone's edges, the towns ceded by
the deal, the main attack's direction, and town labels placed so that none overlap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import contourpy
import numpy as np
from dmzsim.model.forces import UA
from dmzsim.model.map_geometry import TheatreFrame
from dmzsim.model.model import CeasefireModel
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox

#: Where a label may sit relative to its town, in points, with its alignment; tried in
#: this order (right of the town first, as maps usually label).
LABEL_SPOTS: tuple[tuple[float, float, str, str], ...] = (
    (4, 2, "left", "bottom"), (4, -2, "left", "top"), (-4, 2, "right", "bottom"),
    (-4, -2, "right", "top"), (0, 5, "center", "bottom"), (0, -5, "center", "top"),
    (6, 0, "left", "center"), (-6, 0, "right", "center"), (10, 8, "left", "bottom"),
    (-10, 8, "right", "bottom"), (10, -8, "left", "top"), (-10, -8, "right", "top"),
    (0, 12, "center", "bottom"), (0, -12, "center", "top"), (16, 14, "left", "bottom"),
    (-16, 14, "right", "bottom"), (16, -14, "left", "top"), (-16, -14, "right", "top"),
    (0, 20, "center", "bottom"), (0, -20, "center", "top"), (22, 0, "left", "center"),
    (-22, 0, "right", "center"), (24, 20, "left", "bottom"), (-24, 20, "right", "bottom"),
    (24, -20, "left", "top"), (-24, -20, "right", "top"),
)
LABEL_PAD_PX = 1.0  # labels keep this far apart


def outlines(mask: np.ndarray, cell_km: float) -> list[np.ndarray]:
    """The boundary of a cell mask (``[x, y]``) as polylines in km, through cell edges'
    midpoints (the 0.5 contour of the mask at the cell centres)."""
    if not mask.any() or mask.all():
        return []
    nx, ny = mask.shape
    xs, ys = (np.arange(nx) + 0.5) * cell_km, (np.arange(ny) + 0.5) * cell_km
    gen = contourpy.contour_generator(xs, ys, mask.T.astype(float),
                                      line_type=contourpy.LineType.Separate)
    return [line for line in gen.lines(0.5) if len(line) > 1]


def front_lines(model: CeasefireModel) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The line of contact (the edge of the ground Ukraine controls) and the zone's edges."""
    th = model.theatre
    return (outlines(th.control == UA, th.cell_km), outlines(th.dmz, th.cell_km))


def ceded_towns(model: CeasefireModel) -> np.ndarray:
    """Per town, True if the deal ceded it: held by Ukraine at day 0, inside the zone a
    unilateral withdrawal handed over, and not Ukraine's now.

    The theatre counts ceded towns (``towns_ceded``) but does not keep which; no fighting
    happens before the zone is declared, so these are exactly the towns it counted.
    """
    r, th = model.theatre.raster, model.theatre
    n = len(r.towns)
    if model.record.towns_ceded == 0 or n == 0:
        return np.zeros(n, dtype=bool)
    start = np.array([bool(r.ua_held[t.cell]) for t in r.towns])
    zone = r.spec.zones[model.p.unilateral_zone]
    if zone.kind == "held_in_oblast":
        inside = np.array([bool(r.in_oblast[t.cell]) for t in r.towns])
    else:
        assert zone.outline is not None
        frame = TheatreFrame.of(r.spec)
        path = MplPath(frame.project_pairs([tuple(p) for p in zone.outline]))
        inside = path.contains_points([(r.x_km[t.cell], r.y_km[t.cell]) for t in r.towns])
    return start & inside & ~th.towns_held


def attack_arrow(model: CeasefireModel, min_km: float = 30.0) -> tuple[np.ndarray,
                                                                      np.ndarray] | None:
    """The main attack as (from, to) in km: from its point of attack to the breach's tip,
    at least ``min_km`` long along the breach's direction; None before resumption."""
    breach, th = model.effort.breach, model.theatre
    if not model.at_war or model.effort.sector < 0 or breach is None or breach.cells.size == 0:
        return None
    k = th.cell_km
    xy = np.column_stack(np.unravel_index(breach.cells, th.control.shape)).astype(float)
    xy = (xy + 0.5) * k
    start = (np.asarray(model.effort.cell, dtype=float) + 0.5) * k
    deep = xy[-max(1, len(xy) // 10):].mean(axis=0)
    direction = deep - start
    norm = float(np.hypot(*direction))
    if norm < 1e-9:
        return None
    tip = xy[max(breach.taken_upto - 1, 0)]
    length = max(float(np.dot(tip - start, direction / norm)), min_km)
    return start, start + direction / norm * length


Spot = tuple[float, float, str, str]
#: Font sizes (points) a label may shrink to when no spot is free at the first.
LABEL_SIZES: tuple[float, ...] = (7.0, 6.0, 5.0)


def place_labels(points: np.ndarray, sizes: Sequence[float],
                 measure: Callable[[int, float, Spot], Bbox],
                 area: Bbox) -> tuple[list[tuple[float, Spot]], list[Bbox]]:
    """Choose a font size of :data:`LABEL_SIZES` and a spot of :data:`LABEL_SPOTS` for
    each label so that no two labels overlap and none covers another town's marker;
    greedy, in the given order, the largest size first.

    ``points`` are the towns in display pixels, ``sizes`` their markers' half-widths,
    ``measure(i, font size, spot)`` the label's box there. A label with no free spot
    takes the one it overlaps least. Returns each label's choice and its box.
    """
    markers = [Bbox.from_extents(x - s, y - s, x + s, y + s)
               for (x, y), s in zip(points, sizes, strict=True)]
    placed: list[Bbox] = []
    choice: list[tuple[float, Spot]] = []
    for i in range(len(points)):
        others = placed + [b for j, b in enumerate(markers) if j != i]
        best, best_cost, best_box = (LABEL_SIZES[0], LABEL_SPOTS[0]), np.inf, None
        for size in LABEL_SIZES:
            for spot in LABEL_SPOTS:
                box = measure(i, size, spot).padded(LABEL_PAD_PX)
                cost = sum(_overlap(box, o) for o in others) + _outside(box, area)
                if cost < best_cost:
                    best, best_cost, best_box = (size, spot), cost, box
                if cost == 0:
                    break
            if best_cost == 0:
                break
        assert best_box is not None
        choice.append(best)
        placed.append(best_box)
    return choice, placed


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _outside(box: Bbox, area: Bbox) -> float:
    return box.width * box.height - _overlap(box, area)
