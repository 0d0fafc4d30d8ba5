"""Step 2: regeneration. Recruits reach the theatre; readiness recovers out of combat.

During a pause nothing is lost to combat, so inflow accumulates and readiness recovers:
this is regrouping, and it works for both sides at their own rates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import kernels
from dmzsim.model.forces import RU, UA, ForceTable, Posture

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


@dataclass
class _Settled:
    """What the last quiet day found of the units (``Regeneration.quiet_step``): each
    side's strength in its units where every one of them is at nominal strength (None
    where not known), and whether every unit is fully ready."""

    params: object  # the parameters then (nominal strength is one of them)
    boost: float  # arms support then
    units: bytes = b""  # every unit's strength and readiness then, to the bit
    full: list[float | None] = field(default_factory=lambda: [None, None])
    ready: bool = False


class Regeneration:
    """Each side's inflow of personnel and its readiness recovery.

    State: each side's depot (personnel that reached the theatre but fill no unit yet, and
    the remnants of disbanded units), and the totals that came in and went out, from
    which every side's personnel can be accounted for (``tests/test_invariants.py``).
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "initial_readiness", "readiness_loss_per_combat_day", "readiness_recovery_days",
        "ru_initial_personnel", "ru_pause_recruitment_factor", "ru_recruits_per_month",
        "recruitment_noise_sd", "ru_theatre_cap_personnel", "ru_theatre_share",
        "ua_awol_per_month", "ua_initial_personnel", "ua_pause_awol_factor",
        "ua_pause_mobilisation_factor", "ua_recruits_per_month", "ua_theatre_cap_personnel",
        "ua_theatre_share", "unit_personnel",
    )
    STEP = 2

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.depot = np.zeros(2)
        self.inflow_total = np.zeros(2)
        self.outflow_total = np.zeros(2)
        self.luck = np.ones(2)  # this month's factor on each side's recruitment (mean 1)
        # each day's rate comes from a few inputs that change a few times a run: it is
        # kept for them and for these parameters (the same numbers, computed once)
        self._rates: dict[tuple[int, bool, float, float], float] = {}
        self._rates_for = m.p
        self._settled: _Settled | None = None  # kept from one quiet day to the next
        self._days_ahead: list[list[float]] = []  # each side's inflow on the quiet days ahead
        self._formed: list[dict[int, int]] = []  # and the days units are formed on them

    @property
    def initial_personnel(self) -> np.ndarray:
        """Each side's personnel on day 0 (from the parameters, not kept as state)."""
        return np.array([self.m.p.ru_initial_personnel, self.m.p.ua_initial_personnel])

    def step(self) -> None:
        """Each side's daily inflow (at its pause rate during a ceasefire; Ukraine's
        raised by arms support once guarantees are in force), then readiness recovery.

        Out of combat, that is ``quiet_step``'s day: the same numbers, and what it finds
        of the units holds for the quiet days after (``quiet_days_ahead``)."""
        if not self.m.at_war:
            self.quiet_step()
            return
        f = self.m.forces
        self._settled = None  # at war: units are seldom all full or all ready
        self._draw_month()
        for side in (RU, UA):
            mask = f.of_side(side)  # its units and their strength, looked up once
            strength = f.strength[: f.n][mask]
            have = float(strength.sum()) + float(self.depot[side])
            self._inflow(side, self.daily_inflow(side, have), mask, strength)
        self._recover(self.m.guarantor.arms_support())

    def quiet_step(self) -> None:
        """A day's regeneration out of combat (every day of a ceasefire, quiet or not):
        the same numbers as ``step`` at war, for less. Out of combat nothing but
        regeneration writes strength or readiness, and a ceasefire is mostly days on which
        every unit is at nominal strength: then recruits only fill the depot
        (``fill_units`` gives a full unit nothing), and once all are ready readiness stays
        at 1. What one day finds of that (``_Settled``) holds the next, until a unit is
        formed, and such a day is a few sums of numbers rather than of arrays. It is kept with the
        units' numbers as they were, and holds only while they still are: whatever else
        writes them (a test, a notebook) makes the day find them again."""
        m = self.m
        f = m.forces
        self._draw_month()
        boost = m.guarantor.arms_support()
        kept = self._kept(boost)
        if kept is None:
            kept = _Settled(m.p, boost)
        rows = f.n
        for side in (RU, UA):
            kept.full[side] = self._quiet_inflow(side, kept.full[side])
        if f.n != rows:  # a unit was formed today: its side's sum is not the kept one
            kept.full, kept.ready = [None, None], False
        if not kept.ready:
            kept.ready = self._recover(boost)
        kept.units = _units(f)
        self._settled = kept

    def _kept(self, boost: float) -> _Settled | None:
        """What the last day found of the units, if it still holds: the same parameters
        and arms support, and every unit's strength and readiness the same to the bit."""
        kept = self._settled
        if (kept is None or kept.params is not self.m.p or kept.boost != boost
                or kept.units != _units(self.m.forces)):
            return None
        return kept

    def quiet_days_ahead(self, limit: int) -> int:
        """How many of the next ``limit`` quiet days are plain ones for regeneration: the
        units as the last quiet day found them (``_Settled``: each side's all at nominal
        strength), and recruits coming in. Their inflow, and the days units are formed
        from the depot, are worked out here, day by day as ``quiet_step`` would, for
        ``pass_quiet_days``; a month's draw of luck among them is drawn here, before them
        (one at most: the stretch ends before the next month's)."""
        m = self.m
        kept = self._kept(m.guarantor.arms_support())
        if kept is None:
            return 0
        for side in (RU, UA):  # after a unit is formed: found as ``_quiet_inflow`` does
            if kept.full[side] is None:
                kept.full[side] = self._all_full(side)
                if kept.full[side] is None:
                    return 0
        draw = (1 - (m.day + 1)) % 30  # the days before ``_draw_month`` draws (day 1, 31, ...)
        limit = min(limit, draw + 30)  # and before the month after's
        ahead = [_Ahead(self, side, kept.full[side]) for side in (RU, UA)]
        for side in (RU, UA):
            if not ahead[side].run(self.daily_rate(side), min(limit, draw)):
                return 0  # desertion above recruitment takes from the units
        if limit > draw:  # the month's draw of luck falls in the stretch: drawn now
            stream = m.streams.regeneration
            before = stream.bit_generator.state, self.luck.copy()
            self._draw_luck()
            if not all(ahead[side].run(self.daily_rate(side), limit - draw)
                       for side in (RU, UA)):
                stream.bit_generator.state, self.luck = before  # drawn on its day instead
                limit = draw
        self._days_ahead = [a.inflow[:limit] for a in ahead]
        self._formed = [{d: k for d, k in a.formed.items() if d < limit} for a in ahead]
        return limit

    def pass_quiet_days(self, days: int) -> Iterator[int]:
        """``quiet_step`` on each of ``days`` days (``quiet_days_ahead``): the inflow it
        found goes to the depot, units are formed on their days, and readiness recovers
        day by day until all are ready. Yields each day (1 to ``days``) on which units
        are formed, once they are, for the model to place them as that day's movement
        would. A day's inflow and the units formed come before its recovery, so the days
        between two on which units are formed recover together."""
        kept = self._settled
        formed_on = sorted({d for formed in self._formed for d in formed if d < days})
        added = [0, 0]  # days of each side's inflow gone in so far
        recovered = 0  # days of recovery done so far
        for day in formed_on:
            self._recover_for(kept, day - recovered)
            recovered = day
            for side in (RU, UA):
                self._add_inflow(side, added[side], day + 1)
                added[side] = day + 1
                if day in self._formed[side]:
                    self._form_units(side)
                    kept.full[side], kept.ready = None, False
            yield day + 1
        for side in (RU, UA):
            self._add_inflow(side, added[side], days)
        self._recover_for(kept, days - recovered)
        kept.units = _units(self.m.forces)

    def _add_inflow(self, side: int, start: int, end: int) -> None:
        """The inflow worked out ahead for days ``start`` to ``end`` (exclusive), each
        day's sums in turn, as floats (the same bits)."""
        total, depot = float(self.inflow_total[side]), float(self.depot[side])
        for amount in self._days_ahead[side][start:end]:
            total += amount
            depot += amount
        self.inflow_total[side], self.depot[side] = total, depot

    def _recover_for(self, kept: _Settled, days: int) -> None:
        """``days`` days of recovery, unless all were found ready."""
        if days > 0 and not kept.ready:
            kept.ready = self._recover_days(kept.boost, days)

    def _recover_days(self, boost: float, days: int) -> bool:
        """``_recover`` out of combat on each of ``days`` days; returns whether all were
        ready on the last. A day adds the same ``up`` to each unit's readiness and clips
        it at 1.0, so the days' sums, taken in turn (``np.add.accumulate``), are the days'
        readiness to the bit wherever they stay below 1.0, and 1.0 once they pass it (a
        unit at 1.0 stays there, so only the others are summed). Where a day could clip
        at the floor instead (readiness below it, or a negative boost), each day is run
        as it is."""
        m = self.m
        f, p = m.forces, m.p
        ready = f.view("readiness")
        if boost < 0.0 or ready.min(initial=1.0) < kernels.READINESS_FLOOR:
            for _ in range(days):
                done = self._recover(boost)
            return done
        if ready.min(initial=1.0) >= 1.0:
            return True  # as ``_recover``: all ready, and nothing lowers it
        rows = np.flatnonzero(ready != 1.0)
        ua_boost = np.where(f.side[rows] == UA, boost, 0.0) if boost else 0.0
        up = (1.0 + ua_boost) / p.readiness_recovery_days  # as ``recover_out_of_combat``
        steps = np.empty((days + 1, rows.size))
        steps[0], steps[1:] = ready[rows], up
        f.readiness[rows] = np.minimum(np.add.accumulate(steps, axis=0)[-1], 1.0)
        return False

    def _quiet_inflow(self, side: int, full: float | None) -> float | None:
        """A side's inflow on a quiet day, ``full`` its units' strength if every one of
        them is known to be at nominal strength; returns it for tomorrow (None: unknown)."""
        m = self.m
        f = m.forces
        if full is None:  # found as ``step`` does, and whether every unit is full
            mask = f.of_side(side)
            strength = f.strength[: f.n][mask]
            total = float(strength.sum())
            amount = self.daily_inflow(side, total + float(self.depot[side]))
            if amount < 0 or not _full(strength, m.p.unit_personnel):
                self._inflow(side, amount, mask, strength)
                return None
            full = total
        else:
            amount = self.daily_inflow(side, full + float(self.depot[side]))
            if amount < 0:  # desertion above recruitment: units lose strength
                mask = f.of_side(side)
                self._inflow(side, amount, mask, f.strength[: f.n][mask])
                return None
        # ``_inflow`` with every unit full: nothing fills a unit, all goes to the depot
        self.inflow_total[side] += amount
        self.depot[side] += amount if amount > 0 else 0.0
        self._form_units(side)
        return full

    def _all_full(self, side: int) -> float | None:
        """A side's strength in its units if every one of them is at nominal strength
        (the sum ``_quiet_inflow`` takes), else None."""
        f = self.m.forces
        strength = f.strength[: f.n][f.of_side(side)]
        return float(strength.sum()) if _full(strength, self.m.p.unit_personnel) else None

    def _draw_month(self) -> None:
        """Every 30 days (from day 1), each side's recruitment factor for the month
        (``_draw_luck``)."""
        if (self.m.day - 1) % 30 == 0:
            self._draw_luck()

    def _draw_luck(self) -> None:
        """Each side's recruitment factor for the month: a lognormal of mean 1 and log
        s.d. ``recruitment_noise_sd``, from its own stream (drawn whatever the s.d., so
        the stream stays aligned)."""
        m = self.m
        z = m.streams.regeneration.standard_normal(2)
        sd = m.p.recruitment_noise_sd
        if sd > 0:
            self.luck = np.exp(sd * z - sd * sd / 2.0)

    def daily_rate(self, side: int, expected: bool = False) -> float:
        """A side's net personnel a day into the theatre at today's rates, before its cap;
        ``expected``: at the mean rate rather than this month's draw (Russia's forecast)."""
        m = self.m
        luck = 1.0 if expected else float(self.luck[side])
        key = (side, m.in_ceasefire, luck,
               m.guarantor.arms_support() if side == UA else 0.0)
        if self._rates_for is not m.p:  # kept for these parameters only
            self._rates_for, self._rates = m.p, {}
        rate = self._rates.get(key)
        if rate is None:
            if len(self._rates) > 64:  # a new draw of luck every month
                self._rates.clear()
            rate = self._rates[key] = self._daily_rate(side, luck)
        return rate

    def _daily_rate(self, side: int, luck: float) -> float:
        m = self.m
        p = m.p
        if side == RU:
            rate = p.ru_recruits_per_month * (p.ru_pause_recruitment_factor if m.in_ceasefire
                                              else 1.0) * luck
            return kernels.net_daily_rate(rate, 0.0, p.ru_theatre_share)
        rate = p.ua_recruits_per_month * (p.ua_pause_mobilisation_factor if m.in_ceasefire
                                          else 1.0) * luck
        awol = p.ua_awol_per_month * (p.ua_pause_awol_factor if m.in_ceasefire else 1.0)
        return kernels.net_daily_rate(rate, awol, p.ua_theatre_share,
                                      m.guarantor.arms_support())

    def daily_inflow(self, side: int, have: float | None = None) -> float:
        """Today's net inflow of a side, never beyond the theatre's cap (nor below zero);
        ``have`` is its personnel (``total_personnel``) if the caller has it already."""
        if have is None:
            have = self.total_personnel(side)
        cap = self.cap(side)
        net = self.daily_rate(side)
        if net > 0:
            return float(min(net, max(cap - have, 0.0)))
        return float(max(net, -have))

    def cap(self, side: int) -> float:
        """The most personnel a side's theatre holds today: Russia's moves with the
        political shocks so far (``Shocks.force_shift``), Ukraine's is fixed."""
        p = self.m.p
        if side == RU:
            return p.ru_theatre_cap_personnel * float(np.exp(self.m.shocks.force_shift))
        return p.ua_theatre_cap_personnel

    def total_personnel(self, side: int) -> float:
        """A side's personnel in its units plus in the depot (not yet formed into a unit)."""
        return self.m.forces.personnel(side) + float(self.depot[side])

    def _inflow(self, side: int, amount: float, mask: np.ndarray,
                strength: np.ndarray) -> None:
        """``amount`` reaches (or, negative, leaves) the side's units ``mask``, whose
        strength is ``strength``, and its depot."""
        m = self.m
        f, p = m.forces, m.p
        if amount < 0:  # desertion above recruitment: the depot empties first, then units
            from_depot = min(-amount, float(self.depot[side]))
            self.depot[side] -= from_depot
            rest = -amount - from_depot
            f.strength[: f.n][mask] -= kernels.take_losses(strength, rest)
            self.outflow_total[side] += -amount
            return
        self.inflow_total[side] += amount
        if amount > 0:
            added, leftover = kernels.fill_units(strength, p.unit_personnel, amount)
            if added.any():  # adding zeros changes nothing: most days every unit is full
                f.strength[: f.n][mask] += added
        else:  # nothing came in (at the cap): ``fill_units`` would add zeros and keep 0.0
            leftover = 0.0
        self.depot[side] += leftover
        self._form_units(side)

    def _form_units(self, side: int) -> None:
        """Whole units from the side's depot, as reserves."""
        m = self.m
        p = m.p
        while self.depot[side] >= p.unit_personnel:
            self.depot[side] -= p.unit_personnel
            m.add_unit(side, p.unit_personnel, p.initial_readiness, Posture.RESERVE, -1)

    def _recover(self, boost: float) -> bool:
        """Readiness recovers out of combat and wears down in it; returns whether every
        unit was fully ready and nothing lowered it (nothing changed)."""
        m = self.m
        f, p = m.forces, m.p
        n = f.n
        ua_boost = np.where(f.view("side") == UA, boost, 0.0) if boost else 0.0
        assault = m.combat.assault
        if not (m.at_war and assault.size):  # in a ceasefire nobody is in combat
            ready = f.view("readiness")
            if boost >= 0.0 and ready.min(initial=1.0) >= 1.0:
                return True  # all ready and nothing lowers it: r + up, clipped at 1.0, is 1.0
            f.readiness[:n] = kernels.recover_out_of_combat(
                ready, p.readiness_recovery_days, ua_boost)
            return False
        in_combat = np.zeros(n, dtype=bool)
        sector = f.view("sector")
        on_line = (sector >= 0) & f.view("alive")
        in_combat[on_line] = assault[sector[on_line]]
        if m.effort.breach is not None:  # the main effort fights at its breach
            in_combat |= f.mask(RU, Posture.ATTACK)
        f.readiness[:n] = kernels.recover_readiness(
            f.view("readiness"), in_combat, p.readiness_recovery_days,
            p.readiness_loss_per_combat_day, ua_boost)
        return False


