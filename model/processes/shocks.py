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
something has changed. Every day draws the same number of numbers from the ``shocks``
stream, whatever the phase or the arm, so common random numbers still pair the arms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel

KINDS = ("political", "guarantor", "incident")


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

    def step(self) -> None:
        """Draw today's events (always the same count of draws); in a ceasefire, apply
        those that happen and bring Russia's review forward."""
        m, p = self.m, self.m.p
        u = m.streams.shocks.random(len(KINDS))
        z = m.streams.shocks.standard_normal(len(KINDS))
        if not m.in_ceasefire:
            return
        if self._chance_for is not p:  # a Poisson day's chance of each, per parameters
            rates = (p.political_shock_per_year, p.guarantor_shock_per_year,
                     p.zone_incident_per_year)
            self._chance = -np.expm1(-np.array(rates) / 365.25)
            self._chance_for = p
        happened = u < self._chance
        if not happened.any():
            return
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
