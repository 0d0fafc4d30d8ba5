"""Ceded ground as a position: Russia's massing staged inside a zone it promised not to enter.

A zone the deal declares lies between the two lines (a unilateral zone is the ground
Ukraine ceded; a mirrored one, both sides' pulled-back bands), and Russia promised not to
enter it (sources §2.1, point 21(d)). ``ru_zone_entry`` is how far across it Russia is
willing to stage the forces it masses for an offensive, as a share of the gap between the
lines; 0 keeps the promise (the model as it was). Forces staged there:

* are a violation: the zone's monitors see them on their sector's daily look, the look that
  sees the build-up (``Monitoring``, at ``monitoring_coverage`` a day), and the guarantor
  may answer what they see (``Guarantor.respond_to_violations``);
* shorten the way to Ukraine's line: the offensive's breach starts from where they stand
  (``MainEffort.open_breach``), so the crossing before contact, and the warning it gives
  Ukraine, shrink; the works of the ground they occupy serve them as cover and no longer
  slow them: only the rest of the gap is crossed, slowed by the zone's remaining works;
* count in Russia's staff estimate as they will in the attack (``decision._Standing``:
  the crossing, hence the warning and the campaign days left after it).

This is what the expert's warning asks the model to be able to say: that ground given up
keeps a value to the side that takes it, as a jumping-off point towards what it still
wants (Fearon 1995, sources §6.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


def entry_share(m: CeasefireModel) -> float:
    """The share of the gap Russia's massing stands forward into the zone: ``ru_zone_entry``
    while a zone is in force (the promise not to enter it stands), else 0."""
    return m.p.ru_zone_entry if m.phase == "dmz" else 0.0


def ahead_km(m: CeasefireModel) -> np.ndarray:
    """Per sector of today's partition: km forward of Russia's edge, inside the zone, where
    its massing stands (0 where no zone lies between the lines).

    The share is of the gap the staff forecasts a crossing over (the lines' distance less
    one cell), so a forecast and the attack start from the same place."""
    lines = m.lines
    share = entry_share(m)
    if share <= 0.0:
        return np.zeros(lines.ru_depth.size)
    th = m.theatre
    sector = th.sectors.sector_of_cell[th.dmz_cells]
    zoned = np.bincount(sector[sector >= 0], minlength=th.n_sectors) > 0
    between = lines.ua_depth - lines.ru_depth
    gap = np.where(np.isfinite(between), np.maximum(between - th.cell_km, 0.0), 0.0)
    return np.where(zoned, share * gap, 0.0)


def in_zone(m: CeasefireModel) -> np.ndarray:
    """Per sector: whether Russia's massing there stands inside the zone (a violation)."""
    return ahead_km(m) > 0.0
