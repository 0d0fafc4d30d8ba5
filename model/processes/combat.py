"""Step 7: combat, at war, on every sector and at the main effort's breach.

Where the sides are apart (a zone between them), Russia's forward edge moves across at
crossing speed, slowed by the works left in the zone. Where they are in contact, each
sector's line units fight a holding battle: Russia assaults where its power exceeds
Ukraine's effective power, both sides take Lanchester losses, and the front moves at the
QJM rate scaled to today's front. Russia's main effort (its units in the attack posture)
fights on its own strip of front, as wide as Russia's estimate chose (``attack_frontage_km``,
widened with a surplus up to ``max_attack_frontage_km``: ``MainEffort.frontage_km``),
against the share of the line that stands on that frontage and the reserves sent there;
it moves at breakthrough speed once its ratio passes the threshold. The frontage, not
the partition into sectors, sets the odds and the ground a breakthrough takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import balance, kernels
from dmzsim.model.forces import RU, UA, Posture
from scipy import ndimage

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


class Combat:
    """The fighting, at war.

    State: each side's losses so far, and per sector of today's partition whether its
    line assaults today and its breakthrough pulse (``kernels.pulse_step``).
    """

    #: The parameters it reads (tests/test_processes.py holds this to the code).
    PARAMS = (
        "attrition_rate_per_day", "breakthrough_pulse_days", "breakthrough_ratio",
        "breakthrough_speed_km_per_day", "consolidation_days", "era_advance_multiplier",
        "quiet_sector_intensity", "unit_personnel",
    )
    STEP = 7

    def __init__(self, m: CeasefireModel) -> None:
        self.m = m
        self.losses = np.zeros(2)
        self.assault = np.zeros(0, dtype=bool)  # sectors whose line units assault today
        self.pulse = np.zeros(0, dtype=int)  # breakthrough pulse state per sector

    def new_partition(self, n_sectors: int) -> None:
        """The theatre was cut again: no sector of the new partition is mid-assault."""
        self.assault = np.zeros(n_sectors, dtype=bool)
        self.pulse = np.zeros(n_sectors, dtype=int)

    def step(self) -> None:
        """At war: fight, then cut the theatre again if the line has moved far."""
        if self.m.at_war:
            fight(self.m)
            self.m.lines.rebuild_if_moved()

    def take_pockets(self) -> None:
        """Ground Ukraine holds cut off from the rest (``take_pockets``) falls."""
        take_pockets(self.m)


def fight(m: CeasefireModel) -> None:
    """Step 7: close the gap where the sides are apart, assault where the odds allow, and
    take losses on every sector in contact and at the breach."""
    p, th, f = m.p, m.theatre, m.forces
    lines, effort, c = m.lines, m.effort, m.combat
    n = th.n_sectors
    ru_line_mask = f.line_mask(RU, present_on=m.day)
    ua_mask = f.line_mask(UA, present_on=m.day)
    atk_mask = f.mask(RU, Posture.ATTACK, present_on=m.day)
    power = f.unit_power()  # no strength changes before the losses at the end
    ru = f.power_by_sector(ru_line_mask, n, power)
    # along the front; met the main effort
    spread_mask, facing_mask = balance.ua_line_masks(m, m.day, line=ua_mask)
    ua = f.power_by_sector(spread_mask, n, power)
    facing = f.power_by_sector(facing_mask, n, power)
    fort = m.fortification.sector_fortification()
    mult = balance.defence_multiplier(m, fort)
    has_line = lines.has_line()
    contact = has_line & (lines.ua_depth - lines.ru_depth <= 1.5 * th.cell_km)
    _cross(m, has_line & ~contact & (ru > 0))

    # each sector's line units standing on the main effort's frontage (none without one)
    atk = f.power(atk_mask, power)
    striking = effort.window >= 0 and atk > 0  # the main effort attacks on its frontage
    ru_w, ua_w = np.zeros(n), np.zeros(n)
    if striking:
        lo, hi = lines.windows_at(effort.frontage_km).spans  # the front it strikes
        span = (lo[[effort.window]], hi[[effort.window]])
        ru_on, ua_on = lines.standing_on_each((ru_line_mask, spread_mask), span)
        ru_w, ua_w = ru_on[:, 0], ua_on[:, 0]
    else:  # no main effort to meet: the reserves sent to it hold their sector
        ua, facing = ua + facing, np.zeros(n)
    ru_hold, ua_hold = np.maximum(ru - ru_w, 0.0), np.maximum(ua - ua_w, 0.0)
    eff = ua_hold * mult
    ratio = np.divide(ru_hold, eff, out=np.full(n, np.inf), where=eff > 0)
    assault = contact & (ru_hold > 0) & (ratio >= kernels.QJM_RATIOS[0])
    c.assault = assault
    breach = _Breach(m, atk, ru_w, ua_w + facing, mult, fort) if striking else None
    # the sectors' fronts and the breach through one call of each kernel (element by
    # element, so each front's numbers are those of a call of its own)
    ratios, forts, pulses, attacking = ratio, fort, c.pulse, assault
    if breach is not None:
        ratios = np.concatenate((ratio, (breach.ratio,)))
        forts = np.concatenate((fort, (breach.fort,)))
        pulses = np.concatenate((c.pulse, (effort.breach_pulse,)))
        attacking = np.concatenate((assault, (True,)))
    breaks, pulse = kernels.pulse_step(ratios, pulses, p.breakthrough_ratio,
                                       p.breakthrough_pulse_days, p.consolidation_days)
    advance = kernels.advance_km(ratios, forts, p.era_advance_multiplier,
                                 breaks & attacking, p.breakthrough_speed_km_per_day)
    c.pulse = np.where(assault, pulse[:n], np.minimum(c.pulse + 1, 0))
    step = advance[:n] * assault
    for k in (step > 0).nonzero()[0]:
        _advance(m, int(k), lines.ru_depth[k] + step[k])
    intensity = np.where(assault, 1.0, p.quiet_sector_intensity) * contact
    exposure = kernels.defender_exposure(fort)
    ru_loss, ua_loss = kernels.lanchester_losses(ru_hold, eff, np.ones(n), exposure,
                                                 p.attrition_rate_per_day, intensity)
    atk_loss = 0.0
    if breach is not None:
        b_ru, b_ua = breach.fight(int(pulse[n]), float(advance[n]), exposure)
        ru_loss += b_ru[0]
        atk_loss = b_ru[1]
        ua_loss += b_ua
    _apply_losses(m, RU, ru_line_mask, ru_loss)
    _apply_losses(m, UA, ua_mask, ua_loss)
    if atk_loss > 0:
        _apply_losses(m, RU, atk_mask, _on_main(m, atk_loss))


class _Breach:
    """The main effort's battle on its frontage today: its odds and the fortification it
    meets (known before the day's advances), then the fight (``fight``)."""

    def __init__(self, m: CeasefireModel, atk: float, ru_w: np.ndarray, ua_w: np.ndarray,
                 mult: np.ndarray, fort: np.ndarray) -> None:
        self.m, self.atk, self.ru_w, self.ua_w = m, atk, ru_w, ua_w
        k = m.effort.sector
        self.defence = float((ua_w * mult).sum())
        self.attack = atk + float(ru_w.sum())
        self.ratio = self.attack / self.defence if self.defence > 0 else np.inf
        self.share = ua_w / max(float(ua_w.sum()), 1e-9)
        self.fort = float((self.share * fort).sum()) if ua_w.sum() > 0 else float(fort[k])

    def fight(self, pulse: int, advance: float, exposure: np.ndarray
              ) -> tuple[tuple[np.ndarray, float], np.ndarray]:
        """The battle, given the breach's pulse state tomorrow and advance today if it
        assaults (``kernels.pulse_step``, ``kernels.advance_km``). Returns the attacker's
        losses (line units per sector, attack group) and the defender's per sector."""
        m, effort, p = self.m, self.m.effort, self.m.p
        k = effort.sector
        gap = m.lines.ua_depth[k] - effort.breach_depth
        if gap > 1.5 * m.theatre.cell_km:  # still crossing the zone
            _push_breach(m, effort.breach_depth + float(m.fortification.crossing_speed()[k]))
            return (np.zeros_like(self.ru_w), 0.0), np.zeros_like(self.ua_w)
        if self.ratio >= kernels.QJM_RATIOS[0]:
            effort.breach_pulse = pulse
            _push_breach(m, effort.breach_depth + advance)
        else:
            effort.breach_pulse = min(effort.breach_pulse + 1, 0)
        attack, share = self.attack, self.share
        a_loss, d_loss = kernels.lanchester_losses(
            attack, self.defence, 1.0, float((share * exposure).sum()),
            p.attrition_rate_per_day, 1.0)
        line_share = self.ru_w / attack if attack > 0 else np.zeros_like(self.ru_w)
        return (a_loss * line_share, a_loss * self.atk / attack if attack > 0 else 0.0), \
            d_loss * share


def _on_main(m: CeasefireModel, loss: float) -> np.ndarray:
    out = np.zeros(m.theatre.n_sectors)
    out[m.effort.sector] = loss
    return out


def _push_breach(m: CeasefireModel, depth: float) -> None:
    """The main effort's edge reaches ``depth`` on its strip: cells and towns fall."""
    effort = m.effort
    assert effort.breach is not None
    depth = min(depth, float(effort.breach.depth[-1]))
    m.record.max_breach_km += max(depth, 0.0) - max(effort.breach_depth, 0.0)
    effort.breach_depth = depth
    _take(m, m.theatre.capture(effort.breach, depth))


def _cross(m: CeasefireModel, sectors: np.ndarray) -> None:
    """Move Russia's forward edge across the gap on sectors not yet in contact."""
    if not sectors.any():
        return
    speed = m.fortification.crossing_speed()
    lines = m.lines
    for k in np.flatnonzero(sectors):
        _advance(m, int(k), min(lines.ru_depth[k] + speed[k], lines.ua_depth[k]))


def _advance(m: CeasefireModel, sector: int, depth: float) -> None:
    """Russia's forward edge reaches ``depth``: cells and towns behind it change hands.

    The edge stops at the end of the sector (the theatre's edge): nothing lies beyond.
    """
    strip, lines = m.theatre.strips[sector], m.lines
    depth = min(depth, float(strip.depth[-1]))
    lines.ru_depth[sector] = depth
    if lines.ua_depth[sector] < depth:
        lines.ua_depth[sector] = depth
    _take(m, m.theatre.capture(strip, depth))
    if m.fortification.moved(sector):
        m.fortification.refresh()
        m.movement.moved_fronts.add(sector)


def _take(m: CeasefireModel, taken: tuple[float, list[int]]) -> None:
    area, towns = taken
    if area:
        m.ua_area -= area
        m.record.territory_taken_km2 += area
    for t in towns:
        m.record.town_lost(m.theatre.raster.towns[t].fortress_belt)


def take_pockets(m: CeasefireModel) -> None:
    """Ground Ukraine holds cut off from the rest of its ground (an encircled pocket,
    less than a tenth of its largest stretch) falls when the theatre is cut again."""
    th = m.theatre
    ground = th.ua_ground().reshape(th.control.shape)
    labels, n = ndimage.label(ground, structure=np.ones((3, 3), bool))
    if n <= 1:
        return
    sizes = np.bincount(labels.ravel())[1:]
    small = np.flatnonzero(sizes < 0.1 * sizes.max()) + 1
    cells = np.flatnonzero(np.isin(labels.ravel(), small))
    if cells.size:
        th.control_flat[cells] = RU
        th.version += 1
        _take(m, (float(cells.size) * th.cell_area, th._towns_fallen()))


def _apply_losses(m: CeasefireModel, side: int, mask: np.ndarray, loss: np.ndarray) -> None:
    """Spread each sector's losses over its units in proportion to their strength."""
    f = m.forces
    rows = np.flatnonzero(mask & (f.sector[: f.n] >= 0))
    if rows.size == 0:
        return
    sector = f.sector[rows]
    s = f.strength[rows]
    per_sector = np.bincount(sector, weights=s, minlength=m.theatre.n_sectors)
    # loss / per_sector, 0 where a sector has nobody (loss / inf: the same numbers as a
    # guarded division, for less)
    share = loss / np.where(per_sector > 0, per_sector, np.inf)
    taken = np.minimum(s * np.minimum(share[sector], 1.0), s)
    left = s - taken
    f.strength[rows] = left
    m.combat.losses[side] += float(taken.sum())
    weak = rows[left < 0.1 * m.p.unit_personnel]
    for r in weak:
        m.regeneration.depot[side] += f.strength[r]
        m.units.pop(int(r)).disband()
