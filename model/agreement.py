"""The agreement: which day withdrawal starts and guarantees arrive, by sequencing arm.

Day 0 is the ceasefire. The table (docs/ODD.md, 'Agreement'):

=================  ============================  ===========================
arm                withdrawal starts             guarantees in force
=================  ============================  ===========================
no_deal            never (war goes on)           never
frozen_line        never (ceasefire, no zone)    never
territory_first    day 0                         day G, if delivered
guarantees_first   day G, only if delivered      day G, if delivered
simultaneous       day 0                         day 0, if delivered
=================  ============================  ===========================

``withdrawal_start_day`` >= 0 overrides the withdrawal day (its condition stays), which
is how the tests compare arms with the same withdrawal timing.
"""

from __future__ import annotations

from dataclasses import dataclass

from dmzsim.model.params import Params

NEVER = -1


@dataclass(frozen=True)
class Timeline:
    """When things happen in one run (NEVER = does not happen)."""

    war_from_start: bool
    withdrawal_start: int
    withdrawal_end: int
    guarantees_day: int
    monitoring: bool
    #: The day the deal promises guarantees (whether or not they will come): what
    #: Russia's staff can plan with, unlike ``guarantees_day``, which knows the draw.
    promised_guarantees_day: int = NEVER


def build_timeline(p: Params, delivered: bool) -> Timeline:
    """Turn the sequencing choice and the delivery draw into days."""
    g = p.guarantee_delay_days
    seq = p.sequencing
    if seq == "no_deal":
        return Timeline(True, NEVER, NEVER, NEVER, monitoring=False)
    if seq == "frozen_line":
        return Timeline(False, NEVER, NEVER, NEVER, monitoring=True)
    guarantees = {"territory_first": g, "guarantees_first": g, "simultaneous": 0}[seq]
    withdraw = {"territory_first": 0, "guarantees_first": g, "simultaneous": 0}[seq]
    if seq == "guarantees_first" and not delivered:
        withdraw = NEVER  # stays a frozen line
    if withdraw != NEVER and p.withdrawal_start_day >= 0:
        withdraw = p.withdrawal_start_day
    end = withdraw + p.withdrawal_days if withdraw != NEVER else NEVER
    return Timeline(False, withdraw, end, guarantees if delivered else NEVER, monitoring=True,
                    promised_guarantees_day=guarantees)
