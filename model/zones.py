"""What a map file says beyond its geometry: the zones an agreement can use, and the
theatre's own force numbers.

A unilateral withdrawal cedes a zone the map names (``[zones.<name>]``, picked by the
``unilateral_zone`` parameter); a mirrored one is a width either side of the line and
needs nothing from the map. A map's ``[forces]`` block replaces the schema's defaults of
the force parameters, so another theatre is not run on Donetsk's numbers; a parameter set
to anything but its default still wins.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from dmzsim.model.agreement import NEVER, build_timeline
from dmzsim.model.forces import UA
from dmzsim.model.map_geometry import TheatreFrame
from dmzsim.model.map_schema import MapSpec
from matplotlib.path import Path as MplPath

if TYPE_CHECKING:
    from dmzsim.model.params import Params
    from dmzsim.model.theatre import Theatre
    from dmzsim.model.theatre_map import Raster


class ZoneError(ValueError):
    """An agreement asks for a zone the map does not define."""


def map_forces(spec: MapSpec) -> dict[str, float]:
    """The map's force block as parameter values."""
    return {k: v.value for k, v in spec.forces.items()}


def check_zone(spec: MapSpec, name: str, path: str | Path | None = None) -> None:
    """Fail clearly, before a run starts, if the map (the file at ``path``, if given)
    defines no zone ``name``."""
    if name not in spec.zones:
        known = ", ".join(sorted(spec.zones)) or "none"
        what = f"map file {path}" if path is not None else f"map {spec.map.name!r}"
        raise ZoneError(f"{what} defines no zone {name!r} for a unilateral withdrawal (its "
                        f"zones: {known}); add [zones.{name}] to the map file or set "
                        "unilateral_zone to one of its zones")


def ceded_zone(p: Params) -> str | None:
    """The zone a run with ``p`` cedes if its withdrawal happens (a unilateral DMZ under a
    sequencing that withdraws, when the guarantees come), else None."""
    if p.dmz_shape != "unilateral":
        return None
    return p.unilateral_zone if build_timeline(p, True).withdrawal_end != NEVER else None


def zone_ground(raster: Raster, name: str) -> np.ndarray:
    """Flat mask of the ground Ukraine holds on the map's date in zone ``name``: what the
    zone would cede if it were declared on day 0."""
    held = (raster.ua_held & ~raster.impassable).ravel()
    if raster.spec.zones[name].kind == "held_in_oblast":
        return held & raster.in_oblast.ravel()
    return held & _inside(raster, name)


def unilateral_zone(theatre: Theatre, name: str) -> np.ndarray:
    """Flat mask of the zone ``name`` as it stands today: the ground Ukraine holds in it."""
    spec = theatre.raster.spec
    check_zone(spec, name)
    zone = spec.zones[name]
    held = (theatre.control_flat == UA) & theatre.passable
    if zone.kind == "held_in_oblast":
        return held & theatre.in_oblast
    return held & _inside(theatre.raster, name)


@lru_cache(maxsize=16)
def _inside(raster: Raster, name: str) -> np.ndarray:
    """Cells whose centre lies inside a polygon zone (read-only, shared by runs)."""
    spec = raster.spec
    frame = TheatreFrame.of(spec)
    outline = spec.zones[name].outline
    assert outline is not None
    path = MplPath(frame.project_pairs([tuple(p) for p in outline]), closed=False)
    pts = np.column_stack([raster.x_km.ravel(), raster.y_km.ravel()])
    inside = path.contains_points(pts)
    inside.flags.writeable = False
    return inside


def describe(spec: MapSpec) -> dict[str, Any]:
    """The zones and force values of a map, for ``dmzsim map`` and the docs."""
    return {"zones": {k: z.kind for k, z in spec.zones.items()},
            "forces": {k: (v.value, v.source) for k, v in spec.forces.items()}}
