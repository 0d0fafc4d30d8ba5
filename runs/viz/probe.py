"""What is at a point of the map, for the page's inspection panel: the ground, a town, the
units there, and the sector with its monitors' counts and Russia's decision numbers.

Everything is read from the model (and Russia's estimate recomputed without noise by the
model's own ``decision.expected_ratio``); nothing here draws a random number or writes
to the model, so clicking the map never changes a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from dmzsim.model import balance
from dmzsim.model.forces import RU, UA, Posture
from dmzsim.model.model import CeasefireModel
from dmzsim.model.outputs import number
from dmzsim.model.processes import decision
from dmzsim.runs.viz.drawing import POSTURE_STYLE
from dmzsim.runs.viz.map_features import ceded_towns

SIDE = {RU: "Russia", UA: "Ukraine"}
NEAR_CELLS = 2  # a click this many cells from a town or a unit stack still finds it


@dataclass(frozen=True)
class Finding:
    """One block of the inspection panel: a heading and its lines."""

    title: str
    lines: tuple[str, ...]


def probe(model: CeasefireModel, cell: tuple[int, int]) -> list[Finding]:
    """Everything the page can say about ``cell``: ground, town, units, sector."""
    found = [ground(model, cell)]
    town = town_near(model, cell)
    if town is not None:
        found.append(town)
    found += units_near(model, cell)
    k = int(model.theatre.sectors.sector_of_cell[
        np.ravel_multi_index(cell, model.theatre.control.shape)])
    if k >= 0:
        found.append(sector(model, k))
    return found


def ground(model: CeasefireModel, cell: tuple[int, int]) -> Finding:
    th, r = model.theatre, model.theatre.raster
    side = SIDE[int(th.control[cell])]
    lines = [f"{side} holds it; works {th.fort[cell]:.2f} (0 none, 1 full)"]
    if th.dmz[cell]:
        state = "in force" if model.in_ceasefire else "war resumed over it"
        lines.append(f"in the zone ({state}); monitored {th.monitored[cell]:.2f}")
    if not r.in_oblast[cell]:
        lines.append("outside the oblast")
    return Finding(f"Ground at {r.lon[cell]:.2f}°E {r.lat[cell]:.2f}°N", tuple(lines))


def town_near(model: CeasefireModel, cell: tuple[int, int]) -> Finding | None:
    """The nearest town within :data:`NEAR_CELLS` cells, and whose it is."""
    r, th = model.theatre.raster, model.theatre
    if not r.towns:
        return None
    dist = [max(abs(t.cell[0] - cell[0]), abs(t.cell[1] - cell[1])) for t in r.towns]
    i = int(np.argmin(dist))
    if dist[i] > NEAR_CELLS:
        return None
    t = r.towns[i]
    if not r.ua_held[t.cell]:
        state = "Russian-held at day 0"
    elif th.towns_held[i]:
        state = "held by Ukraine"
    elif ceded_towns(model)[i]:
        state = "ceded to Russia by the deal"
    else:
        state = "taken by the offensive"
    kind = "fortress-belt town" if t.fortress_belt else "town"
    return Finding(t.name, (f"{kind}, {state}",))


def units_near(model: CeasefireModel, cell: tuple[int, int]) -> list[Finding]:
    """The units standing within :data:`NEAR_CELLS` cells, one block per side and posture."""
    f = model.forces
    groups: dict[tuple[int, int], list[int]] = {}
    for row, unit in model.units.items():
        if unit.cell is None or not f.alive[row]:
            continue
        x, y = unit.cell.coordinate
        if max(abs(x - cell[0]), abs(y - cell[1])) <= NEAR_CELLS:
            groups.setdefault((int(f.side[row]), int(f.posture[row])), []).append(row)
    found = []
    for (side, posture), rows in sorted(groups.items()):
        strength = f.strength[rows]
        ready = float((strength * f.readiness[rows]).sum() / max(strength.sum(), 1e-9))
        name = POSTURE_STYLE[Posture(posture)][0]
        found.append(Finding(
            f"{SIDE[side]}: {len(rows)} unit{'s' if len(rows) > 1 else ''} {name}",
            (f"strength {strength.sum():,.0f} personnel; readiness {ready:.2f}",
             f"posture: {Posture(posture).name.lower()}; sector "
             f"{', '.join(str(s) for s in sorted(set(f.sector[rows].tolist())))}")))
    return found


def sector(model: CeasefireModel, k: int) -> Finding:
    """A sector: its front, its monitors' counts, the odds there and Russia's review."""
    s = model.monitoring.sectors[k]
    n = model.theatre.n_sectors
    today = float(balance.current_ratio(model)[k])
    expected = float(decision.expected_ratio(model, np.zeros(n))[k])
    need = model.p.breakthrough_ratio
    seen = "never" if math.isnan(s.first_buildup_day) else f"day {s.first_buildup_day:.0f}"
    lines = [f"front {model.theatre.front_km[k]:.0f} km; monitoring coverage {s.coverage:.2f}",
             f"build-up detections {s.detections}; violations {s.violations}, "
             f"seen {s.violations_detected}; build-up first seen: {seen}",
             f"force ratio today {number(today)}; Russia's expected ratio "
             f"{number(expected)} (without its misreading), {need:g} needed"]
    lines.append(review_line(model, k))
    main = " · Russia's main effort" if model.effort.sector == k else ""
    return Finding(f"Sector {k} of {n}{main}", tuple(lines))


def review_line(model: CeasefireModel, k: int) -> str:
    """What Russia's latest review said about sector ``k`` (it looks at its best one)."""
    est = model.record.review
    if est is None:
        return "Russia has not reviewed yet"
    best = int(est.sector[0])
    if best != k:
        return f"Russia's latest review weighed sector {best}, not this one"
    return (f"Russia's latest review, here: expected ratio {number(float(est.ratio[0]))}; "
            f"value of resuming now {number(est.value_now)}, later "
            f"{number(est.value_wait)} km² of aims; decided by {est.deciding_term()}")
