"""Command agents: Russia decides when and where to resume, Ukraine reacts, the guarantor
responds. They are non-spatial Mesa agents; their decisions move ForceUnits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import balance, kernels
from dmzsim.model.agreement import NEVER
from dmzsim.model.forces import RU, UA, Posture
from dmzsim.model.processes import decision
from dmzsim.model.processes.decision import Estimate
from mesa import Agent

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

HOLD, CONCENTRATING = "hold", "concentrating"
NOISE_DRAWS = 64  # misreadings drawn a day, one per window of the front (they wrap)

#: How Russia reads its odds at a review: ``rule(model, noise, lookahead=..., window=...)``
#: gives the estimate its state machine acts on (``decision.estimate``).
DecisionRule = Callable[..., Estimate]


class RussiaCommand(Agent):
    """Chooses a sector, masses reserves there, and resumes when resuming is worth more
    than keeping the ceasefire and than resuming later (``model/processes/decision.py``).

    Its reading of the odds is noisy (bounded rationality). Nothing here knows which
    sequencing arm is being run. ``rule`` is how it reads the odds; the state machine
    (hold, mass, resume or stand down) acts on whatever the rule estimates, so another
    rule can be tried without copying it.
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "concentration_days", "decision_noise", "political_noise", "review_interval_days",
        "review_jitter_days",
    )
    STEP = 6

    def __init__(self, model: CeasefireModel, rule: DecisionRule = decision.estimate) -> None:
        super().__init__(model)
        self.rule = rule
        self.state = HOLD
        self.ready_day = 0
        self.draws = np.zeros(NOISE_DRAWS)  # today's misreading of each window
        self.political_shock = 0.0  # today's log misreading of the cost of ending it
        self.last: Estimate | None = None  # the latest review's estimate (for the record)
        self.early = False  # a shock brought the next review forward to today
        self.next_review = model.p.review_interval_days  # off the lattice (jitter, shocks)
        self.jitter = 0  # today's draw of the slip of the next review

    def expected_ratio(self, noise: np.ndarray) -> np.ndarray:
        """Its expected ratio on every window today (``model/processes/decision.py``)."""
        return decision.expected_ratio(self.model, noise)

    def step(self) -> None:
        """On a review day, draw the review's misreading (the same number of draws
        whatever the phase or the partition, one per window of the front,
        ``decision.misreading``) and the slip of the next review, then review:
        at war, where to send reserves; in a ceasefire, whether to mass and resume.
        (The reference mode, ``CeasefireModel.waiting_times`` off, draws them every day.)"""
        m = self.model
        if not m.waiting_times:
            noise = self._draw()
        if not self._reviews_today():
            return
        if m.waiting_times:
            noise = self._draw()
        self.political_shock = float(noise[-1]) * m.p.political_noise
        self.draws = noise[:-1] * m.p.decision_noise
        noise = decision.misreading(self.draws, m.lines.windows.n)
        if m.at_war:
            self._wartime_review(noise)
        else:
            self._ceasefire_review(noise)

    def _draw(self) -> np.ndarray:
        """A review's standard normal draws (misreading of each window, then of the cost
        of ending the ceasefire) and the slip of the next review."""
        m = self.model
        noise = m.streams.decisions.normal(0.0, 1.0, NOISE_DRAWS + 1)
        j = m.p.review_jitter_days
        self.jitter = int(m.streams.reviews.integers(-j, j + 1)) if j else 0
        return noise

    def quiet_today(self) -> bool:
        """Whether it neither reviews nor masses today (``step`` would do nothing)."""
        return self.state == HOLD and not self.model.at_war and not self._reviews_today()

    def quiet_days_ahead(self, limit: int) -> int:
        """How many of the next ``limit`` days it neither reviews nor masses
        (``quiet_today`` on each): holding in a ceasefire, until its next review."""
        if not self.holding_review_ahead():
            return 0
        first = self.model.day + 1
        return min(limit, self._next_hold_review(first) - first)

    def holding_review_ahead(self) -> bool:
        """Whether it holds in a ceasefire and no shock has brought a review forward:
        then the next day it is not quiet is a holding review's, and a shock before it
        finds it holding (either day may end a stretch of quiet days)."""
        m = self.model
        return self.state == HOLD and not m.at_war and m.in_ceasefire and not self.early

    def _reviews_today(self) -> bool:
        """Whether a review falls today: at war or holding, every ``review_interval_days``;
        while massing, on the day the massing is done."""
        m, p = self.model, self.model.p
        if m.at_war:
            return m.day % p.review_interval_days == 0
        if not m.in_ceasefire:
            return False
        if self.state == CONCENTRATING:
            return m.day >= self.ready_day
        return self._hold_review_due()

    def _hold_review_due(self) -> bool:
        """Holding in a ceasefire: on the fortnightly lattice, unless reviews slip
        (``review_jitter_days``) or a shock brought one forward (``review_early``)."""
        return self.early or self.model.day >= self._next_hold_review(self.model.day)

    def _next_hold_review(self, day: int) -> int:
        """The first day from ``day`` on which a holding review falls (unless a shock
        brings one forward): ``next_review`` if reviews slip, else the next day of the
        fortnightly lattice."""
        p = self.model.p
        if p.review_jitter_days:
            return self.next_review
        return -(-day // p.review_interval_days) * p.review_interval_days

    def review_early(self) -> None:
        """Something changed (``processes/shocks.py``): if holding, review today."""
        if self.state == HOLD:
            self.early = True

    def _ceasefire_review(self, noise: np.ndarray) -> None:
        m, p = self.model, self.model.p
        if self.state == CONCENTRATING:
            if m.day >= self.ready_day:  # it looks again at the window it massed against
                j = m.effort.window
                est = self._review(noise, lookahead=False, window=j)
                if est.value_now > 0.0:
                    m.resume_war(j, float(est.ratio[0]), _frontage(est))
                else:
                    self.state = HOLD
                    self.stand_down()
            return
        if not self._hold_review_due():
            return
        self.early = False
        self.next_review = m.day + max(p.review_interval_days + self.jitter, 1)
        est = self._review(noise)
        if est.resume and m.forces.reserve_power(RU) > 0:
            self.state = CONCENTRATING
            m.effort.aim(int(est.window[0]), _frontage(est))
            self.ready_day = m.day + p.concentration_days
            m.movement.send_reserves(RU, m.effort.sector, self.ready_day)

    def _review(self, noise: np.ndarray, lookahead: bool = True,
                window: int | None = None) -> Estimate:
        """Today's estimate by the rule, kept for the record."""
        est = self.rule(self.model, noise, lookahead=lookahead, window=window)
        self.last = est
        self.model.record.review = est
        return est

    def stand_down(self) -> None:
        """Call off the build-up: the massed units go back to reserve, and so do
        Ukraine's reserves sent to meet them; the main effort is dropped.

        Back to reserve, not left on the sector as a garrison: a garrison would stand
        spread along the sector, so how much of it still faced the ground it massed
        against would be the partition's doing."""
        m = self.model
        f = m.forces
        for r in np.flatnonzero(f.mask(RU, Posture.CONCENTRATE)):
            m.units[int(r)].order(Posture.RESERVE, -1, m.day)
        m.monitoring.sectors[m.effort.sector].reset_buildup()
        m.ukraine.stand_down()
        m.effort.aim(-1)

    def _wartime_review(self, noise: np.ndarray) -> None:
        """At war: every review, put the reserves where the odds are best."""
        m, p = self.model, self.model.p
        if m.day % p.review_interval_days:
            return
        effort = m.effort
        j, frontage = effort.window, None
        if j < 0 or balance.current_ratio(m)[effort.sector] < 1.0:  # reinforce success;
            est = self.rule(m, noise, lookahead=False)  # move if it stalled
            j, frontage = int(est.window[0]), _frontage(est)
        if j != effort.window:
            f = m.forces
            for r in np.flatnonzero(f.mask(RU, Posture.ATTACK)):  # spent: back to refit
                m.units[int(r)].order(Posture.RESERVE, -1, m.day)
            effort.open_breach(j, frontage)
        if m.forces.reserve_power(RU) > 0:
            m.movement.send_reserves(RU, effort.sector, m.day + p.concentration_days,
                                     posture=Posture.ATTACK)


def _frontage(est: Estimate) -> float | None:
    """The frontage (km) an estimate has the main effort strike today (None: a rule that
    does not choose one leaves it as it is)."""
    return None if est.frontage is None else float(est.frontage[0])


class UkraineCommand(Agent):
    """Raises the alert on warning and sends reserves to the threatened sector; stands
    them down again when the build-up there disperses.

    At war, when a breakthrough is under way and no reserves are left, it thins its
    calmest sector to shore up the threatened one (economy of force): one unit per review.
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "breakthrough_ratio", "review_interval_days", "ua_alert_response_days",
        "warning_model",
    )
    STEP = 6

    def __init__(self, model: CeasefireModel) -> None:
        super().__init__(model)
        self.alert = False

    def warn(self, sector: int) -> None:
        """A build-up or an attack was seen on ``sector``: commit the reserves there.

        They all arrive after ``ua_alert_response_days``, or, with the continuous warning
        model, each after its own share of an exponential time of that mean
        (``kernels.reserve_delays``): the staff estimate's ``kernels.reserve_share``."""
        self.alert = True
        m = self.model
        f = m.forces
        rows = np.flatnonzero(f.mask(UA, Posture.RESERVE))
        if m.p.warning_model == "continuous":
            delays = kernels.reserve_delays(f.strength[rows] * f.readiness[rows],
                                            m.p.ua_alert_response_days)
            for r, d in zip(rows, delays, strict=True):
                m.units[int(r)].order(Posture.DEFEND, sector, m.day + int(d))
        else:
            m.movement.send_reserves(UA, sector, m.day + m.p.ua_alert_response_days,
                                     posture=Posture.DEFEND)
        f.committed[rows] = True

    def stand_down(self) -> None:
        """The threat passed: committed reserves go back to reserve, the alert ends."""
        m = self.model
        f = m.forces
        for r in np.flatnonzero(f.view("committed") & f.view("alive")):
            m.units[int(r)].order(Posture.RESERVE, -1, m.day + m.p.ua_alert_response_days)
        f.committed[: f.n] = False
        self.alert = False

    def step(self) -> None:
        """At war, on review days: send reserves where the line is outmatched, and thin
        the calmest sector if none are left and a breakthrough is under way."""
        m = self.model
        if not m.at_war or m.day % m.p.review_interval_days:
            return
        ratio = balance.current_ratio(m)
        worst = int(np.argmax(ratio))
        if ratio[worst] <= 1.0:
            return
        had_reserves = m.forces.reserve_power(UA) > 0
        self.alert = True
        self.reinforce()
        if not had_reserves and ratio[worst] >= m.p.breakthrough_ratio:
            self.shift_from_calmest(worst, ratio)

    def reinforce(self) -> None:
        """Reserves, strongest first, each to the sector where Russia's odds are worst
        for Ukraine, until no sector is outmatched (ratio above 1) or none are left."""
        m = self.model
        f = m.forces
        ru, ua, mult = balance.frontage_power(m)
        rows = np.flatnonzero(f.mask(UA, Posture.RESERVE))
        power = f.strength[rows] * f.readiness[rows]
        for i in np.argsort(-power, kind="stable"):
            ratio = balance.odds(m, ru, ua)
            k = int(np.argmax(ratio))
            if ratio[k] <= 1.0:
                break
            r = int(rows[i])
            m.units[r].order(Posture.DEFEND, k, m.day + m.p.ua_alert_response_days)
            f.committed[r] = True
            if k == m.effort.sector:  # it goes to meet the main effort, on its frontage
                ua[k] += power[i] * mult[k]
            else:
                ua += m.lines.frontage[:, k] * power[i] * mult[k]

    def shift_from_calmest(self, threatened: int, ratio: np.ndarray) -> int:
        """Move one line unit from the calmest sector to ``threatened``.

        A donor must hold its own line comfortably even without the unit it gives:
        its ratio, scaled up for the power it loses, stays below 1, and it keeps at
        least one unit. Returns the donor sector, or -1 if none can spare a unit. The
        unit counts on the new sector after the reserves' response time.
        """
        m = self.model
        f = m.forces
        sector = f.view("sector")
        line = f.mask(UA, Posture.DEFEND, present_on=m.day) & (sector >= 0)
        power = f.view("strength") * f.view("readiness")
        n = m.theatre.n_sectors
        units = np.bincount(sector[line], minlength=n)
        total = f.power_by_sector(line, n)
        candidates = (ratio < 1.0) & (units >= 2) & m.lines.has_line()
        candidates[threatened] = False
        for donor in np.flatnonzero(candidates)[np.argsort(ratio[candidates], kind="stable")]:
            rows = np.flatnonzero(line & (sector == donor))
            row = int(rows[np.argmin(power[rows])])  # the smallest unit that helps
            left = total[donor] - power[row]
            if ratio[donor] * total[donor] < left:  # still below 1 once it has gone
                m.units[row].order(Posture.DEFEND, threatened,
                                   m.day + m.p.ua_alert_response_days)
                return int(donor)
        return -1


class Guarantor(Agent):
    """Responds to detected violations and to an attack with probability = credibility.

    Credibility halves every ``guarantee_half_life_days`` unless a response refreshes
    it; a reassurance force on the ground raises it (a costly signal). It is the one owner
    of its credibility: what it does today (``credibility``) and what Russia expects of it
    at each later review (``expected_credibility``) come from the same rule.
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "arms_support", "guarantee_credibility", "guarantee_delivery_prob",
        "guarantee_half_life_days", "guarantor_combat_support",
        "reassurance_force_personnel", "tripwire_credibility_per_10k",
    )
    STEP = 8

    def __init__(self, model: CeasefireModel, delivered: bool, attack_draw: float) -> None:
        super().__init__(model)
        self.delivered = delivered
        self._attack_draw = attack_draw  # drawn up front: common random numbers across arms
        self.in_force = False
        self.in_force_day: float = np.nan
        self.refresh_day = 0
        self.responses = 0
        self.triggered = False

    def enter_into_force(self) -> None:
        """The guarantees take effect today; credibility decays from here."""
        self.in_force, self.in_force_day = True, self.model.day
        self.refresh_day = self.model.day

    def credibility(self) -> float:
        """Probability of answering today: 0 until in force, then halving with the days
        since the last response, raised by a reassurance force on the ground."""
        if not self.in_force:
            return 0.0
        return self._credibility_after(self.model.day - self.refresh_day)

    def expected_credibility(self, days: np.ndarray) -> np.ndarray:
        """The chance of an answer Russia expects at each offset ``days`` from today:
        decaying if in force (no response assumed meanwhile); before that, the delivery
        probability times its credibility when fresh from the day the deal promises it,
        0 before that day or once it has passed without them."""
        m = self.model
        if self.in_force:
            since = m.day - self.refresh_day + days
            return np.array([self._credibility_after(float(d)) for d in since])
        promised = m.timeline.promised_guarantees_day
        if promised == NEVER or m.day >= promised:
            return np.zeros(days.size)
        fresh = self._credibility_after(0.0)
        return np.where(m.day + days >= promised, m.p.guarantee_delivery_prob * fresh, 0.0)

    def _credibility_after(self, days_since_refresh: float) -> float:
        p = self.model.p
        c = kernels.effective_credibility(
            p.guarantee_credibility, days_since_refresh, p.guarantee_half_life_days,
            p.reassurance_force_personnel, p.tripwire_credibility_per_10k)
        if self.model.shocks.resolve:  # its resolve has changed (processes/shocks.py)
            c = min(c * self.model.shocks.credibility_factor(), 1.0)
        return c

    def arms_support(self) -> float:
        """The boost to Ukraine's recruitment and readiness recovery from arms support,
        as a fraction: ``arms_support`` once the guarantees are in force, else 0."""
        return self.model.p.arms_support if self.in_force else 0.0

    def expected_support(self) -> float:
        """Combat power Russia expects the guarantor to add, as a fraction."""
        if self.triggered:
            return self.model.p.guarantor_combat_support
        return self.credibility() * self.model.p.guarantor_combat_support

    def combat_support(self) -> float:
        """Defensive power it actually adds, as a fraction: only once it has come in
        against the offensive (Russia's estimate uses ``expected_support``)."""
        return self.model.p.guarantor_combat_support if self.triggered else 0.0

    def step(self) -> None:
        """Answer today's detected violations (step 8)."""
        self.respond_to_violations(self.model.monitoring.detected_today)

    def respond_to_violations(self, detected: int) -> None:
        """Each detected violation is answered with probability = credibility."""
        if not self.in_force or detected == 0:
            return
        answered = int(self.model.streams.responses.binomial(detected, self.credibility()))
        if answered:
            self.responses += answered
            self.refresh_day = self.model.day

    def respond_to_attack(self) -> None:
        """The offensive resumed: does the guarantor come in?"""
        self.triggered = self.in_force and bool(self._attack_draw < self.credibility())
