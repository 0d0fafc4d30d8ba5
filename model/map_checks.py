"""What a run needs from its map beyond the file's own validity, checked before it runs.

A map file can load and still fail every run that uses it, or run without doing what it
was asked: a theatre too large for the cell size (the raster would not fit in memory), no
front at all (water over all the ground Ukraine holds along the line), an aims scenario it
does not declare, a zone the agreement asks for that the map does not define, or one that
covers none of the ground Ukraine holds (a "withdrawal" that cedes nothing).
:func:`run_map_problem` finds these for one parameter set, so that ``dmzsim sim``,
``dmzsim run`` (for every arm and design point of an experiment) and the visual run
refuse before anything runs or is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dmzsim.model import aims, zones
from dmzsim.model.front import front_cells
from dmzsim.model.params import Params
from dmzsim.model.theatre import _active_stretch, cached_raster
from dmzsim.model.theatre_map import MapFileError, Raster, default_map_path, grid_size_problem
from dmzsim.model.theatre_map import load_map as load_map


@dataclass(frozen=True)
class MapProblem:
    """What is wrong, and the parameter that meets it (``cell_km``, ``unilateral_zone``,
    ``aims_scenario``),
    or None when the map itself is at fault whatever the parameters."""

    param: str | None
    message: str


def run_map_problem(map_path: str | Path | None, p: Params) -> MapProblem | None:
    """Why a run with ``p`` on the map at ``map_path`` (None: the default map) would fail
    or cede nothing, or None if it would not. A map file that does not load raises
    :class:`MapFileError` as :func:`load_map` does. The raster made here is the one the
    run uses (:func:`cached_raster`), so checking costs a run in this process nothing."""
    path = Path(map_path) if map_path is not None else default_map_path()
    spec = load_map(path)
    where = f"map file {path}"
    too_large = grid_size_problem(spec, p.cell_km, where)
    if too_large is not None:
        return MapProblem("cell_km", too_large)
    raster = cached_raster(path, p.cell_km)
    if not has_front(raster):
        return MapProblem(None, f"{where}: Ukraine holds no ground along the line of contact "
                          f"in the oblast (at cells of {p.cell_km:g} km), so there is no "
                          "front to model: water covers it, or the line runs along the "
                          "theatre's edge")
    try:
        aims.check_scenario(spec, p.aims_scenario, path)
    except aims.AimsError as err:
        return MapProblem("aims_scenario", str(err))
    name = zones.ceded_zone(p)
    if name is None:
        return None
    try:
        zones.check_zone(spec, name, path)
    except zones.ZoneError as err:
        return MapProblem("unilateral_zone", str(err))
    if not zones.zone_ground(raster, name).any():
        return MapProblem("unilateral_zone", f"{where}: zones.{name} covers no ground of the "
                          f"theatre that Ukraine holds (at cells of {p.cell_km:g} km), so a "
                          "unilateral withdrawal would cede nothing; check its outline "
                          "against the map's oblast and line of contact")
    return None


def has_front(raster: Raster) -> bool:
    """Whether the ground Ukraine holds on the map's date meets the line of contact inside
    the oblast: what the theatre's first partition into sectors needs."""
    ground = raster.ua_held & ~raster.impassable
    front = front_cells(ground, raster.impassable if raster.has_water else None)
    try:
        active = _active_stretch(raster)
    except MapFileError:
        return False
    return bool((front.ravel() & active).any())
