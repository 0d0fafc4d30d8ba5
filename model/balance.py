"""The balance of forces on the front today: what an attack on each sector would meet.

Read-only questions every side asks of the same state: Russia's decision (where the odds
are best), Ukraine's command (where its line is outmatched), combat (who assaults where),
the record and the visual run (the force ratio on the main axis). One answer each, so the
forecast and the fighting cannot drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model import kernels
from dmzsim.model.forces import RU, UA

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


def ua_line_masks(m: CeasefireModel, present_on: int | None = None,
                  line: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ukraine's line in two parts: the units standing along the front, and the reserves
    sent to meet Russia's main effort (committed to its sector), which stand on the main
    effort's frontage as Russia's massed units do. Spread over a sector wider than the
    frontage, they would count only in part against the force they were sent to meet,
    and how much would be the partition's doing. ``line``: Ukraine's line mask
    (``ForceTable.line_mask``), if the caller has it already."""
    f = m.forces
    mask = f.line_mask(UA, present_on) if line is None else line
    if m.effort.window < 0:
        return mask.copy(), np.zeros_like(mask)
    facing = mask & f.view("committed") & (f.view("sector") == m.effort.sector)
    return mask & ~facing, facing


def defence_multiplier(m: CeasefireModel, fort: np.ndarray | None = None,
                       expected: bool = False) -> np.ndarray:
    """Ukraine's posture x terrain x guarantor multiplier on each sector.

    ``fort`` is today's ``Fortification.sector_fortification()`` if the caller already
    has it; ``expected`` uses the guarantor help Russia expects rather than what it gives.
    """
    p, th = m.p, m.theatre
    if fort is None:
        cells, sectors, weights = m.fortification.zone
        fort = th.sector_means(cells, sectors, th.fort_flat, weights)
    mult = kernels.posture_multiplier(fort, p.hasty_multiplier, p.prepared_multiplier,
                                      p.fortified_multiplier)
    if m.phase == "withdrawal":
        mult = np.minimum(mult, p.withdrawal_multiplier)
    support = m.guarantor.expected_support() if expected else m.guarantor.combat_support()
    return mult * sector_terrain(m) * (1.0 + support)


def sector_terrain(m: CeasefireModel) -> np.ndarray:
    """The terrain multiplier on each sector: the towns in Ukraine's defended zone there.

    Towns do not move, so it changes only with the zone (a new tuple whenever it is taken
    again), the towns layer and the parameters: it is kept for them
    (``Fortification.terrain``), which spares a day of fighting a pass over the zone."""
    fo, th, p = m.fortification, m.theatre, m.p

    def make() -> np.ndarray:
        cells, sectors, weights = fo.zone
        urban = th.sector_means(cells, sectors, th.urban_flat, weights)
        return kernels.terrain_multiplier(urban, p.urban_multiplier)
    return fo.terrain((fo.zone, th.urban_flat, p), make)


def frontage_power(m: CeasefireModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Today, on the frontage centred on each sector: Russia's power (its line, and its
    main effort on the main sector), Ukraine's effective power (its line spread along the
    sectors, and the reserves that met the main effort on its sector), and Ukraine's
    defence multiplier."""
    f, lines = m.forces, m.lines
    spread, facing = ua_line_masks(m, m.day)
    ru_on, ua_on = lines.standing_on_each((f.line_mask(RU, m.day), spread),
                                          lines.frontage_spans)
    ru = ru_on.sum(axis=0)
    if m.effort.sector >= 0:
        ru[m.effort.sector] += f.attack_power(m.day)
    mult = defence_multiplier(m)
    ua = (ua_on * mult[:, None]).sum(axis=0)
    return ru, ua + f.power_by_sector(facing, m.theatre.n_sectors) * mult, mult


def current_ratio(m: CeasefireModel) -> np.ndarray:
    """Russia's combat power over Ukraine's effective power, per sector, today, as an
    attack on ``attack_frontage_km`` of front centred on the sector would meet it.

    Infinite where Russia has power and Ukraine none (an undefended line); zero where
    Russia has none.
    """
    ru, ua, _ = frontage_power(m)
    return odds(m, ru, ua)


def odds(m: CeasefireModel, ru: np.ndarray, ua: np.ndarray) -> np.ndarray:
    """Russia's power over Ukraine's per sector (infinite where Ukraine has none and Russia
    some), 0 on sectors where Ukraine holds no line to attack."""
    ratio = np.divide(ru, ua, out=np.where(ru > 0, np.inf, 0.0), where=ua > 0)
    return np.where(m.lines.has_line(), ratio, 0.0)
