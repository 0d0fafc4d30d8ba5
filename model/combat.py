"""Step 7: combat on every axis, at war.

Where the sides are apart (a zone between them), Russia's forward edge moves across at
crossing speed, slowed by the works left in the zone. Where they are in contact, Russia
assaults when its combat power exceeds Ukraine's effective power (posture, works, towns,
guarantor), both sides take Lanchester losses, and the front moves at the QJM rate scaled
to today's front, or at breakthrough speed once the local ratio passes the threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import kernels
from dmzsim.model.forces import RU, UA, Posture

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


def fight(m: CeasefireModel) -> None:
    """Step 7: close the gap where the sides are apart, assault where the odds allow, and
    take losses on every axis in contact."""
    p, th, f = m.p, m.theatre, m.forces
    n = th.n_axes
    ru_mask = f.mask(RU, Posture.DEFEND, Posture.ATTACK, Posture.CONCENTRATE, present_on=m.day)
    ua_mask = f.mask(UA, Posture.DEFEND, Posture.WITHDRAW, present_on=m.day)
    ru = f.power_by_axis(ru_mask, n)
    ua = f.power_by_axis(ua_mask, n)
    fort = m.axis_fortification()
    mult = m.defence_multiplier(fort)
    has_line = m.has_line()
    contact = has_line & (m.ua_depth - m.ru_depth <= th.cell_km)
    _cross(m, has_line & ~contact & (ru > 0))

    eff = ua * mult
    ratio = np.divide(ru, eff, out=np.full(n, np.inf), where=eff > 0)
    assault = contact & (ru > 0) & (ratio >= kernels.QJM_RATIOS[0])
    m.assault_axes = assault
    m.ratio_today = ratio
    step = kernels.advance_km(ratio, fort, p.era_advance_multiplier, p.breakthrough_ratio,
                              p.breakthrough_speed_km_per_day) * assault
    for a in (step > 0).nonzero()[0]:
        _advance(m, int(a), m.ru_depth[a] + step[a])

    intensity = np.where(assault, 1.0, p.quiet_sector_intensity) * contact
    ru_loss, ua_loss = kernels.lanchester_losses(
        ru, eff, np.ones(n), kernels.defender_vulnerability(fort), p.attrition_rate_per_day,
        intensity)
    _apply_losses(m, RU, ru_mask, ru_loss)
    _apply_losses(m, UA, ua_mask, ua_loss)


def _cross(m: CeasefireModel, axes: np.ndarray) -> None:
    """Move Russia's forward edge across the gap on axes not yet in contact."""
    if not axes.any():
        return
    speed = m.p.dmz_crossing_km_per_day / (
        1.0 + m.p.obstacle_delay_factor * m.zone_obstacles())
    for a in np.flatnonzero(axes):
        target = min(m.ru_depth[a] + speed[a], m.ua_depth[a])
        _advance(m, int(a), target)


def _advance(m: CeasefireModel, axis: int, depth: float) -> None:
    """Russia's forward edge reaches ``depth``: cells and towns behind it change hands.

    The edge stops at the end of the axis (the theatre's edge): nothing lies beyond.
    """
    depth = min(depth, float(m.theatre.band_depth[axis][-1]))
    m.ru_depth[axis] = depth
    if m.ua_depth[axis] < depth:
        m.ua_depth[axis] = depth
    area, towns = m.theatre.capture_to(axis, depth)
    if area:
        m.ua_area -= area
        m.record["territory_taken_km2"] += area
    for t in towns:
        m.record_town_loss(t)
    if abs(m.ua_depth[axis] - m.zone_depth[axis]) >= m.theatre.cell_km:
        m.refresh_zone()
        m.dirty_axes.add(axis)


def _apply_losses(m: CeasefireModel, side: int, mask: np.ndarray, loss: np.ndarray) -> None:
    """Spread each axis's losses over its units in proportion to their strength."""
    f = m.forces
    rows = (mask & (f.view("axis") >= 0)).nonzero()[0]
    if rows.size == 0:
        return
    axis = f.axis[rows]
    s = f.strength[rows]
    per_axis = np.bincount(axis, weights=s, minlength=m.theatre.n_axes)
    share = np.divide(loss, per_axis, out=np.zeros_like(loss), where=per_axis > 0)
    taken = np.minimum(s * np.minimum(share[axis], 1.0), s)
    f.strength[rows] = s - taken
    m.losses[side] += float(taken.sum())
    weak = rows[f.strength[rows] < 0.1 * m.p.unit_personnel]
    for r in weak:
        m.depot[side] += f.strength[r]
        m.units.pop(int(r)).disband()
