"""Russia's staff estimate: the value of resuming the war now, and later.

At each review Russia looks at every window of the front (``front.Windows``: frontages
of ``attack_frontage_km`` laid end to end along it, whatever the partition into sectors)
as an attack there would meet it, today and at each later review within ``lookahead_days``, from the
model's own state and with the model's own rules:

* **odds**: its power that can reach the frontage (the line there, its reserves, what it
  has massed) against Ukraine's line there, the reserves Ukraine can bring up in the
  warning time, the defender's posture and works, and the guarantor help it expects;
  read with noise (bounded rationality). The main effort goes where the odds are best,
  and only an offensive expected to break through (``breakthrough_ratio``, the 3:1 rule)
  is worth launching;
* **gain**: the ground and towns that offensive would take within ``campaign_days``
  (``kernels.campaign``), valued by Russia's aims (``model/aims.py``: the map's aims
  scenario, by default its oblast at full value, the fortress-belt towns besides, ground
  beyond at ``beyond_aims_value``), grown towards full value as the expected ratio
  exceeds the breakthrough ratio (``aims_growth``, 0 by default). Ground the deal
  has already handed over is not Ukraine's to lose and adds nothing;
* **costs**: its forecast losses (priced at ``acceptable_losses_per_km2``), the
  guarantor's expected answer (credibility x ``guarantor_cost_km2``), and ending the
  ceasefire (``resumption_cost_km2`` plus the dividend accrued while it held, without
  bound or towards a ceiling, ``ceasefire_dividend_years``; moved by shocks);
* **timing**: the same estimate at later reviews, using what Russia knows is coming —
  both sides' regeneration and readiness, the theatre caps, Ukraine's digging, the
  zone's works decaying, guarantees promised for their day with their delivery
  probability. It resumes now only if no later review looks better: a closing window
  pulls the attack earlier, a balance still moving its way lets it wait (Fearon 1995,
  Powell 2006). Nothing here knows which arm of an experiment is being run.

With no costs, no look-ahead and all ground of equal value, the rule reduces to the
threshold rule: resume when the expected ratio reaches ``breakthrough_ratio``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import aims, balance, kernels, outputs, springboard
from dmzsim.model.forces import RU, UA, Posture
from dmzsim.model.main_effort import frontages

if TYPE_CHECKING:
    from dmzsim.model.front import Windows
    from dmzsim.model.model import CeasefireModel

CAMPAIGN_STEP_DAYS = 10  # the staff's forecast resolution; the fighting itself is daily
TERMS = outputs.DECISION_TERMS
#: Sets of windows a review's reading of the lines keeps what stands on (``_Front``):
#: the windows and the wider frontages of the main effort on the windows it picked.
STANDING_KEPT = 128
_RESERVE = int(Posture.RESERVE)  # as a plain int: an IntEnum compared with an array is slow
#: The parameters the staff estimate reads (tests/test_processes.py holds this to the code).
PARAMS = (
    "acceptable_losses_per_km2", "aims_growth", "attrition_rate_per_day", "breakthrough_pulse_days",
    "breakthrough_ratio", "breakthrough_speed_km_per_day", "campaign_days",
    "ceasefire_dividend_km2_per_year", "ceasefire_dividend_years", "concentration_days",
    "consolidation_days", "decision_attack_day",
    "dig_days_to_full", "discount_per_year", "dmz_crossing_km_per_day",
    "era_advance_multiplier", "fortification_decay_days", "fortified_multiplier",
    "guarantor_combat_support", "guarantor_cost_km2", "hasty_multiplier", "lookahead_days",
    "obstacle_delay_factor", "prepared_multiplier", "readiness_recovery_days",
    "resumption_cost_km2", "review_interval_days",
    "ua_alert_response_days", "urban_multiplier",
    "warning_model", "withdrawal_multiplier",
)


@dataclass(frozen=True)
class Estimate:
    """One review's staff estimate; arrays run over the offsets ``days`` (0 = today)."""

    days: np.ndarray  # (T,) days from today
    window: np.ndarray  # (T,) the window with the best odds at each offset
    sector: np.ndarray  # (T,) the sector holding it, where the offensive is fought
    ratio: np.ndarray  # (T,) expected ratio there
    required: float  # the ratio needed to break through
    gain: np.ndarray  # (T,) km² of aims
    losses: np.ndarray  # (T,) km² of aims (forecast losses at their price)
    guarantor: np.ndarray  # (T,) km² of aims
    ending: np.ndarray  # (T,) km² of aims
    discount: np.ndarray  # (T,) what a value at each offset is worth today
    frontage: np.ndarray | None = None  # (T,) km of front the main effort strikes

    @cached_property  # read several times a review (now, later, the deciding term)
    def value(self) -> np.ndarray:
        """Net value of resuming at each offset (-inf where no breakthrough is expected)."""
        net = self.gain - self.losses - self.guarantor - self.ending
        return np.where(self.ratio >= self.required, net, -np.inf)

    @property
    def value_now(self) -> float:
        """Net value of resuming today."""
        return float(self.value[0])

    @property
    def value_wait(self) -> float:
        """Best net value, discounted to today, of resuming at a later review (-inf
        without look-ahead)."""
        later = self.value[1:] * self.discount[1:]
        return float(later.max()) if self.days.size > 1 else -np.inf

    @property
    def resume(self) -> bool:
        """Resume today: worth more than keeping the ceasefire and than any later day."""
        now = self.value_now
        return now > 0.0 and now >= self.value_wait

    def deciding_term(self) -> str:
        """Which term decided the review: the first that rules an attack out, or 'gain'."""
        if self.ratio[0] < self.required:
            return "odds"
        if self.value_now > 0.0:
            return "waiting" if self.value_now < self.value_wait else "gain"
        costs = {"losses": self.losses[0], "guarantor": self.guarantor[0],
                 "ending the ceasefire": self.ending[0]}
        return max(costs, key=costs.__getitem__)


