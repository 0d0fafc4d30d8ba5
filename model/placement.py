"""Step 3: where units stand. Positions follow postures and the fronts.

Line units stand just behind their side's forward edge on their sector, spread along its
front; massing units stand a few km further back; reserves stand deep in the rear. A unit
only ever stands on ground its side may stand on (its own, outside the zone), so a unit
drawn in the zone is never a drawing artefact. Units in transit keep their old cell until
they arrive. Placement only runs when something moved, so a quiet ceasefire day costs
nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model.forces import RU, Posture

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

LINE_BEHIND_KM = 2.0
MASSING_BEHIND_KM = 8.0
RESERVE_BEHIND_KM = 30.0
SLOTS = 5
NEAR_KM = 4.0  # cells this near the wanted depth are searched first


def move_units(m: CeasefireModel) -> None:
    """Units that arrive today, were ordered, or whose front moved take their cells."""
    f = m.forces
    arriving = (f.view("alive") & (f.view("arrive_day") == m.day)).nonzero()[0]
    if arriving.size == 0 and not m.dirty_rows and not m.dirty_sectors:
        return  # most days of a ceasefire
    rows = set(arriving.tolist()) | m.dirty_rows
    if m.dirty_sectors:
        on = np.isin(f.view("sector"), list(m.dirty_sectors)) & f.view("alive")
        rows |= set(np.flatnonzero(on).tolist())
    for row in rows:
        if row in m.units and f.arrive_day[row] <= m.day:
            m.units[row].take_position()
    m.dirty_rows = {r for r in m.dirty_rows if f.arrive_day[r] > m.day and r in m.units}
    m.dirty_sectors = set()


def place_units(m: CeasefireModel) -> None:
    """Place every unit (at start, and after the theatre is cut along a new line)."""
    for row, unit in m.units.items():
        if m.forces.arrive_day[row] <= m.day:
            unit.take_position()
    m.dirty_rows = set()
    m.dirty_sectors = set()


def position_for(m: CeasefireModel, row: int) -> tuple[int, int] | None:
    """The cell a unit's posture puts it on today (None if its side has no ground)."""
    f, th = m.forces, m.theatre
    side, posture, sector = int(f.side[row]), Posture(int(f.posture[row])), int(f.sector[row])
    if sector < 0:
        sector = row % th.n_sectors
    sign = -1.0 if side == RU else 1.0
    edge = m.ru_depth[sector] if side == RU else m.ua_depth[sector]
    if not np.isfinite(edge):
        edge = 0.0
    behind = {Posture.RESERVE: RESERVE_BEHIND_KM, Posture.CONCENTRATE: MASSING_BEHIND_KM}
    depth = edge + sign * behind.get(posture, LINE_BEHIND_KM)
    lo, hi = th.sectors.lo[sector], th.sectors.hi[sector]
    s = lo + (hi - lo) * ((row % SLOTS) + 0.5) / SLOTS
    ground = th.standing_ground()[0 if side == RU else 1]
    strip = th.strips[sector]
    near = strip.band(depth - NEAR_KM, depth + NEAR_KM)
    own = near[ground[near]]
    if own.size == 0:
        own = strip.cells[ground[strip.cells]]
    if own.size == 0:  # the sector holds none of this side's ground: its nearest
        own = np.flatnonzero(ground)
    flat = th.nearest_cell(own, depth, s)
    return None if flat is None else th.coord(flat)
