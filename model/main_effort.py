"""Russia's main effort: the window of the front it masses against, and once it attacks,
the strip of ground its breach runs along.

Russia's decision chooses the window (``aim``), Ukraine's reserves go to meet it, and
combat fights it on its own frontage (``model/processes/combat.py``). Its point of attack
is kept on the map, so that the effort survives the theatre being cut again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model.aims import axis_of_advance, corridor
from dmzsim.model.theatre import Strip

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


class MainEffort:
    """The window Russia aims at (-1: none), the sector it is fought on, its point of
    attack, and the breach: the strip of ground an offensive runs along, how deep it has
    got, and its breakthrough pulse (``kernels.pulse_step``)."""

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.window = -1
        self.sector = -1
        self.cell = (0, 0)  # its point of attack on the map
        self.breach: Strip | None = None
        self.breach_depth = -np.inf
        self.breach_pulse = 0

    def aim(self, window: int) -> None:
        """Aim at ``window`` (-1: none); it is fought on the sector holding its centre."""
        lines = self.m.lines
        self.window = window
        self.sector = int(lines.windows.owner[window]) if window >= 0 else -1
        if window >= 0:
            self.cell = self.m.theatre.front_point(float(lines.windows.centre[window]))

    def open_breach(self, window: int, ahead_km: float = 0.0) -> None:
        """The main effort strikes the ``attack_frontage_km`` of front of ``window``, from
        Russia's edge there, or ``ahead_km`` in front of it where its massing stood inside
        the zone (``model/springboard.py``)."""
        m = self.m
        self.aim(window)
        axis = axis_of_advance(m.theatre, m.p.attack_frontage_km,
                               float(m.lines.windows.centre[window]))
        cells, along, share = corridor(m.theatre, m.p.attack_frontage_km, axis)
        self.breach = Strip.of(cells[share >= 0.5], along)  # the cells mostly inside it
        self.breach_depth = float(m.lines.ru_depth[self.sector])
        if ahead_km > 0.0:
            self.breach_depth += ahead_km
        self.breach_pulse = 0

    def follow_recut(self) -> None:
        """The theatre was cut again: aim at the window nearest the point of attack (the
        breach's tip, once it runs), and lay the breach out again from there."""
        point = self.cell
        if self.breach is not None:
            tip = self.breach.cells[min(self.breach.taken_upto, self.breach.cells.size - 1)]
            point = self.m.theatre.coord(tip)
        self.aim(self.m.lines.window_at(point, self.sector))
        if self.breach is not None:
            self.open_breach(self.window)
