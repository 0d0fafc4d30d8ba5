"""Step 3: where units stand. Positions follow postures and the fronts.

Line units stand just behind their side's forward edge on their axis, spread along it;
massing units stand a few km further back; reserves stand deep in the rear. Units in
transit keep their old cell until they arrive. Placement only runs when something moved,
so a quiet ceasefire day costs nothing here.
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


def move_units(m: CeasefireModel) -> None:
    """Units that arrive today, were ordered, or whose front moved take their cells."""
    f = m.forces
    rows = set((f.view("alive") & (f.view("arrive_day") == m.day)).nonzero()[0].tolist())
    rows |= m.dirty_rows
    if m.dirty_axes:
        on = np.isin(f.view("axis"), list(m.dirty_axes)) & f.view("alive")
        rows |= set(np.flatnonzero(on).tolist())
    for row in rows:
        if row in m.units and f.arrive_day[row] <= m.day:
            m.units[row].take_position()
    m.dirty_rows = {r for r in m.dirty_rows if f.arrive_day[r] > m.day and r in m.units}
    m.dirty_axes = set()


def place_units(m: CeasefireModel) -> None:
    """Place every unit (at start, and after a withdrawal moves the whole line)."""
    for row, unit in m.units.items():
        if m.forces.arrive_day[row] <= m.day:
            unit.take_position()
    m.dirty_rows = set()
    m.dirty_axes = set()


def position_for(m: CeasefireModel, row: int) -> tuple[int, int] | None:
    """The cell a unit's posture puts it on today (None if it has nowhere to be)."""
    f, th = m.forces, m.theatre
    side, posture, axis = int(f.side[row]), Posture(int(f.posture[row])), int(f.axis[row])
    if axis < 0:
        axis = row % th.n_axes
    sign = -1.0 if side == RU else 1.0
    edge = m.ru_depth[axis] if side == RU else m.ua_depth[axis]
    if not np.isfinite(edge):
        edge = float(np.nanmax(np.where(np.isfinite(m.ua_depth), m.ua_depth, np.nan)))
    behind = {Posture.RESERVE: RESERVE_BEHIND_KM, Posture.CONCENTRATE: MASSING_BEHIND_KM}
    depth = edge + sign * behind.get(posture, LINE_BEHIND_KM)
    if posture == Posture.WITHDRAW:
        depth = edge + sign * LINE_BEHIND_KM
    offset = ((row % SLOTS) - SLOTS // 2) * m.p.axis_width_km / (SLOTS + 1)
    return th.cell_near(axis, depth, offset)
