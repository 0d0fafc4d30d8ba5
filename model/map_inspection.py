"""What a map gives the model: ``dmzsim map FILE``.

A map is data a researcher writes by hand (``docs/map-format.md``), and a wrong side, a
zone that cedes a capital or a line that misses the oblast changes every answer without
failing a run. This module loads a map the way a run does (the same checks, the same
raster, the same sectors) and says what came out: the ground each side holds in and out
of the oblast, which side holds each town (against what the file says, where it says it),
the sectors along the front, and what each zone an agreement can use leaves to each side.
:func:`picture` draws the same (with :mod:`.map_picture`, which knows nothing of this
module). It lives next to the map's loader and the theatre because it builds theatres;
``analysis/`` only reads the outputs of runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from random import Random  # noqa: TID251 (Mesa grids take a seeded random.Random)

import numpy as np
from dmzsim.model import aims, zones
from dmzsim.model.map_schema import map_warnings
from dmzsim.model.params import Params
from dmzsim.model.theatre import Theatre, TheatreGrid, cached_raster
from dmzsim.model.theatre_map import Raster, default_map_path, load_map


@dataclass(frozen=True)
class TownRow:
    """One town: where it is, who holds it on the raster, and who the file says does."""

    name: str
    fortress_belt: bool
    in_oblast: bool
    held_by: str  # "ukraine" | "russia" | "water" (as rasterised)
    stated: str | None  # the file's held_by, if given


@dataclass(frozen=True)
class ZoneRow:
    """What declaring one zone does to the theatre."""

    name: str
    kind: str
    ua_ground_km2: float  # Ukraine's ground that becomes zone
    ru_ground_km2: float  # Russia's ground that becomes zone
    ceded_km2: float  # ground Ukraine hands to Russia
    towns_ceded: tuple[str, ...]
    ua_left_in_oblast_km2: float
    sectors_after: int
    front_km_after: float
    every_sector_has_a_front: bool


@dataclass
class MapInspection:
    """Everything ``dmzsim map`` reports about one map at one cell size."""

    path: Path
    name: str
    date: str
    cell_km: float
    shape: tuple[int, int]
    areas_km2: dict[str, float]
    towns: list[TownRow]
    sector_km: float
    sector_lengths_km: list[float]
    zones: list[ZoneRow]
    warnings: list[str] = field(default_factory=list)
    #: each aims scenario: the ground Ukraine holds, in km² of aims (its towns aside)
    aims_km2: dict[str, float] = field(default_factory=dict)


def _theatre(raster: Raster, p: Params) -> Theatre:
    grid = TheatreGrid(raster.shape, torus=False, capacity=None, random=Random(0))
    return Theatre(raster, grid, p.sector_km, p.initial_fortification, p.rear_fortification)


def _areas(raster: Raster) -> dict[str, float]:
    land = ~raster.impassable
    ua, ob = raster.ua_held & land, raster.in_oblast
    return {
        "theatre": raster.area_km2(np.ones(raster.shape, bool)),
        "oblast": raster.area_km2(ob),
        "ukraine_in_oblast": raster.area_km2(ua & ob),
        "russia_in_oblast": raster.area_km2(~raster.ua_held & land & ob),
        "ukraine_outside_oblast": raster.area_km2(ua & ~ob),
        "russia_outside_oblast": raster.area_km2(~raster.ua_held & land & ~ob),
        "impassable_water": raster.area_km2(raster.impassable),
    }


def _towns(raster: Raster) -> list[TownRow]:
    rows = []
    for t, spec in zip(raster.towns, raster.spec.towns, strict=True):
        held = ("water" if raster.impassable[t.cell]
                else "ukraine" if raster.ua_held[t.cell] else "russia")
        rows.append(TownRow(t.name, t.fortress_belt, bool(raster.in_oblast[t.cell]), held,
                            spec.held_by))
    return rows


def _asks(raster: Raster, p: Params) -> list[tuple[str, str]]:
    """The zones to declare: each of the map's, then the mirrored one at ``dmz_width_km``."""
    return [*((n, z.kind) for n, z in raster.spec.zones.items()),
            (f"mirrored {p.dmz_width_km:g} km", "mirrored")]


def _declared(raster: Raster, p: Params, name: str, kind: str) -> tuple[Theatre, float,
                                                                        float, list[int]]:
    """A fresh theatre with the zone declared as a run declares it; also the zone's
    ground of each side before, and the towns it cedes."""
    th = _theatre(raster, p)
    if kind == "mirrored":
        mask, transfer = th.mirrored_zone(p.dmz_width_km), False
    else:
        mask, transfer = zones.unilateral_zone(th, name), True
    ua_in = float(np.count_nonzero(mask & th.ua_ground())) * th.cell_area
    ru_in = float(np.count_nonzero(mask & th.ru_ground())) * th.cell_area
    return th, ua_in, ru_in, th.set_dmz(mask, transfer_to_russia=transfer)


