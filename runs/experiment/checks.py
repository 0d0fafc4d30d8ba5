"""Checks of an experiment config that need the model's parameter schema.

Every model parameter an experiment mentions (in ``base``, an arm, a swept axis or a
table row) is validated through :class:`model.params.Params`, so the experiment runner
accepts exactly what the model accepts, with the same ranges, and reports it under the
key path where the user wrote it.
"""

from __future__ import annotations

import math
from typing import Any

from dmzsim.common import validation
from dmzsim.model.params import Params
from dmzsim.runs.experiment.schema import MAX_RUNS, Axis, ExperimentSpec, format_issue
from pydantic import ValidationError


def check_semantics(spec: ExperimentSpec) -> list[str]:
    """All problems found, as formatted lines (empty if the config is sound)."""
    issues = _check_base(spec)
    for arm, overrides in spec.arms.items():
        issues += _param_issues(base_values(spec), overrides, f"arms.{arm}")
    issues += _check_references(spec)
    issues += _check_design(spec)
    issues += _check_replicates(spec)
    issues += _check_targets(spec)
    return issues or _check_size(spec)


def base_values(spec: ExperimentSpec) -> dict[str, Any]:
    """The base parameters as the file sets them, with a top-level ``horizon_days``."""
    base = dict(spec.base)
    if spec.horizon_days is not None:
        base["horizon_days"] = spec.horizon_days
    return base


def _check_base(spec: ExperimentSpec) -> list[str]:
    issues = _param_issues({}, spec.base, "base")
    top, inner = spec.horizon_days, spec.base.get("horizon_days")
    if top is not None:
        issues += _param_issues(spec.base, {"horizon_days": top}, "")
    if top is not None and inner is not None and top != inner:
        issues.append(format_issue("base.horizon_days", inner,
                                   f"conflicts with horizon_days = {top}; set it once"))
    return issues


def _param_issues(under: dict[str, Any], values: dict[str, Any], prefix: str) -> list[str]:
    """Validate ``values`` on top of ``under``; report only keys that ``values`` sets."""
    return [format_issue(f"{prefix}.{key}" if prefix else key, values[key], msg)
            for key, msg in _param_errors(under, values)]


