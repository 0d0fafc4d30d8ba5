"""Step 2: regeneration. Recruits reach the theatre; readiness recovers out of combat.

During a pause nothing is lost to combat, so inflow accumulates and readiness recovers:
this is regrouping, and it works for both sides at their own rates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import kernels
from dmzsim.model.forces import RU, UA, Posture

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


def regenerate(m: CeasefireModel) -> None:
    """Step 2: each side's daily inflow (at its pause rate during a ceasefire; Ukraine's
    raised by arms support once guarantees are in force), then readiness recovery."""
    f = m.forces
    for side in (RU, UA):
        mask = f.view("alive") & (f.view("side") == side)  # its units, looked up once
        _inflow(m, side, daily_inflow(m, side, mask), mask)
    _recover(m, m.p.arms_support if m.guarantor.in_force else 0.0)


def daily_rate(m: CeasefireModel, side: int) -> float:
    """A side's net personnel a day into the theatre at today's rates, before its cap."""
    p = m.p
    if side == RU:
        rate = p.ru_recruits_per_month * (p.ru_pause_recruitment_factor if m.in_ceasefire
                                          else 1.0)
        return kernels.net_daily_rate(rate, 0.0, p.ru_theatre_share)
    boost = p.arms_support if m.guarantor.in_force else 0.0
    rate = p.ua_recruits_per_month * (p.ua_pause_mobilisation_factor if m.in_ceasefire
                                      else 1.0)
    return kernels.net_daily_rate(rate, p.ua_awol_per_month, p.ua_theatre_share, boost)


def daily_inflow(m: CeasefireModel, side: int, units: np.ndarray | None = None) -> float:
    """Today's net inflow of a side, never beyond the theatre's cap (nor below zero);
    ``units`` is the side's living units if the caller has the mask already."""
    cap = m.p.ru_theatre_cap_personnel if side == RU else m.p.ua_theatre_cap_personnel
    net = daily_rate(m, side)
    have = total_personnel(m, side) if units is None else (
        float(m.forces.view("strength")[units].sum()) + float(m.depot[side]))
    if net > 0:
        return float(min(net, max(cap - have, 0.0)))
    return float(max(net, -have))


def total_personnel(m: CeasefireModel, side: int) -> float:
    """A side's personnel in its units plus in the depot (not yet formed into a unit)."""
    return m.forces.personnel(side) + float(m.depot[side])


def _inflow(m: CeasefireModel, side: int, amount: float, mask: np.ndarray) -> None:
    f = m.forces
    if amount < 0:  # desertion above recruitment: the depot empties first, then units
        from_depot = min(-amount, float(m.depot[side]))
        m.depot[side] -= from_depot
        rest = -amount - from_depot
        f.strength[: f.n][mask] -= kernels.take_losses(f.view("strength")[mask], rest)
        m.outflow_total[side] += -amount
        return
    m.inflow_total[side] += amount
    added, leftover = kernels.fill_units(f.view("strength")[mask], m.p.unit_personnel, amount)
    f.strength[: f.n][mask] += added
    m.depot[side] += leftover
    while m.depot[side] >= m.p.unit_personnel:
        m.depot[side] -= m.p.unit_personnel
        m.add_unit(side, m.p.unit_personnel, m.p.initial_readiness, Posture.RESERVE, -1)


def _recover(m: CeasefireModel, boost: float) -> None:
    f, p = m.forces, m.p
    n = f.n
    in_combat = np.zeros(n, dtype=bool)
    if m.at_war and m.assault.size:
        sector = f.view("sector")
        on_line = (sector >= 0) & f.view("alive")
        in_combat[on_line] = m.assault[sector[on_line]]
        in_combat |= f.mask(RU, Posture.ATTACK) & (m.breach is not None)
    ua_boost = np.where(f.view("side") == UA, boost, 0.0) if boost else 0.0
    f.readiness[:n] = kernels.recover_readiness(
        f.view("readiness"), in_combat, p.readiness_recovery_days,
        p.readiness_loss_per_combat_day, ua_boost)