class _Ahead:
    """A side's inflow on the quiet days ahead (``daily_inflow``, day by day as
    ``quiet_step`` would), and the days on which units are formed from the depot
    (``_form_units``), with how many. A unit formed is at nominal strength, so its side's
    units stay full; their strength is summed again with it, as the next day's
    ``_quiet_inflow`` sums it."""

    def __init__(self, regen: Regeneration, side: int, full: float) -> None:
        self.regen, self.side, self.full = regen, side, full
        self.depot = float(regen.depot[side])
        self.inflow: list[float] = []
        self.formed: dict[int, int] = {}
        self._strength: np.ndarray | None = None

    def run(self, net: float, days: int) -> bool:
        """``days`` more days at the daily rate ``net``; False if it is not positive."""
        if days <= 0:
            return True
        if not net > 0:
            return False
        regen, side = self.regen, self.side
        cap, unit = regen.cap(side), regen.m.p.unit_personnel
        full, depot = self.full, self.depot
        for _ in range(days):
            amount = float(min(net, max(cap - (full + depot), 0.0)))
            self.inflow.append(amount)
            depot += amount
            if depot >= unit:
                count = 0
                while depot >= unit:
                    depot -= unit
                    count += 1
                self.formed[len(self.inflow) - 1] = count
                full = self._with_new(count, unit)
        self.full, self.depot = full, depot
        return True

    def _with_new(self, count: int, unit: float) -> float:
        """The side's strength in its units once ``count`` more are formed, summed as
        ``_quiet_inflow`` sums it (a new unit's row comes after every other)."""
        f = self.regen.m.forces
        if self._strength is None:
            self._strength = f.strength[: f.n][f.of_side(self.side)]
        self._strength = np.append(self._strength, np.full(count, unit))
        return float(self._strength.sum())


def _full(strength: np.ndarray, nominal: float) -> bool:
    """Whether every unit is at ``nominal`` strength (``fill_units`` gives it nothing)."""
    return not (nominal - strength > 0.0).any()


def _units(f: ForceTable) -> bytes:
    """Every unit's strength and readiness, as bytes: equal only if equal to the bit."""
    return f.strength[: f.n].tobytes() + f.readiness[: f.n].tobytes()