def _param_errors(under: dict[str, Any], values: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        Params.model_validate({**under, **values})
    except ValidationError as err:
        found = validation.issues(err, Params.model_fields, unknown="unknown model parameter")
        keyed = [(str(i.loc[0]) if i.loc else "<root>", i.message) for i in found]
        return [(key, msg) for key, msg in keyed if key in values]
    return []


def _check_references(spec: ExperimentSpec) -> list[str]:
    known = list(spec.arms) or ["base"]
    issues = []
    if spec.baseline_arm is not None and spec.baseline_arm not in known:
        issues.append(format_issue("baseline_arm", spec.baseline_arm,
                                   f"unknown arm; arms are {known}"))
    if spec.quick is not None and spec.quick.arms is not None:
        for i, arm in enumerate(spec.quick.arms):
            if arm not in known:
                issues.append(format_issue(f"quick.arms[{i}]", arm,
                                           f"unknown arm; arms are {known}"))
    for i, pair in enumerate((spec.analysis.contrasts if spec.analysis else None) or []):
        for j, arm in enumerate(pair):
            if arm not in known:
                issues.append(format_issue(f"analysis.contrasts[{i}][{j}]", arm,
                                           f"unknown arm; arms are {known}"))
    return issues


def _check_targets(spec: ExperimentSpec) -> list[str]:
    """Each target names an arm of the experiment and outputs of the run record; a
    probability target's output is a boolean one."""
    from dmzsim.model import outputs

    known = list(spec.arms) or ["base"]
    issues = []
    for name, t in spec.targets.items():
        at = f"targets.{name}"
        for key in ("arm", "versus"):
            arm = getattr(t, key)
            if arm is not None and arm not in known:
                issues.append(format_issue(f"{at}.{key}", arm, f"unknown arm; arms are {known}"))
        for key in ("output", "denominator"):
            out = getattr(t, key)
            if out is not None and outputs.get(out, "run") is None:
                runs = ", ".join(outputs.names("run"))
                issues.append(format_issue(f"{at}.{key}", out,
                                           f"not an output of the run record ({runs})"))
        if t.statistic in ("p_by_day", "hazard_ratio", "difference") and t.output != "resumed":
            issues.append(format_issue(f"{at}.output", t.output,
                                       f"statistic {t.statistic!r} is read from 'resumed' "
                                       "and 'day_resumed'; use output = \"resumed\""))
    return issues


def _check_replicates(spec: ExperimentSpec) -> list[str]:
    if spec.replicates == "auto" and spec.adaptive is None:
        return [format_issue("replicates", "auto", "needs an [adaptive] table")]
    if spec.replicates != "auto" and spec.adaptive is not None:
        return [format_issue("adaptive", "{...}", 'only used with replicates = "auto"')]
    a = spec.adaptive
    if a is not None and a.initial > a.max_replicates:
        return [format_issue("adaptive.initial", a.initial,
                             f"exceeds adaptive.max_replicates = {a.max_replicates}")]
    return []


def design_size(spec: ExperimentSpec) -> int:
    """Design points the design will have, computed without building it (SALib's sizes:
    Sobol' N(D+2), or N(2D+2) with second order; Morris r(D+1))."""
    d, n_params = spec.design, len(spec.design.parameters)
    if d.method == "grid":
        return math.prod(len(axis.values or ()) for axis in d.parameters.values())
    if d.method == "table":
        return len(d.rows or ())
    n = d.samples or 1
    if d.method == "sobol":
        return n * ((2 if d.second_order else 1) * n_params + 2)
    if d.method == "morris":
        return n * (n_params + 1)
    return n if d.method == "lhs" else 1


def _check_size(spec: ExperimentSpec) -> list[str]:
    """The whole experiment must stay below MAX_RUNS: checked at load, before the planner
    (or anything on disk) is asked to handle it."""
    per_cell = (spec.adaptive.max_replicates if spec.adaptive is not None
                else int(spec.replicates))
    runs = max(len(spec.arms), 1) * design_size(spec) * per_cell
    if runs <= MAX_RUNS:
        return []
    key = "adaptive.max_replicates" if spec.adaptive is not None else "replicates"
    return [format_issue(key, per_cell, f"makes {runs:,} runs (arms x design points x "
                         f"replicates); at most {MAX_RUNS:,}")]


def _check_design(spec: ExperimentSpec) -> list[str]:
    d = spec.design
    issues = _check_design_form(spec)
    base = base_values(spec)
    for name, axis in d.parameters.items():
        issues += _check_axis(spec, base, name, axis)
    for i, row in enumerate(d.rows or []):
        issues += _param_issues(base, row, f"design.rows[{i}]")
        issues += _arm_conflicts(spec, row, f"design.rows[{i}]")
    return issues


def _check_design_form(spec: ExperimentSpec) -> list[str]:
    d, issues = spec.design, []
    if d.method in ("none", "table") and d.parameters:
        issues.append(format_issue("design.parameters", sorted(d.parameters),
                                   f"not used by method {d.method!r}"))
    if d.method != "none" and d.method != "table" and not d.parameters:
        issues.append(format_issue("design.parameters", {}, f"{d.method!r} needs parameters"))
    if d.method == "table" and not d.rows and d.file is None:
        issues.append(format_issue("design.rows", None, "method 'table' needs rows, file "
                                   "or from_calibration"))
    if d.method != "table" and (d.rows is not None or d.file is not None
                                or d.from_calibration is not None):
        issues.append(format_issue("design.rows", "...", "only used with method 'table'"))
    if d.method == "table" and d.rows and len({frozenset(r) for r in d.rows}) > 1:
        issues.append(format_issue("design.rows", "...", "every row must set the same keys"))
    if d.method in ("lhs", "sobol", "morris") and d.samples is None:
        issues.append(format_issue("design.samples", None, f"{d.method!r} needs samples"))
    issues += _check_sobol_n(spec)
    return issues


def _check_sobol_n(spec: ExperimentSpec) -> list[str]:
    if spec.design.method != "sobol":
        return []
    issues = []
    pairs = [("design.samples", spec.design.samples),
             ("quick.samples", spec.quick.samples if spec.quick else None)]
    for path, n in pairs:
        if n is not None and n & (n - 1):
            issues.append(format_issue(path, n, "Sobol' N must be a power of 2"))
    return issues


def _check_axis(spec: ExperimentSpec, base: dict[str, Any], name: str, axis: Axis) -> list[str]:
    path = f"design.parameters.{name}"
    fields = Params.model_fields
    if name not in fields:
        return _param_issues(base, {name: None}, "design.parameters")
    issues = _arm_conflicts(spec, {name: None}, path)
    method = spec.design.method
    if method == "grid" and axis.is_range:
        issues.append(format_issue(path, "{min, max}", "grid needs a list of values"))
    if method in ("lhs", "sobol", "morris"):
        if not axis.is_range:
            issues.append(format_issue(path, axis.values, f"{method!r} needs min and max"))
        elif fields[name].annotation not in (int, float):
            issues.append(format_issue(path, "{min, max}", "only numeric parameters have "
                                       "ranges"))
    checks = axis.values or []
    if axis.is_range:
        integer = fields[name].annotation is int
        checks = [round(v) if integer else v for v in (axis.min, axis.max)]
    for i, value in enumerate(checks):
        label = f"{path}.values[{i}]" if not axis.is_range else f"{path}.{('min', 'max')[i]}"
        for _, msg in _param_errors(base, {name: value}):
            issues.append(format_issue(label, value, msg))
    return issues


def _arm_conflicts(spec: ExperimentSpec, swept: dict[str, Any], path: str) -> list[str]:
    """A parameter both swept and set by an arm would make a run ambiguous."""
    issues = []
    for arm, overrides in spec.arms.items():
        for key in swept:
            if key in overrides:
                issues.append(format_issue(f"arms.{arm}.{key}", overrides[key],
                                           f"also swept by {path}; set it in one place"))
    return issues
