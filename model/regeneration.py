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
    p = m.p
    boost = p.arms_support if m.guarantor.in_force else 0.0
    ru_rate, ua_rate = p.ru_recruits_per_month, p.ua_recruits_per_month
    if m.in_ceasefire:
        ru_rate *= p.ru_pause_recruitment_factor
        ua_rate *= p.ua_pause_mobilisation_factor
    _inflow(m, RU, kernels.daily_inflow(ru_rate, 0.0, p.ru_theatre_share,
                                         total_personnel(m, RU), p.ru_theatre_cap_personnel))
    _inflow(m, UA, kernels.daily_inflow(ua_rate, p.ua_awol_per_month,
                                         p.ua_theatre_share, total_personnel(m, UA),
                                         p.ua_theatre_cap_personnel, boost=boost))
    _recover(m, boost)


def total_personnel(m: CeasefireModel, side: int) -> float:
    """A side's personnel in its units plus in the depot (not yet formed into a unit)."""
    return m.forces.personnel(side) + float(m.depot[side])


def _inflow(m: CeasefireModel, side: int, amount: float) -> None:
    f = m.forces
    mask = f.view("alive") & (f.view("side") == side)
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
    if m.at_war and m.assault_axes is not None:
        axis = f.view("axis")
        on_axis = (axis >= 0) & f.view("alive")
        in_combat[on_axis] = m.assault_axes[axis[on_axis]]
    ua_boost = np.where(f.view("side") == UA, boost, 0.0) if boost else 0.0
    f.readiness[:n] = kernels.recover_readiness(
        f.view("readiness"), in_combat, p.readiness_recovery_days,
        p.readiness_loss_per_combat_day, ua_boost)
