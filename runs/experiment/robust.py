"""Levers and uncertainties become the experiment's arms and design.

``[levers]`` compile to arms (one per policy) and ``[uncertainties]`` to the design (one
point per state of the world), so the existing runner, executors, resume and lock run a
robust experiment unchanged, and the seeds module gives replicate ``r`` of world ``w``
the same seed under every policy (common random numbers: the arm is not an input of a
seed). Both tables stay in the resolved config beside what they compile to, so the
report can tell policies and worlds from ordinary arms and design points.

Checks come first, all at once, each naming the key where the user wrote the value: an
unknown parameter, a value the model refuses, a lever that is also an uncertainty, an
empty range, a sampler's missing or unread setting, a threshold or ranking on a measure
that does not exist.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
from dmzsim.model.params import Params
from dmzsim.runs.experiment import seeds
from dmzsim.runs.experiment.checks import (
    _param_errors,
    _param_issues,
    _resolved_form,
    base_values,
)
from dmzsim.runs.experiment.robust_schema import (
    EXTRA_MEASURES,
    LeversSpec,
    UncertainAxis,
    UncertaintiesSpec,
    parse_threshold,
)
from dmzsim.runs.experiment.schema import (
    DesignSpec,
    ExperimentSpec,
    analysable_outputs,
    format_issue,
)
from scipy.stats import qmc

_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_+-]")


def is_robust(spec: ExperimentSpec) -> bool:
    """Whether ``spec`` declares any of ``[levers]``, ``[uncertainties]``, ``[robustness]``."""
    return any(x is not None for x in (spec.levers, spec.uncertainties, spec.robustness))


def world_measures() -> list[str]:
    """The measures a threshold or a ranking may name: P(resumption), days to resumption,
    and the mean of every yes/no or numeric output of a run (derived ones included)."""
    return [*EXTRA_MEASURES, *analysable_outputs()]


def expand(spec: ExperimentSpec) -> tuple[ExperimentSpec, list[str]]:
    """``spec`` with its levers as arms and its uncertainties as design, or the issues."""
    if not is_robust(spec):
        return spec, []
    issues = check_robust(spec)
    if issues:
        return spec, issues
    arms = policies(spec)
    design = world_design(spec)
    issues = _check_compiled_places(spec, arms, design)
    return spec.model_copy(update={"arms": arms, "design": design}), issues


def _check_compiled_places(spec: ExperimentSpec, arms: dict[str, dict[str, Any]],
                           design: DesignSpec) -> list[str]:
    """[arms] and [design] are what levers and uncertainties write: a file gives one or
    the other (a resolved config, which holds both, agrees with itself)."""
    issues = []
    if spec.arms and spec.arms != arms:
        issues.append(format_issue("arms", sorted(spec.arms), "[levers] gives the policies "
                                   "as arms; give [levers] or [arms], not both"))
    given = spec.design
    if given.method != "none" and given.method != design.method:
        issues.append(format_issue("design.method", given.method, "[uncertainties] gives "
                                   "the design; give [uncertainties] or [design], not both"))
    return issues


# --- checks -------------------------------------------------------------------------------
def check_robust(spec: ExperimentSpec) -> list[str]:
    """Every problem of the three tables, as formatted lines."""
    if spec.levers is None or spec.uncertainties is None:
        missing = "levers" if spec.levers is None else "uncertainties"
        return [format_issue(missing, None, "a robust experiment needs both [levers] (the "
                             "policies) and [uncertainties] (the states of the world)")]
    base = base_values(spec)
    issues = _check_levers(spec, base) + _check_overlap(spec)
    issues += _check_sampler(spec.uncertainties)
    for name, axis in spec.uncertainties.parameters.items():
        issues += _check_uncertainty(base, name, axis)
    return issues + _check_robustness(spec)


def _check_levers(spec: ExperimentSpec, base: dict[str, Any]) -> list[str]:
    levers, issues = spec.levers, []
    assert levers is not None
    for name, values in levers.grid.items():
        for i, value in enumerate(values):
            issues += [format_issue(f"levers.grid.{name}[{i}]", value, msg)
                       for _, msg in _param_errors(base, {name: value})]
    for policy, values in levers.policies.items():
        issues += _param_issues(base, values, f"levers.policies.{policy}")
    if levers.grid and not issues:
        size = int(np.prod([len(v) for v in levers.grid.values()]))
        if len(policies(spec)) < size:
            issues.append(format_issue("levers.grid", "{...}", "two combinations get the "
                                       "same name; use named policies"))
    names = lever_names(spec)
    if _resolved_form(spec):  # a saved config spells every parameter out in its base
        return issues
    in_base = sorted(set(names) & set(spec.base))
    if in_base:
        issues.append(format_issue(f"base.{in_base[0]}", spec.base[in_base[0]],
                                   "also a lever; a lever's value is set by each policy"))
    return issues


def lever_names(spec: ExperimentSpec) -> list[str]:
    """The parameters the policies set, in the order first met."""
    levers = spec.levers
    if levers is None:
        return []
    if levers.grid:
        return list(levers.grid)
    return list(dict.fromkeys(k for v in levers.policies.values() for k in v))


def _check_overlap(spec: ExperimentSpec) -> list[str]:
    assert spec.uncertainties is not None
    issues = []
    for name in spec.uncertainties.parameters:
        if name in lever_names(spec):
            issues.append(format_issue(f"uncertainties.parameters.{name}", "{...}",
                                       f"{name!r} is also a lever; a parameter is chosen "
                                       "(a lever) or not controlled (an uncertainty), "
                                       "not both"))
        elif name in spec.base and not _resolved_form(spec):
            issues.append(format_issue(f"base.{name}", spec.base[name],
                                       "also an uncertainty; set it in one place only"))
    return issues


def _check_sampler(u: UncertaintiesSpec) -> list[str]:
    at, issues = "uncertainties", []
    if u.sampler == "table":
        if u.file is None:
            issues.append(format_issue(f"{at}.file", None, "sampler 'table' needs a CSV file"))
        if u.parameters:
            issues.append(format_issue(f"{at}.parameters", sorted(u.parameters),
                                       "sampler 'table' takes its worlds from the file"))
    else:
        if not u.parameters:
            issues.append(format_issue(f"{at}.parameters", {}, f"{u.sampler!r} needs "
                                       "parameters"))
        if u.file is not None:
            issues.append(format_issue(f"{at}.file", u.file, "only read by sampler 'table'"))
    if u.sampler in ("lhs", "sobol") and u.samples is None:
        issues.append(format_issue(f"{at}.samples", None, f"{u.sampler!r} needs samples"))
    if u.sampler in ("grid", "table") and u.samples is not None:
        issues.append(format_issue(f"{at}.samples", u.samples, f"not read by sampler "
                                   f"{u.sampler!r}; only by lhs and sobol"))
    if u.sampler == "sobol":
        issues += _check_sobol(u)
    return issues


def _check_sobol(u: UncertaintiesSpec) -> list[str]:
    issues = [format_issue(f"uncertainties.parameters.{n}", a.values, "sampler 'sobol' "
                           "needs ranges (min and max); named values need lhs or grid")
              for n, a in u.parameters.items() if not a.is_range]
    if u.samples is not None and u.samples & (u.samples - 1):
        issues.append(format_issue("uncertainties.samples", u.samples,
                                   "Sobol' N must be a power of 2"))
    return issues


def _check_uncertainty(base: dict[str, Any], name: str, axis: UncertainAxis) -> list[str]:
    at = f"uncertainties.parameters.{name}"
    fields = Params.model_fields
    if name not in fields:
        shown = axis.values if not axis.is_range else {"min": axis.min, "max": axis.max}
        return [format_issue(at, shown, msg) for _, msg in _param_errors(base, {name: None})]
    if axis.is_range and fields[name].annotation not in (int, float):
        return [format_issue(at, {"min": axis.min, "max": axis.max},
                             "only numeric parameters have ranges; give a list of values")]
    bounds = ((f"{at}.min", axis.min), (f"{at}.max", axis.max)) if axis.is_range else \
        ((f"{at}.values[{i}]", v) for i, v in enumerate(axis.values or []))
    integer = fields[name].annotation is int
    return [format_issue(label, value, msg) for label, value in bounds
            for _, msg in _param_errors(base, {name: round(value) if integer and
                                               isinstance(value, float) else value})]


def _check_robustness(spec: ExperimentSpec) -> list[str]:
    r = spec.robustness
    if r is None:
        return []
    known, issues = world_measures(), []
    for i, text in enumerate(r.thresholds):
        measure = parse_threshold(text)[0]
        if measure not in known:
            issues.append(format_issue(f"robustness.thresholds[{i}]", text,
                                       f"unknown output {measure!r}; choose from {known}"))
    for i, measure in enumerate(r.rank_by):
        if measure not in known:
            issues.append(format_issue(f"robustness.rank_by[{i}]", measure,
                                       f"unknown output; choose from {known}"))
    n = n_worlds(spec.uncertainties) if spec.uncertainties else None
    if r.baseline_world is not None and n is not None and r.baseline_world >= n:
        issues.append(format_issue("robustness.baseline_world", r.baseline_world,
                                   f"there are {n} worlds, numbered from 0"))
    return issues


# --- compiling ------------------------------------------------------------------------------
def policies(spec: ExperimentSpec) -> dict[str, dict[str, Any]]:
    """The policies as arms: named ones as given; a grid's combinations named by their
    values (``territory_first-mirrored-5p0``)."""
    levers = spec.levers
    assert levers is not None
    if levers.policies:
        return {name: dict(values) for name, values in levers.policies.items()}
    names = list(levers.grid)
    out = {}
    for combo in itertools.product(*(levers.grid[n] for n in names)):
        label = "-".join(_NOT_IN_NAME.sub("_", str(v).replace(".", "p")) for v in combo)
        out[label[:80]] = dict(zip(names, combo, strict=True))
    return out


def shrink(spec: ExperimentSpec, kept: list[str] | None, samples: int | None
           ) -> ExperimentSpec:
    """A robust study's ``[quick]`` subset: only the ``kept`` policies (by name; a grid's
    become named policies), ``samples`` worlds drawn by the same sampler, compiled again
    so that the resolved config's levers, arms and design agree."""
    assert spec.levers is not None and spec.uncertainties is not None
    levers, u = spec.levers, spec.uncertainties
    if kept is not None:
        chosen = policies(spec)
        levers = LeversSpec(policies={name: chosen[name] for name in kept})
    if samples is not None:
        u = u.model_copy(update={"samples": samples})
    shrunk = spec.model_copy(update={"levers": levers, "uncertainties": u})
    return shrunk.model_copy(update={"arms": policies(shrunk),
                                     "design": world_design(shrunk)})


