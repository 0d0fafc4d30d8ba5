"""Step 3: movement and withdrawal. Where units stand follows their postures and the fronts.

Withdrawal is a posture: units withdrawing stay on the line until the zone is declared,
then take the new line (``CeasefireModel.complete_withdrawal``).
Line units stand just behind their side's forward edge on their sector, spread along its
front; massing units stand a few km further back; reserves stand deep in the rear. A unit
only ever stands on ground its side may stand on (its own, outside the zone), so a unit
drawn in the zone is never a drawing artefact: it is Russia's massing staged there against
the deal (``ru_zone_entry``, ``model/springboard.py``). Units in transit keep their old cell until
they arrive. Placement only runs when something moved, so a quiet ceasefire day costs
nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import springboard
from dmzsim.model.forces import RU, Posture
from dmzsim.model.theatre import places_on

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

LINE_BEHIND_KM = 2.0
MASSING_BEHIND_KM = 8.0
RESERVE_BEHIND_KM = 30.0
SLOTS = 5
NEAR_KM = 4.0  # cells this near the wanted depth are searched first


class Movement:
    """Units take the cells their postures put them on.

    State: the units ordered somewhere since they last took a position (every unit on
    its way is among them), and the sectors whose front moved; only those move, so a
    quiet day costs nothing here.
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS: tuple[str, ...] = ()
    STEP = 3

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.ordered: set[int] = set()  # rows of units ordered since they last moved
        self.moved_fronts: set[int] = set()  # sectors whose forward edge moved
        # each unit's place found so far, for the cut and the ground it was found on
        self._cells: dict[tuple[int, int, float, bool, float], int | None] = {}
        self._cells_for: tuple[object, int] | None = None

    def step(self) -> None:
        """Units that arrive today, were ordered, or whose front moved take their cells."""
        m = self.m
        f = m.forces
        if not self.ordered and not self.moved_fronts:
            return  # most days of a ceasefire
        rows = set(self.ordered)  # every unit arriving today is among them (``place_all``)
        if self.moved_fronts:
            on = np.isin(f.view("sector"), list(self.moved_fronts)) & f.view("alive")
            rows |= set(np.flatnonzero(on).tolist())
        self.place([r for r in rows if r in m.units and f.arrive_day[r] <= m.day])
        self.ordered = {r for r in self.ordered if f.arrive_day[r] > m.day and r in m.units}
        self.moved_fronts = set()

    def quiet_today(self) -> bool:
        """Whether no unit is on its way or ordered and no front moved: ``step`` would
        place nobody (unless regeneration forms a unit today)."""
        return not self.ordered and not self.moved_fronts

    def place_all(self) -> None:
        """Place every unit (at start, and after the theatre is cut along a new line)."""
        m = self.m
        self.place([r for r in m.units if m.forces.arrive_day[r] <= m.day])
        # units still on their way stay ordered: they take their cells when they arrive
        self.ordered = {r for r in m.units if m.forces.arrive_day[r] > m.day}
        self.moved_fronts = set()

    def place(self, rows: list[int]) -> None:
        """Each unit of ``rows`` takes the cell its posture puts it on today.

        Units of one side, sector and posture look in the same ground at the same depth,
        so each such group's candidate cells are found once and only the nearest cell is
        found per unit (None, and the unit stays where it is, if its side has no ground)."""
        m = self.m
        groups: dict[tuple[int, int, int], list[int]] = {}
        for row in rows:
            groups.setdefault(self._group(row), []).append(row)
        for (side, sector, posture), members in groups.items():
            slots = np.array([self._slot(sector, r) for r in members])
            flat = self._places(side, sector, Posture(posture), slots)
            for row, cell in zip(members, flat, strict=True):
                m.units[row].stand_at(None if cell is None else m.theatre.coord(cell))

    def _places(self, side: int, sector: int, posture: Posture, slots: np.ndarray
                ) -> list[int | None]:
        """``nearest_cells`` for units of ``side`` in ``posture`` on ``sector`` at
        ``slots``, each kept. A unit's cell depends only on the cut (``Theatre.strips``,
        new at each cut), the ground (``Theatre.version``), the depth it stands at, whether
        it may stand in the zone, and its slot: in a ceasefire every unit formed on a
        sector takes a cell already found (finding it was a twentieth of a quiet run)."""
        th = self.m.theatre
        kept_for = self._cells_for
        if kept_for is None or kept_for[0] is not th.strips or kept_for[1] != th.version:
            # on the ground as cut, the cells other runs found on it (``places_on``)
            cells = places_on(th) if th.version == th.cut_version else {}
            self._cells, self._cells_for = cells, (th.strips, th.version)
        depth, in_zone = self._stand(side, sector, posture)
        keys = [(side, sector, depth, in_zone, float(slot)) for slot in slots]
        kept = self._cells
        missing = [i for i, key in enumerate(keys) if key not in kept]
        if missing:
            own = self._ground_near(side, sector, depth, in_zone)
            found = th.nearest_cells(own, depth, slots[missing])
            for i, cell in zip(missing, found, strict=True):
                kept[keys[i]] = cell
        return [kept[key] for key in keys]

    def _group(self, row: int) -> tuple[int, int, int]:
        """(side, sector it stands on, posture) of a unit: a reserve on no sector stands
        on sector ``row`` modulo their number."""
        f = self.m.forces
        sector = int(f.sector[row])
        if sector < 0:
            sector = row % self.m.theatre.n_sectors
        return int(f.side[row]), sector, int(f.posture[row])

    def _slot(self, sector: int, row: int) -> float:
        """Where along its sector's front (km) a unit stands: one of ``SLOTS`` places."""
        lo, hi = self.m.theatre.sectors.lo[sector], self.m.theatre.sectors.hi[sector]
        return lo + (hi - lo) * ((row % SLOTS) + 0.5) / SLOTS

    def _candidates(self, side: int, sector: int, posture: Posture
                    ) -> tuple[np.ndarray, float]:
        """The cells a unit of ``side`` in ``posture`` may stand on, on ``sector`` (or
        nearest it), and the depth it stands at."""
        depth, in_zone = self._stand(side, sector, posture)
        return self._ground_near(side, sector, depth, in_zone), depth

    def _stand(self, side: int, sector: int, posture: Posture) -> tuple[float, bool]:
        """The depth a unit of ``side`` in ``posture`` stands at on ``sector``, and
        whether it may stand in the zone (Russia's massing staged there)."""
        m = self.m
        sign = -1.0 if side == RU else 1.0
        edge = m.lines.ru_depth[sector] if side == RU else m.lines.ua_depth[sector]
        if not np.isfinite(edge):
            edge = 0.0
        behind = {Posture.RESERVE: RESERVE_BEHIND_KM, Posture.CONCENTRATE: MASSING_BEHIND_KM}
        depth = float(edge + sign * behind.get(posture, LINE_BEHIND_KM))
        if side == RU and posture == Posture.CONCENTRATE:
            ahead = float(springboard.ahead_km(m)[sector])
            if ahead > 0.0:  # staged inside the zone it promised not to enter
                return float(edge + ahead), True
        return depth, False

    def _ground_near(self, side: int, sector: int, depth: float, in_zone: bool
                     ) -> np.ndarray:
        """The cells of ``side``'s ground (and of the zone, if ``in_zone``) on ``sector``
        near ``depth``; failing those, on the sector; failing those, anywhere."""
        th = self.m.theatre
        ground = th.standing_ground()[0 if side == RU else 1]
        if in_zone:
            ground = ground | th.dmz_flat
        strip = th.strips[sector]
        near = strip.band(depth - NEAR_KM, depth + NEAR_KM)
        own = near[ground[near]]
        if own.size == 0:
            own = strip.cells[ground[strip.cells]]
        if own.size == 0:  # the sector holds none of this side's ground: its nearest
            own = np.flatnonzero(ground)
        return own

    def send_reserves(self, side: int, sector: int, arrive_day: int,
                      posture: Posture = Posture.CONCENTRATE) -> None:
        """Order every reserve unit of ``side`` to ``sector``, there from ``arrive_day``."""
        m = self.m
        for r in np.flatnonzero(m.forces.mask(side, Posture.RESERVE)):
            m.units[int(r)].order(posture, sector, arrive_day)