def _zone_rows(raster: Raster, p: Params) -> list[ZoneRow]:
    """What each zone leaves to each side."""
    rows = []
    area0 = _theatre(raster, p).ua_area_km2()
    for name, kind in _asks(raster, p):
        th, ua_in, ru_in, ceded = _declared(raster, p, name, kind)
        rows.append(ZoneRow(
            name=name, kind=kind, ua_ground_km2=ua_in, ru_ground_km2=ru_in,
            ceded_km2=area0 - th.ua_area_km2(),
            towns_ceded=tuple(raster.towns[i].name for i in ceded),
            ua_left_in_oblast_km2=float(np.count_nonzero(th.ua_ground() & th.in_oblast))
            * th.cell_area,
            sectors_after=th.n_sectors, front_km_after=float(th.front_km.sum()),
            every_sector_has_a_front=bool(np.all(th.front_km > 0))))
    return rows


def inspect_map(path: str | Path | None = None, **params: object) -> MapInspection:
    """Load, check and describe a map as a run would see it (``params`` as for a run:
    ``cell_km``, ``sector_km``, ``dmz_width_km``...)."""
    path = Path(path) if path is not None else default_map_path()
    spec = load_map(path)  # the file's own checks: clear errors, exit 2 from the CLI
    p = Params.build(params)
    raster = cached_raster(path, p.cell_km)
    th = _theatre(raster, p)
    return MapInspection(
        path=path, name=spec.map.name, date=spec.map.date.isoformat(), cell_km=p.cell_km,
        shape=raster.shape, areas_km2=_areas(raster), towns=_towns(raster),
        sector_km=p.sector_km, sector_lengths_km=[float(x) for x in th.front_km],
        zones=_zone_rows(raster, p), warnings=map_warnings(spec),
        aims_km2=_aims_worth(raster, p))


def _aims_worth(raster: Raster, p: Params) -> dict[str, float]:
    """What the ground Ukraine holds is worth to Russia under each aims scenario (km² of
    aims, at ``beyond_aims_value`` where a scenario leaves it to the parameter)."""
    held = (raster.ua_held & ~raster.impassable).ravel()
    return {name: float(aims.cell_values(raster, name, p.beyond_aims_value)[held].sum())
            * raster.cell_area_km2 for name in aims.scenarios(raster.spec)}


def render_text(m: MapInspection) -> str:
    """The inspection as plain-text tables (what ``dmzsim map`` prints)."""
    a = m.areas_km2
    out = [f"map {m.path}: {m.name}, {m.date}; {m.shape[0]} x {m.shape[1]} cells of "
           f"{m.cell_km:g} km", "", "ground (km²)       Ukraine     Russia",
           f"  in the oblast  {a['ukraine_in_oblast']:>9,.0f}  {a['russia_in_oblast']:>9,.0f}",
           f"  outside it     {a['ukraine_outside_oblast']:>9,.0f}  "
           f"{a['russia_outside_oblast']:>9,.0f}"]
    if a["impassable_water"]:
        out.append(f"  impassable water: {a['impassable_water']:,.0f}")
    out += ["", "towns (held on the raster; * = fortress belt; ! = not as the file says)"]
    for t in m.towns:
        flag = "!" if t.stated is not None and t.stated != t.held_by else " "
        where = "oblast" if t.in_oblast else "outside"
        stated = f" (file: {t.stated})" if t.stated else ""
        out.append(f" {flag}{'*' if t.fortress_belt else ' '} {t.name:<20} {t.held_by:<8} "
                   f"{where}{stated}")
    lengths = ", ".join(f"{x:.0f}" for x in m.sector_lengths_km)
    out += ["", f"sectors of about {m.sector_km:g} km along the front: "
            f"{len(m.sector_lengths_km)} ({lengths} km)", "", "zones"]
    for z in m.zones:
        towns = f" and {len(z.towns_ceded)} towns ({', '.join(z.towns_ceded)})" \
            if z.towns_ceded else ""
        fronted = "each with a front" if z.every_sector_has_a_front else "NOT all with a front"
        out += [f"  {z.name} ({z.kind}): {z.ua_ground_km2:,.0f} km² of Ukraine's ground and "
                f"{z.ru_ground_km2:,.0f} of Russia's become zone;",
                f"    {z.ceded_km2:,.0f} km²{towns} pass to Russia; Ukraine keeps "
                f"{z.ua_left_in_oblast_km2:,.0f} km² of the oblast;",
                f"    {z.sectors_after} sectors after, {z.front_km_after:.0f} km of front, "
                f"{fronted}"]
    out += ["", "aims scenarios: the ground Ukraine holds, in km² of aims"]
    out += [f"  {name:<20} {worth:>9,.0f}" for name, worth in m.aims_km2.items()]
    out += [f"warning: {w}" for w in m.warnings]
    return "\n".join(out)


def picture(m: MapInspection, path: Path, **params: object) -> Path:
    """The map as the model sees it: control, water, the oblast, towns and sectors, and
    one panel per zone after it is declared."""
    from dmzsim.model.map_picture import draw  # matplotlib only when a picture is asked

    p = Params.build(params)
    raster = cached_raster(m.path, p.cell_km)
    panels = [("as drawn", _theatre(raster, p))]
    panels += [(f"zone: {name}", _declared(raster, p, name, kind)[0])
               for name, kind in _asks(raster, p)]
    return draw(f"{m.name} ({m.date}), cells of {m.cell_km:g} km", panels, path)