def estimate(m: CeasefireModel, noise: np.ndarray, lookahead: bool = True,
             window: int | None = None) -> Estimate:
    """Russia's estimate at today's review (``noise``: log-ratio misreading per window);
    ``window`` fixes the point of attack instead of taking the one with the best odds.

    Later reviews are only looked at when resuming today is worth something: if it is
    not, Russia keeps the ceasefire today whatever later days hold.
    """
    lead = 0.0  # days from a review to the attack it weighs (decision_attack_day)
    if lookahead and m.p.decision_attack_day == "after_massing":
        lead = float(m.p.concentration_days)
    today = _Today(m)
    now = _estimate(today, noise, np.zeros(1), window, lead)
    if not lookahead or m.p.lookahead_days < m.p.review_interval_days or now.value_now <= 0:
        return now
    step = m.p.review_interval_days
    return _estimate(today, noise, np.arange(0, m.p.lookahead_days + 1, step, dtype=float),
                     window, lead)


def misreading(draws: np.ndarray, n_windows: int) -> np.ndarray:
    """Russia's log-ratio misreading on each window: one draw per window of the front,
    fixed to the ground (``draws`` wrap round on a front longer than they cover).

    A draw per window, not per sector: the best reading Russia finds does not grow with
    the number of sectors the front is cut into."""
    return draws[np.arange(n_windows) % draws.size]


def expected_ratio(m: CeasefireModel, noise: np.ndarray) -> np.ndarray:
    """Russia's expected ratio on every window today (0 where Ukraine holds no ground)."""
    f = _Forecast(_Today(m), np.zeros(1))
    ratio = f.attack[0] / np.maximum(f.defence[0], 1e-9) * np.exp(noise)
    return np.where(m.lines.has_line()[m.lines.windows.owner], ratio, 0.0)


