"""Force state as arrays: one row per unit, read and written through ForceUnit agents.

Units are Mesa agents (they have a cell, a side, a posture), but the daily arithmetic of
regeneration, attrition and readiness runs on whole columns at once. The ForceUnit
agent's attributes are views of its row here, so there is one source of truth.
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

import numpy as np

RU, UA = 0, 1
SIDE_NAMES = ("RU", "UA")


class Posture(IntEnum):
    """What a unit is doing; decides whether it fights, and how well it defends."""

    DEFEND = 0
    RESERVE = 1
    WITHDRAW = 2
    CONCENTRATE = 3
    ATTACK = 4


class ForceTable:
    """Columns of unit state, grown by doubling when new units are formed."""

    def __init__(self, capacity: int = 64) -> None:
        self.n = 0
        self.side = np.zeros(capacity, dtype=np.int8)
        self.strength = np.zeros(capacity)
        self.readiness = np.zeros(capacity)
        self.posture = np.zeros(capacity, dtype=np.int8)
        self.sector = np.full(capacity, -1, dtype=int)
        self.arrive_day = np.zeros(capacity, dtype=int)
        self.alive = np.zeros(capacity, dtype=bool)
        # A reserve sent to a threatened sector: it goes back to reserve when the threat
        # there stands down (the line's own units stay).
        self.committed = np.zeros(capacity, dtype=bool)
        # A line unit's place on the front (front positions, km: ``Sectors.position``),
        # given when its side's line is spread end to end along the front; NaN for a unit
        # sent to a sector since, which stands spread along that sector's front.
        self.front_from = np.full(capacity, np.nan)
        self.front_to = np.full(capacity, np.nan)
        # each side's living units, kept until a unit is formed or disbanded (``of_side``)
        self._of_side: list[np.ndarray | None] = [None, None]

    COLUMNS = ("side", "strength", "readiness", "posture", "sector", "arrive_day", "alive",
                "committed", "front_from", "front_to")

    def add(self, side: int, strength: float, readiness: float, posture: Posture,
            sector: int, arrive_day: int = 0) -> int:
        """Append a unit and return its row."""
        if self.n == self.side.size:
            self._grow()
        i = self.n
        self.side[i], self.strength[i], self.readiness[i] = side, strength, readiness
        self.posture[i], self.sector[i], self.arrive_day[i] = posture, sector, arrive_day
        self.alive[i], self.committed[i] = True, False
        self.front_from[i] = self.front_to[i] = np.nan
        self.n += 1
        self._of_side = [None, None]
        return i

    def disband(self, row: int) -> None:
        """The unit in ``row`` is gone: not alive, no strength."""
        self.alive[row] = False
        self.strength[row] = 0.0
        self._of_side = [None, None]

    def of_side(self, side: int) -> np.ndarray:
        """A side's living units (read-only): looked up many times a day, it changes only
        when a unit is formed or disbanded, the two writers of ``alive`` and ``side``."""
        kept = self._of_side[side]
        if kept is None:
            kept = self.alive[: self.n] & (self.side[: self.n] == side)
            kept.flags.writeable = False
            self._of_side[side] = kept
        return kept

    def _grow(self) -> None:
        for name in self.COLUMNS:
            col = getattr(self, name)
            new = np.zeros(col.size * 2, dtype=col.dtype)
            new[: col.size] = col
            setattr(self, name, new)

    def view(self, name: str) -> np.ndarray:
        """The live part of a column."""
        return getattr(self, name)[: self.n]

    def mask(self, side: int, *postures: Posture, present_on: int | None = None) -> np.ndarray:
        """Alive units of a side in the given postures (and arrived by day, if given)."""
        n = self.n
        m = self.of_side(side)
        if len(postures) == 1:  # the same mask without the lookup table (most calls)
            m = m & (self.posture[:n] == int(postures[0]))
        elif postures:
            m = m & _allowed(postures)[self.posture[:n]]
        else:
            m = m.copy()
        if present_on is not None:
            m &= self.arrive_day[:n] <= present_on
        return m

    def line_mask(self, side: int, present_on: int | None = None) -> np.ndarray:
        """A side's units holding the line (for Ukraine, also those withdrawing and those
        sent there), arrived by ``present_on`` if given."""
        postures = (Posture.DEFEND,) if side == RU else (Posture.DEFEND, Posture.WITHDRAW)
        return self.mask(side, *postures, present_on=present_on)

    def reserve_power(self, side: int, present_on: int | None = None) -> float:
        """Combat power of a side's reserves; with ``present_on``, only those that have
        arrived by that day."""
        return self.power(self.mask(side, Posture.RESERVE, present_on=present_on))

    def attack_power(self, present_on: int | None = None) -> float:
        """Combat power of Russia's main effort (units massing for it or attacking)."""
        return self.power(self.mask(RU, Posture.CONCENTRATE, Posture.ATTACK,
                                    present_on=present_on))

    def by_side(self) -> tuple[np.ndarray, np.ndarray]:
        """Personnel and strength-weighted mean readiness of each side, in one pass."""
        alive = self.view("alive")
        side = self.view("side")[alive]
        s = self.view("strength")[alive]
        personnel = np.bincount(side, weights=s, minlength=2)
        ready = np.bincount(side, weights=s * self.view("readiness")[alive], minlength=2)
        return personnel, np.divide(ready, personnel, out=np.zeros(2), where=personnel > 0)

    def personnel(self, side: int) -> float:
        """Personnel in one side's living units (the depot not counted)."""
        return float(self.strength[: self.n][self.of_side(side)].sum())

    def power(self, mask: np.ndarray, unit_power: np.ndarray | None = None) -> float:
        """Combat power (strength x readiness) of the masked units (``unit_power``: each
        unit's, if the caller has it already: the same numbers)."""
        if unit_power is not None:
            return float(unit_power[mask].sum())
        n = self.n
        return float((self.strength[:n][mask] * self.readiness[:n][mask]).sum())

    def unit_power(self) -> np.ndarray:
        """Each unit's combat power (strength x readiness), for several sums of the same
        day's units."""
        n = self.n
        return self.strength[:n] * self.readiness[:n]

    def power_on(self, mask: np.ndarray, spans: tuple[np.ndarray, np.ndarray],
                 sector_spans: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """``P[j, k]``: the combat power of the masked units of sector j that stands on
        span k (front positions from, to; ``sector_spans`` are the sectors' own).

        A unit with a place on the front counts on a span for the share of its place
        inside it; one without stands spread along its sector's front. So what a frontage
        meets is where the units stand, not how the front happens to be cut into sectors:
        a frontage across two sectors meets the units standing on it, not a blend of both
        sectors' averages."""
        return self.power_on_each((mask,), spans, sector_spans)[0]

    def power_on_each(self, masks: tuple[np.ndarray, ...], spans: tuple[np.ndarray, np.ndarray],
                      sector_spans: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
        """``power_on`` for each of ``masks`` on the same spans: each unit's share on each
        span is worked out once for all of them (the same numbers as one call each)."""
        return UnitsAlongFront(self, masks, sector_spans).on(spans)

    def power_by_sector(self, mask: np.ndarray, n_sectors: int,
                        unit_power: np.ndarray | None = None) -> np.ndarray:
        """Combat power (strength x readiness) of the masked units, summed per sector
        (``unit_power``: as in ``power``)."""
        n = self.n
        sector = self.sector[:n]
        m = mask & (sector >= 0)
        w = (self.strength[:n][m] * self.readiness[:n][m] if unit_power is None
             else unit_power[m])
        return np.bincount(sector[m], weights=w, minlength=n_sectors)[:n_sectors]


def _rows_along(f: ForceTable, masks: tuple[np.ndarray, ...]) -> np.ndarray:
    """The rows of the units of any of ``masks`` that stand on a sector."""
    union = masks[0]
    for mask in masks[1:]:  # not np.logical_or.reduce: that stacks the masks first
        union = union | mask
    return np.flatnonzero(union & (f.sector[: f.n] >= 0))


@lru_cache(maxsize=64)
def _allowed(postures: tuple[Posture, ...]) -> np.ndarray:
    """Lookup table: True at the codes of ``postures`` (read-only, shared)."""
    allowed = np.zeros(len(Posture), dtype=bool)
    allowed[[int(p) for p in postures]] = True
    allowed.flags.writeable = False
    return allowed


#: Sets of spans a ``UnitsAlongFront`` keeps what stands on: a review's windows and the
#: wider frontages of its main effort.
ON_KEPT = 16


class UnitsAlongFront:
    """Where the units of each of several masks stand along the front, and their power,
    for their power on any spans (``on``: ``ForceTable.power_on_each``). What does not
    depend on the spans is worked out once, however many sets of spans are asked about
    (a review's windows, then each wider frontage of its main effort)."""

    def __init__(self, f: ForceTable, masks: tuple[np.ndarray, ...],
                 sector_spans: tuple[np.ndarray, np.ndarray],
                 rows: np.ndarray | None = None) -> None:
        rows = _rows_along(f, masks) if rows is None else rows
        self._key, self._spans = b"", None  # what it was made of (``kept``)
        sec = f.sector[rows]
        a, b = f.front_from[rows], f.front_to[rows]
        own = np.isfinite(a)
        self.a = np.where(own, a, sector_spans[0][sec])
        self.b = np.where(own, b, sector_spans[1][sec])
        self.power = (f.strength[rows] * f.readiness[rows])[:, None]
        self.length = np.maximum(self.b - self.a, 1e-9)[:, None]
        n_sectors = sector_spans[0].size
        self.mine: list[tuple[np.ndarray, np.ndarray]] = []
        for mask in masks:  # each mask's own rows, in order: the product of a call of its own
            mine = mask[rows]
            onehot = np.zeros((n_sectors, int(mine.sum())))
            onehot[sec[mine], np.arange(onehot.shape[1])] = 1.0
            self.mine.append((mine, onehot))
        self._on: dict[int, tuple[tuple[np.ndarray, np.ndarray], list[np.ndarray]]] = {}

    @classmethod
    def kept(cls, f: ForceTable, masks: tuple[np.ndarray, ...],
             sector_spans: tuple[np.ndarray, np.ndarray],
             last: UnitsAlongFront | None) -> UnitsAlongFront:
        """``UnitsAlongFront(f, masks, sector_spans)``, or ``last`` if it was made of the
        very same units: the same rows in each mask, in the same sectors and places along
        the front, with the same strength and readiness, to the bit (Russia's reviews of a
        quiet ceasefire mostly find both lines as they left them)."""
        rows = _rows_along(f, masks)
        key = b"".join(a.tobytes() for a in (
            rows, f.sector[rows], f.front_from[rows], f.front_to[rows], f.strength[rows],
            f.readiness[rows], *(mask[rows] for mask in masks)))
        if last is not None and last._key == key and last._spans is sector_spans:
            return last
        along = cls(f, masks, sector_spans, rows)
        along._key, along._spans = key, sector_spans
        return along

    def on(self, spans: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
        """``P[j, k]`` for each mask: the power of its units of sector j standing on span k
        (a unit without a place of its own stands spread along its sector's front).
        Kept for the spans (the same arrays), which the callers read and do not write."""
        kept = self._on.get(id(spans[0]))
        if kept is not None and kept[0][0] is spans[0] and kept[0][1] is spans[1]:
            return kept[1]
        got = self._standing_on(spans)
        if len(self._on) >= ON_KEPT:
            self._on.clear()
        self._on[id(spans[0])] = (spans, got)
        return got

    def _standing_on(self, spans: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
        lo, hi = spans
        cover = np.maximum(np.minimum(self.b[:, None], hi[None, :])
                           - np.maximum(self.a[:, None], lo[None, :]), 0.0)
        standing = self.power * cover / self.length
        return [onehot @ standing[mine] for mine, onehot in self.mine]
