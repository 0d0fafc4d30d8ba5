"""Design points: the settings of the swept parameters, one row per point.

Methods: ``grid`` (full factorial of value lists), ``lhs`` (scipy's Latin hypercube),
``sobol`` and ``morris`` (SALib samplers, so SALib's analysers accept the results),
``table`` (rows given explicitly) and ``none`` (one point, nothing swept).

The design is written next to the results (its points, its description and the raw
sampler matrix: :class:`analysis.results_layout.ResultsLayout`) with the SALib
``problem``: Sobol and Morris indices need exactly the sample the runs were made from, in
order, and integer parameters are rounded before they reach the model, so the applied
values alone would not do.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from dmzsim.runs.experiment.schema import DesignSpec
from SALib.sample import morris, sobol
from scipy.stats import qmc


@dataclass(frozen=True)
class Design:
    """The design points of an experiment and what is needed to analyse them."""

    method: str
    names: list[str]
    points: pd.DataFrame  # one row per point (row i = point i), applied parameter values
    sample: np.ndarray | None = None  # raw sampler output, problem space, rows = points
    problem: dict[str, Any] | None = None  # SALib problem (bounds in log10 if scale=log)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        return len(self.points)

    def point_params(self, point: int) -> dict[str, Any]:
        """Parameter values of one point as plain Python scalars (for Params)."""
        row = self.points.iloc[point]
        return {name: _plain(row[name]) for name in self.names}

    def to_json(self) -> dict[str, Any]:
        """The design's description file (the points and sample go to Parquet)."""
        return {"method": self.method, "names": self.names, "n_points": self.n_points,
                "problem": self.problem, "settings": self.settings}


def build_design(spec: DesignSpec, types: dict[str, type]) -> Design:
    """Expand a design spec into points; ``types`` maps parameter name -> int/float/str."""
    builders = {"none": _none, "grid": _grid, "table": _table,
                "lhs": _sampled, "sobol": _sampled, "morris": _sampled}
    return builders[spec.method](spec, types)


def _none(spec: DesignSpec, types: dict[str, type]) -> Design:
    return Design("none", [], pd.DataFrame(index=range(1)))


def _grid(spec: DesignSpec, types: dict[str, type]) -> Design:
    names = list(spec.parameters)
    combos = itertools.product(*(spec.parameters[n].values or [] for n in names))
    points = pd.DataFrame(list(combos), columns=names)
    levels = {n: spec.parameters[n].values for n in names}
    return Design("grid", names, points, settings={"levels": levels})


def _table(spec: DesignSpec, types: dict[str, type]) -> Design:
    rows = spec.rows or []
    names = list(rows[0]) if rows else []
    return Design("table", names, pd.DataFrame(rows, columns=names))


def _sampled(spec: DesignSpec, types: dict[str, type]) -> Design:
    names = list(spec.parameters)
    problem = salib_problem(spec)
    sample = _draw(spec, problem)
    points = pd.DataFrame({n: _apply(spec, types, n, sample[:, i])
                           for i, n in enumerate(names)})
    settings = {"samples": spec.samples, "seed": spec.seed,
                "scales": {n: spec.parameters[n].scale for n in names}}
    if spec.method == "sobol":
        settings["second_order"] = spec.second_order
    if spec.method == "morris":
        settings["levels"] = spec.levels
    return Design(spec.method, names, points, sample, problem, settings)


def salib_problem(spec: DesignSpec) -> dict[str, Any]:
    """The SALib problem dict; log-scale parameters are sampled in log10 units."""
    bounds = []
    for axis in spec.parameters.values():
        lo, hi = float(axis.min or 0.0), float(axis.max or 0.0)
        bounds.append([np.log10(lo), np.log10(hi)] if axis.scale == "log" else [lo, hi])
    return {"num_vars": len(bounds), "names": list(spec.parameters), "bounds": bounds}


def _draw(spec: DesignSpec, problem: dict[str, Any]) -> np.ndarray:
    n = int(spec.samples or 0)
    if spec.method == "sobol":
        return sobol.sample(problem, n, calc_second_order=spec.second_order, seed=spec.seed)
    if spec.method == "morris":
        return morris.sample(problem, n, num_levels=spec.levels, seed=spec.seed)
    unit = qmc.LatinHypercube(d=problem["num_vars"], rng=np.random.default_rng(spec.seed))
    bounds = np.asarray(problem["bounds"], dtype=float)
    return qmc.scale(unit.random(n), bounds[:, 0], bounds[:, 1])


def _apply(spec: DesignSpec, types: dict[str, type], name: str, col: np.ndarray) -> np.ndarray:
    """Sampler units -> model values: undo log10, round integer parameters."""
    axis = spec.parameters[name]
    values = np.power(10.0, col) if axis.scale == "log" else col
    values = np.clip(values, axis.min, axis.max)  # undo float round-off at the bounds
    if types.get(name) is int:
        return np.rint(values).astype(np.int64)
    return values.astype(float)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