def _estimate(today: _Today, noise: np.ndarray, days: np.ndarray,
              window: int | None, lead: float = 0.0) -> Estimate:
    """The estimate for resuming at reviews ``days`` ahead, each attack read ``lead``
    days after its review (the forecast's world then), discounted from its review."""
    m = today.m
    p, lines = m.p, m.lines
    at = days + lead if lead else days
    f = _Forecast(today, at)
    ratio_all = _odds(m, f, noise)
    best = np.argmax(ratio_all, axis=1) if window is None else np.full(days.size, window)
    pick = (np.arange(days.size), best)
    ratio = ratio_all[pick]
    seen = _at(f, pick)
    frontage = np.full(days.size, lines.windows.frontage_km)
    if frontages(p).size > 1 and (ratio >= p.breakthrough_ratio).any():
        seen, ratio, frontage = _widen(today, noise, at, pick, seen, ratio)
    attack, defence, reinforcement, fort, crossing = seen
    gain = losses = np.zeros(days.size)
    ending = _ending(m, at)
    guarantor = f.credibility * p.guarantor_cost_km2
    # the whole corridor is the most an offensive could gain: if even that does not pay
    # for the guarantor and the end of the ceasefire, no forecast can change the answer
    # Most reviews of a ceasefire expect no breakthrough at any offset: then the aims are
    # not read, nor built. Built later, they are the same: in a ceasefire the ground
    # Ukraine holds changes only when the theatre is cut again (which builds them anew),
    # and at war only the window and the frontage of an estimate are acted on.
    feasible = ratio >= p.breakthrough_ratio
    if feasible.any():
        grow = aims.growth_share(p.aims_growth, ratio, p.breakthrough_ratio)
        by_width = [lines.aims_at(float(w)) for w in frontage]  # each offset's corridor
        ceiling = np.array([a.total(int(k), g) for a, k, g in zip(by_width, best, grow,
                                                                  strict=True)])
        feasible &= ceiling - guarantor - ending > 0
    if feasible.any():
        att = attack * np.exp(noise[best])
        span = np.maximum(p.campaign_days - crossing, 0.0) / p.campaign_days
        depth, lost = kernels.campaign(
            att, defence, reinforcement, p.ua_alert_response_days,
            fort, kernels.defender_exposure(fort), p.campaign_days,
            CAMPAIGN_STEP_DAYS, p.attrition_rate_per_day, p.era_advance_multiplier,
            p.breakthrough_ratio, p.breakthrough_speed_km_per_day,
            p.breakthrough_pulse_days / (p.breakthrough_pulse_days + p.consolidation_days))
        gain = np.array([a.value(int(k), d, g) for a, k, d, g in zip(
            by_width, best, depth * span, grow, strict=True)])
        losses = lost / p.acceptable_losses_per_km2
        gain, losses = np.where(feasible, gain, 0.0), np.where(feasible, losses, 0.0)
    discount = (1.0 - p.discount_per_year) ** (days / 365.25)
    return Estimate(days, best, lines.windows.owner[best], ratio, p.breakthrough_ratio, gain,
                    losses, guarantor, ending, discount, frontage)


def _odds(m: CeasefireModel, f: _Forecast, noise: np.ndarray,
          owner: np.ndarray | None = None) -> np.ndarray:
    """Russia's expected ratio (T, W) on every window of the forecast (held by the
    sectors ``owner``, by default all the windows'), as it reads it (0 where Ukraine
    holds no line)."""
    lines = m.lines
    owner = lines.windows.owner if owner is None else owner
    ratio = f.attack / np.maximum(f.defence, 1e-9) * np.exp(noise)[None, :]
    return np.where(lines.has_line()[owner][None, :], ratio, 0.0)


