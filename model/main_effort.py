"""Russia's main effort: the window of the front it masses against, and once it attacks,
the strip of ground its breach runs along.

Russia's decision chooses the window (``aim``) and how wide a front to strike on it
(``frontages``, ``kernels.widest_frontage``), Ukraine's reserves go to meet it, and
combat fights it on that frontage (``model/processes/combat.py``). Its point of attack
is kept on the map, so that the effort survives the theatre being cut again.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model.aims import axis_of_advance, corridor
from dmzsim.model.theatre import Strip

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel
    from dmzsim.model.params import Params

#: (km) the step between the frontages a main effort can be widened to. Assumption: the
#: resolution of the staff's plan, a quarter of the default attack frontage (an army's
#: main effort widens by a division's sector at a time).
FRONTAGE_STEP_KM = 5.0


def frontages(p: Params) -> np.ndarray:
    """The frontages (km, narrowest first) a main effort can strike on: the attack
    frontage, widened by ``FRONTAGE_STEP_KM`` at a time up to ``max_attack_frontage_km``.
    Only the attack frontage when the widest is no wider: the mechanism is off."""
    return _frontages(p.attack_frontage_km, p.max_attack_frontage_km)


@lru_cache(maxsize=16)
def _frontages(base: float, top: float) -> np.ndarray:
    """``frontages`` for these two widths (read-only: every review asks)."""
    out = np.array([base]) if top <= base else np.append(
        np.arange(base, top - 1e-9, FRONTAGE_STEP_KM), top)
    out.flags.writeable = False
    return out


class MainEffort:
    """The window Russia aims at (-1: none), the sector it is fought on, its point of
    attack, the width of front it strikes, and the breach: the strip of ground an
    offensive runs along, how deep it has got, and its breakthrough pulse
    (``kernels.pulse_step``)."""

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.window = -1
        self.frontage_km = m.p.attack_frontage_km  # chosen by Russia's estimate
        self.sector = -1
        self.cell = (0, 0)  # its point of attack on the map
        self.breach: Strip | None = None
        self.breach_depth = -np.inf
        self.breach_pulse = 0

    def aim(self, window: int, frontage_km: float | None = None) -> None:
        """Aim at ``window`` (-1: none) on ``frontage_km`` of front (by default the width
        already chosen; the attack frontage once it is dropped); it is fought on the
        sector holding its centre."""
        lines = self.m.lines
        self.window = window
        if window < 0:
            self.frontage_km = self.m.p.attack_frontage_km
        elif frontage_km is not None:
            self.frontage_km = float(frontage_km)
        self.sector = int(lines.windows.owner[window]) if window >= 0 else -1
        if window >= 0:
            self.cell = self.m.theatre.front_point(float(lines.windows.centre[window]))

    def open_breach(self, window: int, frontage_km: float | None = None,
                    ahead_km: float = 0.0) -> None:
        """The main effort strikes ``frontage_km`` of front (by default the width already
        chosen) centred on ``window``: its breach is a corridor that wide, the same
        corridor Russia's estimate valued (``aims.Aims``). It starts from Russia's edge
        there, or ``ahead_km`` in front of it where its massing stood inside the zone
        (``model/springboard.py``)."""
        m = self.m
        self.aim(window, frontage_km)
        centre = m.lines.windows_at(self.frontage_km).centre[window]  # on the front
        axis = axis_of_advance(m.theatre, self.frontage_km, float(centre))
        cells, along, share = corridor(m.theatre, self.frontage_km, axis)
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