def n_worlds(u: UncertaintiesSpec) -> int | None:
    """How many worlds the sampler draws (None: a table file's rows, not read yet)."""
    if u.sampler == "grid":
        return int(np.prod([len(_grid_values(a, None, u.levels))
                            for a in u.parameters.values()]))
    if u.sampler == "sobol":
        return (u.samples or 0) * (len(u.parameters) + 2)
    return u.samples if u.sampler == "lhs" else None


def world_design(spec: ExperimentSpec) -> DesignSpec:
    """The design the worlds run as: a grid, Saltelli's sample (method sobol), a Latin
    hypercube (method lhs; a table of drawn rows when some uncertainty is a list of
    named values) or a table file."""
    u = spec.uncertainties
    assert u is not None
    types = {n: Params.model_fields[n].annotation for n in u.parameters}
    if u.sampler == "table":
        return DesignSpec.model_validate({"method": "table", "file": u.file})
    if u.sampler == "grid":
        params = {n: {"values": _grid_values(a, types[n], u.levels)}
                  for n, a in u.parameters.items()}
        return DesignSpec.model_validate({"method": "grid", "parameters": params})
    ranges = all(a.is_range for a in u.parameters.values())
    if ranges:
        params = {n: {"min": a.min, "max": a.max} for n, a in u.parameters.items()}
        return DesignSpec.model_validate({"method": u.sampler, "parameters": params,
                                          "samples": u.samples, "seed": u.seed})
    seed = u.seed if u.seed is not None else seeds.design_seed(spec.root_seed)
    return DesignSpec.model_validate({"method": "table",
                                      "rows": lhs_rows(u, types, seed)})


def _grid_values(axis: UncertainAxis, kind: Any, levels: int) -> list[Any]:
    if not axis.is_range:
        return list(axis.values or [])
    values = np.linspace(float(axis.min or 0.0), float(axis.max or 0.0), levels)
    if kind is int:
        return list(dict.fromkeys(round(float(v)) for v in values))
    return [float(v) for v in values]


def lhs_rows(u: UncertaintiesSpec, types: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """A Latin hypercube over ranges and lists of named values alike: a list of k values
    takes the k equal shares of the unit interval, so each value is drawn as often."""
    names = list(u.parameters)
    unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed))
    sample = unit.random(int(u.samples or 0))
    rows = []
    for point in sample:
        row = {}
        for name, x in zip(names, point, strict=True):
            row[name] = _from_unit(u.parameters[name], types[name], float(x))
        rows.append(row)
    return rows


def _from_unit(axis: UncertainAxis, kind: Any, x: float) -> Any:
    if not axis.is_range:
        values = axis.values or []
        return values[min(int(x * len(values)), len(values) - 1)]
    value = float(axis.min or 0.0) + x * (float(axis.max or 0.0) - float(axis.min or 0.0))
    return round(value) if kind is int else value
