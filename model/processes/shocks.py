"""Step 6 (first): exogenous shocks in a ceasefire, from their own random stream.

Three kinds of event the model's own processes cannot produce arrive at rates per year
(all 0 by default, which switches them off):

* **political** (``political_shock_per_year``): a change of leadership or of the politics
  at home moves, for good, what ending the ceasefire costs Russia (a log factor of s.d.
  ``political_shock_sd``, which accumulates over shocks) and, the other way, what Russia
  keeps in the theatre (its cap, a log factor of s.d. ``political_shock_force_sd``: a
  change that cheapens war also raises the force it will hold);
* **guarantor** (``guarantor_shock_per_year``): the guarantor's resolve changes, for good
  (a log factor of s.d. ``guarantor_shock_sd`` on its credibility, capped at 1);
* **incident** (``zone_incident_per_year``): a clash at the line that may escalate: it
  serves as a pretext that waives ``incident_cost_relief`` of the cost of ending the
  ceasefire for as long as a build-up takes (``concentration_days``).

Each shock brings Russia's next review forward to the day: the staff looks again when
something has changed.

Each kind keeps the day of its next shock, drawn as a waiting time (geometric, with the
day's chance of a Poisson arrival: the same law as a draw every day) from the ``shocks``
stream, and its size is drawn when it comes. The clock runs whatever the phase or the arm
(a shock at war is drawn and dropped), so common random numbers still pair the arms, and
the days between shocks need no draw at all (``CeasefireModel``'s quiet days). The
model's reference mode (``CeasefireModel.waiting_times`` off) draws every day instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

KINDS = ("political", "guarantor", "incident")
NO_SHOCK = np.iinfo(np.int64).max  # the next day of a kind that never comes (rate 0)


class Shocks:
    """The shocks so far and what they leave behind.

    State: ``political_shift`` (log factor on Russia's cost of ending the ceasefire),
    ``force_shift`` (log factor on Russia's theatre cap),
    ``resolve`` (log factor on the guarantor's credibility), the last day a pretext from
    an incident lasts (``pretext_until``) and the count of each kind.
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "concentration_days", "guarantor_shock_per_year", "guarantor_shock_sd",
        "incident_cost_relief", "political_shock_force_sd", "political_shock_per_year",
        "political_shock_sd",
        "zone_incident_per_year",
    )
    STEP = 6

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.political_shift = 0.0
        self.force_shift = 0.0
        self.resolve = 0.0
        self.pretext_until = -1
        self.count = dict.fromkeys(KINDS, 0)
        self._chance = np.zeros(len(KINDS))  # each kind's chance a day ...
        self._chance_for: object = None  # ... under these parameters
        self.next_day = np.full(len(KINDS), NO_SHOCK)  # each kind's next shock (clock mode)
        self._first = NO_SHOCK  # the soonest of them
        if m.waiting_times:
            self._wait(np.ones(len(KINDS), dtype=bool))

    def chance(self) -> np.ndarray:
        """Each kind's chance of arriving on a given day (a Poisson day at its rate a
        year), kept for the parameters it was computed from."""
        p = self.m.p
        if self._chance_for is not p:
            rates = (p.political_shock_per_year, p.guarantor_shock_per_year,
                     p.zone_incident_per_year)
            self._chance = -np.expm1(-np.array(rates) / 365.25)
            self._chance_for = p
        return self._chance

    def _wait(self, kinds: np.ndarray) -> None:
        """Draw the next day of each of ``kinds`` from today (never, at a rate of 0)."""
        chance = self.chance()
        wait = self.m.streams.shocks.geometric(np.where(chance > 0, chance, 1.0))
        later = np.where(chance > 0, self.m.day + wait, NO_SHOCK)
        self.next_day = np.where(kinds, later, self.next_day)
        self._first = int(self.next_day.min())

    def quiet_today(self) -> bool:
        """Whether no shock comes today (waiting times only)."""
        return self.m.day < self._first

    def quiet_days_ahead(self, limit: int) -> int:
        """How many of the next ``limit`` days bring no shock (``quiet_today`` on each)."""
        return min(limit, self._first - self.m.day - 1)

    def step(self) -> None:
        """Today's shocks: in a ceasefire, apply those that happen and bring Russia's
        review forward."""
        m = self.m
        if not m.waiting_times:
            u = m.streams.shocks.random(len(KINDS))
            z = m.streams.shocks.standard_normal(len(KINDS))
            happened = u < self.chance()
        else:
            if self.quiet_today():
                return
            happened = self.next_day == m.day
            z = np.zeros(len(KINDS))
            z[happened] = m.streams.shocks.standard_normal(int(happened.sum()))
            self._wait(happened)
        if m.in_ceasefire and happened.any():
            self._apply(happened, z)

    def _apply(self, happened: np.ndarray, z: np.ndarray) -> None:
        """The shocks that happened today (``z``: each one's standard normal size)."""
        m, p = self.m, self.m.p
        if happened[0]:
            self.political_shift += p.political_shock_sd * float(z[0])
            self.force_shift -= p.political_shock_force_sd * float(z[0])
        if happened[1]:
            self.resolve += p.guarantor_shock_sd * float(z[1])
        if happened[2]:
            self.pretext_until = m.day + p.concentration_days
        for kind, yes in zip(KINDS, happened, strict=True):
            self.count[kind] += int(yes)
        m.russia.review_early()

    def relief(self, days: np.ndarray) -> np.ndarray:
        """The share of the cost of ending the ceasefire an incident's pretext waives at
        each offset ``days`` from today (0 outside the pretext)."""
        p = self.m.p
        return np.where(self.m.day + days <= self.pretext_until, p.incident_cost_relief, 0.0)

    def credibility_factor(self) -> float:
        """The factor the guarantor's changes of resolve put on its credibility."""
        return float(np.exp(self.resolve))
