"""Command agents: Russia decides when and where to resume, Ukraine reacts, the guarantor
responds. They are non-spatial Mesa agents; their decisions move ForceUnits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import kernels
from dmzsim.model.forces import RU, UA, Posture
from mesa import Agent

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

HOLD, CONCENTRATING = "hold", "concentrating"


class RussiaCommand(Agent):
    """Chooses an axis, masses reserves there, and resumes when the odds look good.

    The decision compares the force ratio it expects on each axis — its line units plus
    all reserves, against Ukraine's line, the reserves Ukraine can bring up in the
    warning time, the defender's posture and works, and the guarantor's expected help —
    with the ratio needed to break through. Its reading of the ratio is noisy (bounded
    rationality). Nothing here knows which sequencing arm is being run.
    """

    def __init__(self, model: CeasefireModel) -> None:
        super().__init__(model)
        self.state = HOLD
        self.main_axis = -1
        self.ready_day = 0
        self.last_estimate = np.zeros(model.theatre.n_axes)

    def expected_ratio(self, noise: np.ndarray) -> np.ndarray:
        """Russia's noisy estimate of the ratio it would reach on each axis."""
        m, p = self.model, self.model.p
        f, day = m.forces, m.day
        ru_line = f.power_by_axis(f.mask(RU, Posture.DEFEND, Posture.ATTACK,
                                         Posture.CONCENTRATE), m.theatre.n_axes)
        ru_reserve = m.reserve_power(RU)
        ua_line = f.power_by_axis(f.mask(UA, Posture.DEFEND, Posture.WITHDRAW), m.theatre.n_axes)
        warning = m.crossing_days() + kernels.detection_prob(
            m.coverage, p.concentration_days) * p.concentration_days
        share = np.minimum(1.0, warning / p.ua_alert_response_days)
        ua_expected = ua_line + m.reserve_power(UA, present_on=day) * share
        support = 1.0 + m.guarantor.expected_support()
        denom = np.maximum(ua_expected * m.defence_multiplier() * support, 1e-9)
        ratio = (ru_line + ru_reserve) / denom * np.exp(noise)
        return np.where(m.has_line(), ratio, 0.0)  # no ground left there: no objective

    def step(self) -> None:
        """Draw today's estimate noise (every day, so the stream does not depend on the
        phase), then review: at war, where to send reserves; in a ceasefire, whether to
        mass and resume."""
        m = self.model
        noise = m.streams.decisions.normal(0.0, m.p.decision_noise, m.theatre.n_axes)
        if m.at_war:
            self._wartime_review(noise)
        elif m.in_ceasefire:
            self._ceasefire_review(noise)

    def _ceasefire_review(self, noise: np.ndarray) -> None:
        m, p = self.model, self.model.p
        if self.state == CONCENTRATING:
            if m.day >= self.ready_day:
                est = self.expected_ratio(noise)[self.main_axis]
                if est >= p.breakthrough_ratio:
                    m.resume_war(self.main_axis, est)
                else:
                    self.state = HOLD
                    m.stand_down(self.main_axis)
            return
        if m.day % p.review_interval_days:
            return
        est = self.expected_ratio(noise)
        self.last_estimate = est
        best = int(np.argmax(est))
        if est[best] >= p.breakthrough_ratio and m.reserve_power(RU) > 0:
            self.state, self.main_axis = CONCENTRATING, best
            self.ready_day = m.day + p.concentration_days
            m.concentrate(RU, best, self.ready_day)

    def _wartime_review(self, noise: np.ndarray) -> None:
        """At war: every review, put the reserves where the odds are best."""
        m, p = self.model, self.model.p
        if m.day % p.review_interval_days:
            return
        est = self.expected_ratio(noise)
        self.main_axis = int(np.argmax(est))
        if m.reserve_power(RU) > 0:
            m.concentrate(RU, self.main_axis, m.day + p.concentration_days,
                          posture=Posture.ATTACK)


class UkraineCommand(Agent):
    """Raises the alert on warning and sends reserves to the threatened axis.

    At war, when a breakthrough is under way and no reserves are left, it thins its
    calmest axis to shore up the threatened one (economy of force): one unit per review.
    """

    def __init__(self, model: CeasefireModel) -> None:
        super().__init__(model)
        self.alert = False

    def warn(self, axis: int) -> None:
        """A build-up or an attack was seen on ``axis``: commit the reserves there."""
        self.alert = True
        m = self.model
        m.concentrate(UA, axis, m.day + m.p.ua_alert_response_days, posture=Posture.DEFEND)

    def step(self) -> None:
        """At war, on review days: reinforce the axis with the worst ratio, and thin the
        calmest axis if no reserves are left and a breakthrough is under way."""
        m = self.model
        if not m.at_war or m.day % m.p.review_interval_days:
            return
        ratio = m.current_ratio()
        worst = int(np.argmax(ratio))
        if ratio[worst] <= 1.0:
            return
        had_reserves = m.reserve_power(UA) > 0
        self.warn(worst)
        if not had_reserves and ratio[worst] >= m.p.breakthrough_ratio:
            self.shift_from_calmest(worst, ratio)

    def shift_from_calmest(self, threatened: int, ratio: np.ndarray) -> int:
        """Move one line unit from the calmest axis to ``threatened``.

        A donor must hold its own line comfortably even without the unit it gives:
        its ratio, scaled up for the power it loses, stays below 1, and it keeps at
        least one unit. Returns the donor axis, or -1 if no axis can spare a unit. The
        unit counts on the new axis after the reserves' response time.
        """
        m = self.model
        f = m.forces
        axis = f.view("axis")
        line = f.mask(UA, Posture.DEFEND, present_on=m.day) & (axis >= 0)
        power = f.view("strength") * f.view("readiness")
        n = m.theatre.n_axes
        units = np.bincount(axis[line], minlength=n)
        total = f.power_by_axis(line, n)
        candidates = (ratio < 1.0) & (units >= 2) & m.has_line()
        candidates[threatened] = False
        for donor in np.flatnonzero(candidates)[np.argsort(ratio[candidates], kind="stable")]:
            rows = np.flatnonzero(line & (axis == donor))
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
    it; a reassurance force on the ground raises it (a costly signal).
    """

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
        p = self.model.p
        return kernels.effective_credibility(
            p.guarantee_credibility, self.model.day - self.refresh_day,
            p.guarantee_half_life_days, p.reassurance_force_personnel,
            p.tripwire_credibility_per_10k)

    def expected_support(self) -> float:
        """Combat power Russia expects the guarantor to add, as a fraction."""
        if self.triggered:
            return self.model.p.guarantor_combat_support
        return self.credibility() * self.model.p.guarantor_combat_support

    def combat_support(self) -> float:
        """Defensive power it actually adds, as a fraction: only once it has come in
        against the offensive (Russia's estimate uses ``expected_support``)."""
        return self.model.p.guarantor_combat_support if self.triggered else 0.0

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
