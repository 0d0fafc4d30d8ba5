"""What the map draws beyond the cell raster, computed for drawing from the model's state
(nothing here changes it): the part of the theatre in view, the line of contact and the
zone's edges, the towns ceded by the deal, the main attack's direction, and town labels
placed so that none overlap.
"""

from __future__ import annotations

import contextlib

import contourpy
import numpy as np
from dmzsim.model import zones
from dmzsim.model.forces import UA
from dmzsim.model.map_geometry import TheatreFrame
from dmzsim.model.model import CeasefireModel
from matplotlib.path import Path as MplPath

#: A view of the theatre: (west, east, south, north) edges in km.
View = tuple[float, float, float, float]
FOCUS_MARGIN_KM = 20.0  # ground shown around the contested ground
NO_ZONE = frozenset({"no_deal", "frozen_line"})  # arms without a zone (model/agreement.py)


def whole_view(model: CeasefireModel) -> View:
    """The whole theatre."""
    r = model.theatre.raster
    return (0.0, r.shape[0] * r.cell_km, 0.0, r.shape[1] * r.cell_km)


def focus_view(model: CeasefireModel, margin_km: float = FOCUS_MARGIN_KM) -> View:
    """A square view framed on the contested ground: the line of contact inside the oblast
    as the map draws it, the ground Ukraine holds in the oblast, the zone the deal
    declares (the map's unilateral zone, or ``dmz_width_km`` either side of the line) and
    any zone already on the ground, with ``margin_km`` around them; within the theatre."""
    th, r, p = model.theatre, model.theatre.raster, model.p
    k = r.cell_km
    mask = ((np.abs(r.depth_km) <= k) & r.in_oblast) | (r.ua_held & r.in_oblast) | th.dmz
    if p.sequencing not in NO_ZONE:
        if p.dmz_shape == "mirrored":
            margin_km = max(margin_km, p.dmz_width_km + 10.0)
        else:
            with contextlib.suppress(zones.ZoneError):  # the run reports it
                mask = mask | zones.unilateral_zone(th, p.unilateral_zone).reshape(mask.shape)
    whole = whole_view(model)
    if not mask.any():
        return whole
    xs, ys = np.nonzero(mask)
    x0, x1 = xs.min() * k - margin_km, (xs.max() + 1) * k + margin_km
    y0, y1 = ys.min() * k - margin_km, (ys.max() + 1) * k + margin_km
    side = max(x1 - x0, y1 - y0)
    return (*_fit(0.5 * (x0 + x1), side, whole[1]), *_fit(0.5 * (y0 + y1), side, whole[3]))


def _fit(centre: float, side: float, top: float) -> tuple[float, float]:
    """An interval ``side`` long around ``centre``, moved (or cut) to lie within 0..top."""
    if side >= top:
        return 0.0, top
    lo = min(max(centre - side / 2, 0.0), top - side)
    return lo, lo + side


def in_view(xy: np.ndarray, view: View) -> np.ndarray:
    """Which of the points ``xy`` (km) lie inside ``view``."""
    x, y = np.asarray(xy, dtype=float).reshape(-1, 2).T
    return (x >= view[0]) & (x <= view[1]) & (y >= view[2]) & (y <= view[3])


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
