"""The map of every run an experiment will make, checked before the experiment starts.

A run meets its map through five parameters: ``cell_km`` (the raster's size),
``sequencing``, ``dmz_shape`` and ``unilateral_zone`` (whether the agreement cedes a zone,
and which), and ``aims_scenario`` (which of its aims scenarios Russia holds). Each
distinct setting of these over every arm and design point is checked against the
experiment's map (:func:`model.map_checks.run_map_problem`): a zone the map lacks or that
cedes nothing, an aims scenario it does not declare, a theatre too large for the cell
size, a map with no front.
Each problem is reported under the key that set the parameter (``arms.tf.unilateral_zone =
'nope'``), so an experiment that would fail in every run fails at load instead, before
its results folder exists.

Ranges of a sampled design are checked at their ends, and when an experiment uses more
than :data:`MAX_CELL_SIZES` cell sizes, at the smallest and the largest: a theatre is
largest at the smallest cells, and a zone or a front is likeliest to vanish at the
largest.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from dmzsim.model import zones
from dmzsim.model.map_checks import run_map_problem
from dmzsim.model.params import Params
from dmzsim.runs.experiment.checks import SAMPLED, Place, base_values, where_set
from dmzsim.runs.experiment.schema import ExperimentSpec

#: The parameters through which a run meets its map.
MAP_PARAMETERS = ("cell_km", "sequencing", "dmz_shape", "unilateral_zone", "aims_scenario")
MAX_CELL_SIZES = 3


def design_settings(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """The distinct settings of :data:`MAP_PARAMETERS` the design gives its points (a
    range: its two ends); ``[{}]`` when it sets none."""
    d = spec.design
    if d.method == "table":
        rows = [{k: r[k] for k in MAP_PARAMETERS if k in r} for r in d.rows or []]
    else:
        axes = {k: (list(a.values) if not a.is_range else [a.min, a.max])
                for k, a in d.parameters.items() if k in MAP_PARAMETERS}
        if d.method in SAMPLED and "cell_km" in axes:
            axes["cell_km"] = [float(v) for v in axes["cell_km"]]
        rows = [dict(zip(axes, combo, strict=True))
                for combo in itertools.product(*axes.values())]
    unique = {tuple(sorted(r.items())): r for r in rows}
    return list(unique.values()) or [{}]


def check_run_maps(spec: ExperimentSpec, map_file: Path | None,
                   places: list[Place]) -> list[str]:
    """Problems of the map that some arm and design point would meet, one line each,
    under the key that set the parameter involved."""
    base = base_values(spec)
    runs: dict[tuple[float, str | None, str], tuple[str | None, Params]] = {}
    for arm in list(spec.arms) or [None]:
        overrides = spec.arms.get(arm, {}) if arm is not None else {}
        for point in design_settings(spec):
            p = Params.build({**base, **overrides, **point})
            runs.setdefault((p.cell_km, zones.ceded_zone(p), p.aims_scenario), (arm, p))
    sizes = sorted({cell for cell, _, _ in runs})
    if len(sizes) > MAX_CELL_SIZES:
        sizes = [sizes[0], sizes[-1]]
    issues: list[str] = []
    for (cell, _zone, _aims), (arm, p) in runs.items():
        if cell not in sizes:
            continue
        problem = run_map_problem(map_file, p)
        if problem is None:
            continue
        line = problem.message
        if problem.param is not None:
            value = getattr(p, problem.param)
            where = (where_set(places, problem.param, arm)
                     or f"{problem.param} = {value!r} (the default)")
            line = f"{where}: {problem.message}"
        elif spec.map is not None:
            line = f"map = {spec.map!r}: {problem.message}"
        if line not in issues:
            issues.append(line)
    return issues