def _at(f: _Forecast, pick: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The forecast at the picked window of each offset: attack, defence, reinforcement,
    works and days to cross to the line, each (T,)."""
    return (f.attack[pick], f.defence[pick], f.reinforcement[pick], f.fort[pick],
            f.crossing[pick])


def _widen(today: _Today, noise: np.ndarray, days: np.ndarray,
           pick: tuple[np.ndarray, np.ndarray], at: tuple[np.ndarray, ...], ratio: np.ndarray
           ) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """The main effort on the picked windows, widened by the frontage rule
    (``main_effort.frontages``, ``kernels.widest_frontage``): the forecast, the expected
    ratio and the frontage (km) at each offset. The same forecast on a wider frontage:
    more of both lines and of the works stand on it, the reserves and the massed force
    do not grow with it, so the ratio falls as the front widens."""
    m = today.m
    p = m.p
    widths = frontages(p)
    ratios, forecasts = [ratio], [at]
    held = ratio >= p.breakthrough_ratio
    used, col = np.unique(pick[1], return_inverse=True)  # only the picked windows
    sub = (pick[0], col)
    for width in widths[1:]:
        if not held.any():  # no offset can widen further
            break
        wide = m.lines.windows_taken(float(width), used)
        f = _Forecast(today, days, wide)
        r = np.where(wide.fits()[col], _odds(m, f, noise[used], wide.owner)[sub], 0.0)
        held &= r >= p.breakthrough_ratio
        ratios.append(r)
        forecasts.append(_at(f, sub))
    k = kernels.widest_frontage(np.array(ratios), p.breakthrough_ratio)
    t = np.arange(days.size)
    chosen = tuple(np.array([fc[i] for fc in forecasts])[k, t] for i in range(len(at)))
    return chosen, np.array(ratios)[k, t], widths[k]


def _ending(m: CeasefireModel, days: np.ndarray) -> np.ndarray:
    """What ending the ceasefire costs at each offset: the cost at once plus the dividend
    accrued since day 0, read with today's political misreading, moved by the political
    shocks so far and lowered while an incident's pretext lasts (``processes/shocks.py``)."""
    p, shocks = m.p, m.shocks
    ceasefire_days = m.day + days  # the ceasefire began on day 0
    tau = p.ceasefire_dividend_years
    if tau > 0:  # relief and recovery are a stock gained once: it approaches a ceiling
        dividend = p.ceasefire_dividend_km2_per_year * tau * -np.expm1(
            -ceasefire_days / 365.25 / tau)
    else:
        dividend = p.ceasefire_dividend_km2_per_year * ceasefire_days / 365.25
    return ((p.resumption_cost_km2 + dividend)
            * np.exp(m.russia.political_shock + shocks.political_shift)
            * (1.0 - shocks.relief(days)))


class _Today:
    """What a review reads of today's state, read once however many forecasts it makes
    (now and at later reviews, on the windows and on wider frontages): both lines and
    what stands on each set of windows (``_Front``), both sides' reserves, their growth
    by each offset, and the guarantor's credibility. Nothing changes the state during a
    review, so each forecast sees the same numbers it would read itself."""

    def __init__(self, m: CeasefireModel) -> None:
        f = m.forces
        self.m = m
        self.front = _Front.kept(m)
        # each unit's power, multiplied once for the reserves' and each side's readiness
        self.unit_power = f.unit_power()
        self.ru_reserve = f.power(f.mask(RU, Posture.RESERVE), self.unit_power)
        self.ua_reserve = f.power(f.mask(UA, Posture.RESERVE, present_on=m.day),
                                  self.unit_power)
        self._growth: dict[tuple[int, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._credibility: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def credibility(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The guarantor's credibility Russia expects by the offsets ``days``
        (``Guarantor.expected_credibility``) and the support to Ukraine's defence it
        expects from it (a factor), the same for every frontage."""
        key = days.tobytes()
        if key not in self._credibility:
            m, p = self.m, self.m.p
            credibility = m.guarantor.expected_credibility(days)
            support = 1.0 + credibility * p.guarantor_combat_support
            if m.guarantor.triggered:
                support = np.full_like(support, 1.0 + p.guarantor_combat_support)
            self._credibility[key] = credibility, support
        return self._credibility[key]

    def growth(self, side: int, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``_growth`` of a side by the offsets ``days``."""
        key = (side, days.tobytes())
        if key not in self._growth:
            self._growth[key] = _growth(self.m, side, days, self.unit_power)
        return self._growth[key]

    def standing(self, windows: Windows) -> _Standing:
        """What stands on each of ``windows``' frontages today (the reserves apart)."""
        return self.front.standing(windows)


class _Front:
    """What a review reads of both lines: the masks of the units holding them, where they
    stand along the front, the gap between the lines, and what stands on each set of
    windows (``_Standing``). The reserves are not in it.

    It is kept from one review to the next (``kept``, ``Lines.front_kept``) while
    everything it reads is the same to the bit (``_front_reads``). In a quiet ceasefire
    what changes between reviews is mostly in the depots and the reserves: units formed
    from recruits, and their readiness recovering. Where only the works have changed
    (dug behind the line, decaying in the zone), what stands on each set of windows is
    read again from the lines it kept (``_with_works``)."""

    def __init__(self, m: CeasefireModel, reads: tuple[tuple, tuple, tuple]) -> None:
        f = m.forces
        self.m = m
        self.reads = reads
        self._lines_of: dict[int, tuple[Windows, _Standing]] = {}  # see ``_with_works``
        ru_line = f.line_mask(RU)
        spread, facing = balance.ua_line_masks(m)
        # the reserves sent to meet the main effort: units not in reserve, whose numbers
        # the reads hold (the masks do not grow with units formed since)
        self.facing_power = f.power(facing)
        self.ahead = springboard.ahead_km(m)  # massing staged inside the zone: a shorter way
        # both lines' units along the front, for what stands on each set of windows
        self.along = m.lines.units_along((ru_line, spread), keep=True)
        # the gap between the lines on each sector (km; 0 where Ukraine holds no line)
        lines, th = m.lines, m.theatre
        between = lines.ua_depth - lines.ru_depth
        self.held = np.isfinite(between)
        self.gap = np.where(self.held, np.maximum(between - th.cell_km, 0.0) - self.ahead, 0.0)
        self._standing: dict[int, tuple[Windows, _Standing]] = {}

    @classmethod
    def kept(cls, m: CeasefireModel) -> _Front:
        """The last review's reading of the front if what it read is the same to the bit,
        else a new one."""
        reads = _front_reads(m)
        last = m.lines.front_kept
        if (isinstance(last, cls) and last.m is m and last.reads[1] == reads[1]
                and all(a is b for a, b in zip(last.reads[0], reads[0], strict=True))):
            if last.reads[2] == reads[2]:
                return last
            front = last._with_works(reads)
        else:
            front = cls(m, reads)
        m.lines.front_kept = front
        return front

    def _with_works(self, reads: tuple[tuple, tuple, tuple]) -> _Front:
        """The same lines, with works that have changed: the units, their masks and the
        gap are this reading's; what stands on each set of windows is read again, its
        lines taken from the last standing on those windows read from these lines
        (``_Standing.lines_from``), however many times the works changed since."""
        front = copy.copy(self)
        front.reads = reads
        lines_of = {**self._lines_of, **self._standing}
        if len(lines_of) > STANDING_KEPT:
            lines_of = self._standing
        front._lines_of, front._standing = lines_of, {}
        return front

    def standing(self, windows: Windows) -> _Standing:
        """What stands on each of ``windows``' frontages (kept for the windows)."""
        kept = self._standing.get(id(windows))
        if kept is None or kept[0] is not windows:
            if len(self._standing) >= STANDING_KEPT:
                self._standing.clear()
            lines = self._lines_of.get(id(windows))
            lines = lines[1] if lines is not None and lines[0] is windows else None
            kept = self._standing[id(windows)] = (windows, _Standing(self, windows, lines))
        return kept[1]


def _front_reads(m: CeasefireModel) -> tuple[tuple, tuple, tuple]:
    """Everything a ``_Front`` and its ``_Standing`` read of the state: the objects
    (compared by identity: new ones whenever they change), the numbers of the lines and
    those of the works (compared by value, the arrays as bytes). Every column of every
    unit not in reserve (the lines, the massed main effort, the reserves sent to meet
    it), the main effort, the phase and both lines' edges; the works of Ukraine's
    defended zone and those left in the zone. A unit formed since (in reserve) leaves it
    as it was: nothing in it is a mask of every unit, which would grow with it."""
    f, th, lines, effort = m.forces, m.theatre, m.lines, m.effort
    zone = m.fortification.zone
    rows = np.flatnonzero(f.posture[: f.n] != _RESERVE)
    objects = (m.p, lines.windows, lines.sector_spans, zone, th.dmz_cells, th.fort_flat)
    numbers = (
        m.phase, effort.window, effort.sector, effort.frontage_km, th.cell_km,
        lines.ua_depth.tobytes(), lines.ru_depth.tobytes(),
        b"".join(getattr(f, c)[rows].tobytes() for c in f.COLUMNS), rows.tobytes())
    works = (th.fort_flat[zone[0]].tobytes(), th.fort_flat[th.dmz_cells].tobytes())
    return objects, numbers, works


class _Standing:
    """Today, on each window's frontage: Russia's power (its line there and its massed
    main effort; its reserves, which stand anywhere, are added by ``_Forecast``),
    Ukraine's line (and the reserves sent to meet the main effort), the works behind it,
    the works left in the zone before it, and the gap between the lines (km, the window's
    frontage-weighted mean over the sectors). ``lines_from``: a standing on the same
    windows of the same lines, read before the works changed; its numbers of the lines
    are taken as they are."""

    def __init__(self, front: _Front, windows: Windows,
                 lines_from: _Standing | None = None) -> None:
        m = front.m
        th = m.theatre
        if lines_from is None:
            self._read_lines(front, windows)
        else:
            self.ru_front, self.ua_line = lines_from.ru_front, lines_from.ua_line
            self.gap = lines_from.gap
        cells, _, weights = m.fortification.zone
        on = windows.spans
        self.fort = th.span_means(cells, th.fort_flat, on, weights, fallback=lambda: _mean_over(
            windows.weights, m.fortification.sector_fortification()))
        self.left = th.span_means(th.dmz_cells, th.fort_flat, on)
        # ``_ground`` of these numbers, by the offsets, the coverage and the phase
        self.ground: dict[tuple[float, bool, bytes], tuple[np.ndarray, ...]] = {}

    def _read_lines(self, front: _Front, windows: Windows) -> None:
        """Both lines' power on each window's frontage (the main effort massed on its
        own, and the reserves sent to meet it), and the gap between the lines."""
        m = front.m
        f, lines = m.forces, m.lines
        main, main_km = m.effort.window, m.effort.frontage_km
        ru_on, ua_on = front.along.on(windows.spans)
        ru_line, ua_line = ru_on.sum(axis=0), ua_on.sum(axis=0)
        massed = np.zeros_like(ru_line)
        if main >= 0:  # the main effort stands on its (widened) window's frontage
            main_at = float(lines.windows_at(main_km).centre[main])
            overlap = windows.overlap(main, main_km, main_at)
            massed = overlap * f.attack_power()
            # reserves sent to meet the main effort stand on its frontage
            ua_line = ua_line + overlap * front.facing_power
        self.ru_front = ru_line + massed
        self.ua_line = ua_line
        self.gap = _mean_over(windows.weights * front.held[None, :], front.gap)


class _Forecast:
    """Both sides' power on each window's frontage at each offset (shape (T, W)): the
    units standing on it, against the works and towns of the ground behind it; only the
    gap between the lines, kept per sector, is read as the window's frontage-weighted
    mean over the sectors."""

    def __init__(self, today: _Today, days: np.ndarray,
                 windows: Windows | None = None) -> None:
        m = today.m
        windows = m.lines.windows if windows is None else windows  # or a widened frontage
        on = today.standing(windows)
        ru_grow, ua_grow = today.growth(RU, days), today.growth(UA, days)
        ru = on.ru_front + today.ru_reserve
        self.attack = ru[None, :] * ru_grow[0][:, None] + ru_grow[1][:, None]
        self.fort, self.crossing, share, mult = _ground(m, on, days, windows)
        self.credibility, support = today.credibility(days)
        ua_line = on.ua_line[None, :] * ua_grow[0][:, None]
        ua_res = today.ua_reserve * ua_grow[0][:, None] + ua_grow[1][:, None]
        self.defence = (ua_line + ua_res * share) * mult * support[:, None]
        self.reinforcement = ua_res * (1.0 - share) * mult * support[:, None]


def _ground(m: CeasefireModel, on: _Standing, days: np.ndarray, windows: Windows
            ) -> tuple[np.ndarray, ...]:
    """What the ground of each window holds at each offset: Ukraine's works (dug on
    where it mans its line), the days Russia needs to cross the gap to it (slowed by the
    works left in the zone), the share of Ukraine's reserves that reach the line in the
    warning time, and the defender's multiplier (posture x terrain). Each is (T, W).

    They are kept with the standing they are read from (``_Standing.ground``, by the
    offsets, the coverage and the phase), and for the windows (``Lines.ground_kept``)
    while every number they are made of is the same to the bit: the works, the line's
    being manned, the zone's works and the gap on the windows, the offsets, the
    coverage, the phase's withdrawal and the parameters; from one review of a quiet
    ceasefire to the next most of them are."""
    p = m.p
    zone, coverage, withdrawing = m.fortification.zone, m.monitoring.coverage, (
        m.phase == "withdrawal")
    mine = (coverage, withdrawing, days.tobytes())
    got = on.ground.get(mine)  # the same standing: the same works, line, zone and gap
    if got is not None:
        return got
    manned = on.ua_line > 0
    key = (coverage, withdrawing, days.tobytes(), on.fort.tobytes(), manned.tobytes(),
           on.left.tobytes(), on.gap.tobytes())
    kept = m.lines.ground_kept.get(id(windows))
    if (kept is not None and kept[0] is windows and kept[1] is p and kept[2] is zone
            and kept[3] == key):
        on.ground[mine] = kept[4]
        return kept[4]
    t = days[:, None]
    fort = np.minimum(on.fort[None, :] + np.where(manned, t / p.dig_days_to_full, 0.0), 1.0)
    obstacles = np.maximum(on.left[None, :] - t / p.fortification_decay_days, 0.0)
    crossing = on.gap[None, :] * (1.0 + p.obstacle_delay_factor * obstacles) / (
        p.dmz_crossing_km_per_day)
    share = kernels.reserve_share(p.warning_model, coverage, p.concentration_days, crossing,
                                  p.ua_alert_response_days)
    got = (fort, crossing, share, _multiplier(m, fort, windows))
    m.lines.ground_kept[id(windows)] = (windows, p, zone, key, got)
    on.ground[mine] = got
    return got


def _mean_over(w: np.ndarray, per_sector: np.ndarray) -> np.ndarray:
    """Each window's mean of a per-sector quantity, weighted by its frontage ``w``."""
    return w @ per_sector / np.maximum(w.sum(axis=1), 1e-9)


def _growth(m: CeasefireModel, side: int, days: np.ndarray,
            unit_power: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """How a side's power grows by each offset: (factor on today's power from readiness,
    power added by recruits), from the same rates and caps as regeneration
    (``unit_power``: each unit's power today, ``ForceTable.unit_power``, if the caller
    has it)."""
    p, f, regen = m.p, m.forces, m.regeneration
    if unit_power is None:
        unit_power = f.unit_power()
    mask = f.of_side(side)
    total = f.view("strength")[mask].sum()
    r_now = float(unit_power[mask].sum() / total) if total > 0 else 1.0
    boost = m.guarantor.arms_support() if side == UA else 0.0
    r_later = np.minimum(r_now + days * (1.0 + boost) / p.readiness_recovery_days, 1.0)
    cap = regen.cap(side)
    have = float(total) + float(regen.depot[side])  # ``total_personnel``, summed above
    added = np.minimum(regen.daily_rate(side, expected=True) * days, max(cap - have, 0.0))
    added = np.maximum(added, -have)
    return r_later / max(r_now, 1e-9), added * r_later


def _multiplier(m: CeasefireModel, fort: np.ndarray, windows: Windows) -> np.ndarray:
    """Ukraine's posture x terrain multiplier on each window, at forecast works."""
    p = m.p
    mult = kernels.posture_multiplier(fort, p.hasty_multiplier, p.prepared_multiplier,
                                      p.fortified_multiplier)
    if m.phase == "withdrawal":
        mult = np.minimum(mult, p.withdrawal_multiplier)
    return mult * _terrain(m, windows)[None, :]


def _terrain(m: CeasefireModel, windows: Windows) -> np.ndarray:
    """The terrain multiplier on each window: the towns behind its frontage, in Ukraine's
    defended zone. Towns do not move, so it changes only with the zone (a new tuple when
    taken again) and the windows (new when the theatre is cut again): it is kept for
    them, and for the parameters, between reviews."""
    p, zone, th = m.p, m.fortification.zone, m.theatre

    def make() -> np.ndarray:
        cells, sectors, weights = zone
        urban = th.span_means(cells, th.urban_flat, windows.spans, weights,
                              fallback=_mean_over(windows.weights, th.sector_means(
                                  cells, sectors, th.urban_flat, weights)))
        return kernels.terrain_multiplier(urban, p.urban_multiplier)
    return m.fortification.terrain((windows, zone, p, th.urban_flat), make)
