"""Both sides' lines: where each forward edge stands on each sector, and how the theatre
is cut along the line again once fighting has moved it far.

The theatre (``model/theatre.py``) holds the ground; this holds what is read off it for
today's partition into sectors: each side's forward edge (km from the line the theatre was
last cut along), the frontages an attack can strike (``front.Windows``) and their value to
Russia (``aims.Aims``, built on first use). When the theatre is cut again, everything that
belongs to the old partition follows (``recut``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.common.kept import read_only
from dmzsim.model.aims import Aims, aims_for
from dmzsim.model.forces import RU, UA, Posture, UnitsAlongFront
from dmzsim.model.front import Windows

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

#: The theatre is cut again along the current line once fighting has moved it this far
#: (km) from where it was last cut: far enough to be rare, near enough that every sector
#: keeps a front. A representation choice; docs/validation.md shows it does not matter.
REBUILD_KM = 10.0
#: A breach runs on along its own strip of ground; the theatre is cut again along the new
#: line once it is this many times ``REBUILD_KM`` deep.
BREACH_REBUILD_FACTOR = 3.0


class Lines:
    """Each side's forward edge on each sector of today's partition, and what depends on
    the partition: the frontages an attack meets, the windows Russia can strike, the
    value of each to Russia."""

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.ru_depth = np.zeros(0)  # Russia's forward edge on each sector (km from the line)
        self.ua_depth = np.zeros(0)  # Ukraine's
        self.rebuilt_at = np.zeros(0)  # Russia's edge when the theatre was last cut
        self.exhausted = False  # Ukraine holds no front left in the theatre to cut along
        self.frontage = np.zeros((0, 0))  # frontage_weights of today's partition
        self.frontage_spans = self.sector_spans = (np.zeros(0), np.zeros(0))
        self.windows: Windows | None = None  # Russia's candidate points of attack
        self._aims: Aims | None = None
        self._widened: dict[float, tuple[Windows, Aims | None]] = {}  # by frontage, km
        self._along: UnitsAlongFront | None = None  # the units along a review's front
        # what the ground of each set of windows holds (``decision._ground``), by windows
        self.ground_kept: dict[int, tuple] = {}
        self.front_kept: object | None = None  # what the last review read of the lines

    def read(self) -> None:
        """Take both sides' forward edges from the theatre's (new) partition."""
        m = self.m
        th, p = m.theatre, m.p
        ua_edge, ru_edge = th.of_the_cut("edges", lambda: (
            read_only(th.ua_forward_depth()), read_only(th.ru_forward_depth())), ground=True)
        self.ua_depth = np.maximum(ua_edge, 0.0)
        self.ru_depth = np.minimum(ru_edge, 0.0)
        self.ru_depth = np.where(np.isfinite(self.ru_depth), self.ru_depth, -th.cell_km)
        self.rebuilt_at = self.ru_depth.copy()
        # the same arrays in every run on this cut, so that what is kept for them serves
        # those runs too
        self.frontage, self.frontage_spans, self.sector_spans, self.windows = th.of_the_cut(
            ("frontages", p.attack_frontage_km), lambda: read_only((
                th.sectors.frontage_weights(p.attack_frontage_km),
                th.sectors.frontage_spans(p.attack_frontage_km),
                th.sectors.spans, th.sectors.windows(p.attack_frontage_km))))
        self._aims = None
        self._widened, self.ground_kept = {}, {}
        self.front_kept = None
        m.combat.new_partition(th.n_sectors)
        m.fortification.refresh()

    @property
    def aims(self) -> Aims:
        """The value of each window's frontage to Russia, for today's partition (built on
        first use after the theatre is cut: only ceasefire reviews need it)."""
        if self._aims is None:
            self._aims = aims_for(self.m.theatre, self.m.p, self.windows)
        return self._aims

    def windows_at(self, frontage_km: float) -> Windows:
        """Russia's points of attack on a frontage of ``frontage_km`` (the windows
        themselves at ``attack_frontage_km``; a widened main effort's otherwise)."""
        if frontage_km == self.windows.frontage_km:
            return self.windows
        if frontage_km not in self._widened:
            th = self.m.theatre
            wide = th.of_the_cut(("widened", self.windows.frontage_km, frontage_km),
                                 lambda: read_only(th.sectors.widened(self.windows,
                                                                        frontage_km)))
            self._widened[frontage_km] = (wide, None)
        return self._widened[frontage_km][0]

    def windows_taken(self, frontage_km: float, idx: np.ndarray) -> Windows:
        """``windows_at(frontage_km).take(idx)``, the same object again while the theatre
        is cut along the same front, in this run and the others on that cut
        (``Theatre.of_the_cut``): what is kept for a set of windows (the weights of the
        cells behind their spans, their terrain) is then found again at the next review
        that widens the same main effort."""
        wide = self.windows_at(frontage_km)
        return self.m.theatre.of_the_cut(
            ("taken", self.windows.frontage_km, frontage_km, idx.tobytes()),
            lambda: read_only(wide.take(idx)))

    def aims_at(self, frontage_km: float) -> Aims:
        """The value to Russia of each window's corridor ``frontage_km`` wide (built on
        first use after the theatre is cut, as ``aims`` is)."""
        if frontage_km == self.windows.frontage_km:
            return self.aims
        wide = self.windows_at(frontage_km)
        aims = self._widened[frontage_km][1]
        if aims is None:
            aims = aims_for(self.m.theatre, self.m.p, wide)
            self._widened[frontage_km] = (wide, aims)
        return aims

    def has_line(self) -> np.ndarray:
        """Sectors on which Ukraine still holds ground outside the zone: something to
        attack (every sector, right after the theatre is cut along the line)."""
        return np.isfinite(self.ua_depth)

    def crossing_days(self) -> np.ndarray:
        """Days Russia's forces need to cross the gap to Ukraine's line on each sector."""
        gap = np.maximum(self.ua_depth - self.ru_depth, 0.0)
        gap = np.where(np.isfinite(gap), gap, 0.0)
        return gap / self.m.fortification.crossing_speed()

    def standing_on(self, mask: np.ndarray, spans: tuple[np.ndarray, np.ndarray]
                    ) -> np.ndarray:
        """``P[j, k]``: the power of the masked units of sector j standing on span k of
        the front (``ForceTable.power_on``)."""
        return self.m.forces.power_on(mask, spans, self.sector_spans)

    def standing_on_each(self, masks: tuple[np.ndarray, ...],
                         spans: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
        """``standing_on`` for each of ``masks`` on the same spans, in one pass."""
        return self.m.forces.power_on_each(masks, spans, self.sector_spans)

    def units_along(self, masks: tuple[np.ndarray, ...], keep: bool = False
                    ) -> UnitsAlongFront:
        """The masked units along the front today, for ``standing_on_each`` on several
        sets of spans in turn (``UnitsAlongFront.on``); with ``keep``, the last one kept
        if made of the very same units (``UnitsAlongFront.kept``), with what it found
        standing on each set of spans (one set of masks only: Russia's reviews')."""
        f = self.m.forces
        if not keep:
            return UnitsAlongFront(f, masks, self.sector_spans)
        self._along = UnitsAlongFront.kept(f, masks, self.sector_spans, self._along)
        return self._along

    def sector_at(self, coord: tuple[int, int], fallback: int) -> int:
        """The sector holding ``coord`` (or ``fallback``, for ground no sector holds)."""
        th = self.m.theatre
        k = int(th.sectors.sector_of_cell[np.ravel_multi_index(coord, th.control.shape)])
        return k if k >= 0 else fallback % th.n_sectors

    def window_at(self, coord: tuple[int, int], fallback: int) -> int:
        """The window nearest the front cell that ``coord`` is nearest (or the middle of
        sector ``fallback``, for ground the front cannot reach)."""
        th = self.m.theatre
        s = float(th.sectors.s[np.ravel_multi_index(coord, th.control.shape)])
        if not np.isfinite(s):
            k = fallback % th.n_sectors
            s = 0.5 * float(th.sectors.lo[k] + th.sectors.hi[k])
        return self.windows.nearest(s)

    # --- cutting the theatre again --------------------------------------------------------
    def rebuild_if_moved(self) -> None:
        """Cut the theatre again once the line has moved ``REBUILD_KM`` since the last cut."""
        if self.exhausted:
            return
        # ground taken from Ukraine's line counts, crossing the zone to it does not
        moved = float(np.max(np.maximum(self.ru_depth, 0.0) - np.maximum(self.rebuilt_at, 0.0),
                             initial=0.0))
        effort = self.m.effort
        if effort.breach is not None:  # a breach runs on in its own strip for longer
            moved = max(moved, effort.breach_depth / BREACH_REBUILD_FACTOR)
        if moved < REBUILD_KM:
            return
        self.rebuild_now()

    def rebuild_now(self) -> None:
        """Cut the theatre along today's line (pockets cut off fall first)."""
        m = self.m
        m.combat.take_pockets()
        if m.theatre.rebuild():
            self.recut()
        else:  # nothing left to cut along: no more rebuilding
            self.exhausted = True
        m.movement.place_all()

    def recut(self) -> None:
        """The theatre was cut again: each side's line is spread over the new sectors so
        that each holds its share of the front, the main effort (and the reserves sent
        against it) follows its point of attack, any other unit joins the sector it
        stands in, and the monitors take the new sectors."""
        m = self.m
        self.read()
        m.monitoring.make_sectors()
        f, th = m.forces, m.theatre
        alive = f.view("alive") & (f.view("sector") >= 0)
        line = np.zeros(f.n, dtype=bool)
        f.front_from[: f.n] = f.front_to[: f.n] = np.nan  # places on the old front
        for side in (RU, UA):
            pool = f.mask(side, Posture.DEFEND, Posture.WITHDRAW) & alive
            if not m.at_war:  # in a ceasefire, reserves sent to a threat stay there
                pool &= ~f.view("committed")
            rows = np.flatnonzero(pool)
            f.sector[rows], f.front_from[rows], f.front_to[rows] = along_front(
                f.strength[rows] * f.readiness[rows], th.front_km)
            line[rows] = True
        effort = f.mask(RU, Posture.ATTACK, Posture.CONCENTRATE) & alive
        if not m.at_war:
            effort |= f.view("committed") & alive
        if m.at_war:
            f.committed[: f.n] = False
        main = m.effort
        if main.window >= 0:
            main.follow_recut()
            f.sector[: f.n][effort] = main.sector
        for r in np.flatnonzero(alive & ~line & ~(effort & (main.sector >= 0))):
            unit = m.units[int(r)]
            where = unit.cell.coordinate if unit.cell is not None else th.attack_point(0)
            f.sector[r] = self.sector_at(where, int(f.sector[r]))


def along_front(power: np.ndarray, front_km: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a side's units stand when they stand end to end along the front, in their
    order, each on a stretch in proportion to its ``power``: the sector holding the middle
    of its stretch, and the stretch itself (front positions from, to; km).

    Each sector so holds its share of the front's power to within a unit, and each unit
    has a place on the front that does not move with the cell size or the partition: a
    frontage meets the units standing on it (``ForceTable.power_on``)."""
    if power.size == 0:
        return np.zeros(0, dtype=int), np.zeros(0), np.zeros(0)
    cum = np.cumsum(power)
    if cum[-1] > 0:
        share = (cum - power / 2.0) / cum[-1]
        start, end = (cum - power) / cum[-1], cum / cum[-1]
    else:
        share = (np.arange(power.size) + 0.5) / power.size
        start, end = np.arange(power.size) / power.size, np.arange(1, power.size + 1) / power.size
    length = front_km.sum()
    ends = np.cumsum(front_km) / length
    sector = np.minimum(np.searchsorted(ends, share, side="right"), front_km.size - 1)
    return sector, start * length, end * length
