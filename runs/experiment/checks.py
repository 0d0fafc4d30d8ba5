"""Checks of an experiment config that need the model's parameter schema.

Every model parameter an experiment mentions (in ``base``, an arm, a swept axis or a
table row) is validated through :class:`model.params.Params`, so the experiment runner
accepts exactly what the model accepts, with the same ranges, and reports it under the
key path where the user wrote it.

**The conflict rule**: a model parameter is given a value in one place only. The places
are :data:`PARAMETER_PLACES` of the file (the top-level ``horizon_days``, ``[base]``, the
arms, the design's axes or table) and the command line's ``--set`` (or a calibration's
searched parameters). A key set in two of them is an error naming both: one of the two
values would be silently overridden. Three pairs are not conflicts: the arms count as one
place (each arm is its own runs); ``[quick] horizon_days`` replaces the file's horizon in
the quick subset; and ``--set`` replaces a value the file's ``[base]`` or top level gives,
which is what it is for (change a published experiment without editing it: the command
line names the value, and the config hash holds it). Against an arm, a swept or tabled
parameter or the quick horizon, ``--set`` would be overridden or ambiguous: an error.
Every key of the schema is either a place or in :data:`NOT_PARAMETERS`; a test walks the
schema, so a new key cannot escape the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dmzsim.common import validation
from dmzsim.model.params import Params
from dmzsim.runs.experiment.schema import MAX_RUNS, Axis, ExperimentSpec, format_issue
from pydantic import ValidationError

#: The keys of an experiment file that give model parameters values (dotted paths in the
#: schema; ``base`` and ``arms`` hold parameters, the others are parameters or tables of
#: them). The conflict rule covers each.
PARAMETER_PLACES = ("horizon_days", "base", "arms", "design.parameters", "design.rows",
                    "design.file", "design.from_calibration", "quick.horizon_days")
#: Every other key of the schema: none gives a model parameter a value.
_NOT_PARAMETERS = (
    "name", "description", "question", "map", "map_sha256", "root_seed", "replicates",
    "baseline_arm", "design", "design.method", "design.samples", "design.second_order",
    "design.levels", "design.seed", "design.parameters.*.values", "design.parameters.*.min",
    "design.parameters.*.max", "design.parameters.*.scale", "outputs",
    "outputs.series_every", "adaptive", "adaptive.metric", "adaptive.target_half_width",
    "adaptive.confidence", "adaptive.initial", "adaptive.batch", "adaptive.max_replicates",
    "analysis", "analysis.sensitivity", "analysis.contrasts", "quick", "quick.replicates",
    "quick.arms", "quick.samples", "quick.max_replicates", "targets", "targets.*.arm",
    "targets.*.statistic", "targets.*.output", "targets.*.denominator", "targets.*.versus",
    "targets.*.q", "targets.*.day", "targets.*.per_days", "targets.*.low", "targets.*.high",
    "targets.*.tolerance", "targets.*.source", "targets.*.description",
)
NOT_PARAMETERS = (
    *_NOT_PARAMETERS,
    # [levers] and [uncertainties] do give parameters values, but they are compiled into
    # arms and the design (runs.experiment.robust) before the rule is applied, so the rule
    # covers them as those places; their overlap with each other and with [base] is
    # checked there, naming these keys.
    "levers", "levers.grid", "levers.policies", "uncertainties", "uncertainties.sampler",
    "uncertainties.parameters", "uncertainties.parameters.*.values",
    "uncertainties.parameters.*.min", "uncertainties.parameters.*.max",
    "uncertainties.samples", "uncertainties.levels", "uncertainties.seed",
    "uncertainties.file", "robustness", "robustness.thresholds", "robustness.rank_by",
    "robustness.percentile", "robustness.baseline_world", "robustness.flip_bins",
)
SAMPLED = ("lhs", "sobol", "morris")


@dataclass(frozen=True)
class Place:
    """Where one parameter gets a value: ``group`` is the place (``base``, ``arms.<arm>``,
    ``design``, ``quick``, ``set``), ``text`` how the error shows it (``key = value``)."""

    param: str
    group: str
    text: str


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parameter_places(spec: ExperimentSpec, *, table: str = "design.rows",
                     overrides: dict[str, Any] | None = None,
                     overrides_label: str = "--set") -> list[Place]:
    """Every place ``spec`` (and ``overrides``, e.g. ``--set``) gives a parameter a value,
    in the order top level, base, design, quick, arms, overrides. ``table`` names where a
    table design's rows came from (``design.rows``, or ``design.file = 'x.csv'``).

    A resolved config (the saved config of a results folder: every parameter spelled
    out in ``base``, ``horizon_days`` at the top as well) is read as written: its base
    holds, for a parameter an arm or the design sets, the schema's default, which no run
    uses; there only a base value other than that default counts as a place."""
    d, places = spec.design, []
    resolved = _resolved_form(spec)
    elsewhere = {k for a in spec.arms.values() for k in a} | set(d.parameters) | {
        k for r in d.rows or [] for k in r}
    if spec.horizon_days is not None and not resolved:
        places.append(Place("horizon_days", "base", f"horizon_days = {spec.horizon_days!r}"))
    defaults = Params.model_fields
    for key, value in spec.base.items():
        if resolved and key in elsewhere and value == defaults[key].default:
            continue
        places.append(Place(key, "base", f"base.{key} = {_shown(value)}"))
    for key, axis in d.parameters.items():
        shown = axis.values if not axis.is_range else {"min": axis.min, "max": axis.max}
        places.append(Place(key, "design", f"design.parameters.{key} = {_shown(shown)}"))
    for key in (d.rows or [{}])[0]:
        text = (f"design.rows[0].{key} = {_shown(d.rows[0][key])}"  # type: ignore[index]
                if table == "design.rows" else f"{table} (its column {key!r})")
        places.append(Place(key, "design", text))
    if spec.quick is not None and spec.quick.horizon_days is not None:
        places.append(Place("horizon_days", "quick",
                            f"quick.horizon_days = {spec.quick.horizon_days!r}"))
    for arm, values in spec.arms.items():
        places += [Place(k, f"arms.{arm}", f"arms.{arm}.{k} = {_shown(v)}")
                   for k, v in values.items()]
    places += [Place(k, "set", f"{overrides_label} {k}={v if isinstance(v, str) else _shown(v)}")
               for k, v in (overrides or {}).items()]
    return places


def _resolved_form(spec: ExperimentSpec) -> bool:
    """Whether ``spec`` is a resolved config as :func:`config._resolve` writes it."""
    return (spec.horizon_days is not None and set(spec.base) == set(Params.model_fields)
            and spec.base.get("horizon_days") == spec.horizon_days)


def _clash(a: Place, b: Place) -> bool:
    arms = a.group.startswith("arms.") and b.group.startswith("arms.")
    return not arms and {a.group, b.group} not in ({"base", "quick"}, {"base", "set"})


def check_conflicts(places: list[Place]) -> list[str]:
    """The conflict rule: one line per parameter given a value in two places."""
    by_param: dict[str, list[Place]] = {}
    for place in places:
        by_param.setdefault(place.param, []).append(place)
    issues = []
    for param, found in by_param.items():
        for i, later in enumerate(found):
            first = next((p for p in found[:i] if _clash(p, later)), None)
            if first is not None:
                issues.append(f"{later.text}: {param!r} is also set by {first.text}; set a "
                              "parameter in one place only")
                break
    return issues


def where_set(places: list[Place], param: str, arm: str | None) -> str | None:
    """How the place that gives ``param`` its value in ``arm``'s runs shows it (None:
    the schema's default, or the map's)."""
    for place in reversed(places):
        if place.param == param and place.group in ("design", "set", f"arms.{arm}", "base"):
            return place.text
    return None


def check_table_sources(spec: ExperimentSpec) -> list[str]:
    """A table design takes its rows from one of rows, file or from_calibration."""
    d = spec.design
    given = [k for k in ("rows", "file", "from_calibration") if getattr(d, k) is not None]
    if len(given) < 2:
        return []
    value = getattr(d, given[1])
    return [format_issue(f"design.{given[1]}", "[...]" if given[1] == "rows" else value,
                         f"design.{given[0]} gives the table's rows too; give one of "
                         "design.rows, design.file and design.from_calibration")]


def check_semantics(spec: ExperimentSpec) -> list[str]:
    """All problems found, as formatted lines (empty if the config is sound)."""
    issues = _check_base(spec)
    for arm, overrides in spec.arms.items():
        issues += _param_issues(base_values(spec), overrides, f"arms.{arm}")
    issues += _check_references(spec)
    issues += _check_design(spec)
    issues += _check_replicates(spec)
    issues += _check_targets(spec)
    issues += _check_analysis(spec)
    return issues or _check_size(spec)


def base_values(spec: ExperimentSpec) -> dict[str, Any]:
    """The base parameters as the file sets them, with a top-level ``horizon_days``."""
    base = dict(spec.base)
    if spec.horizon_days is not None:
        base["horizon_days"] = spec.horizon_days
    return base


def _check_base(spec: ExperimentSpec) -> list[str]:
    issues = _param_issues({}, spec.base, "base")
    if spec.horizon_days is not None:
        issues += _param_issues(spec.base, {"horizon_days": spec.horizon_days}, "")
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
            found = outputs.get(out, "run") if out is not None else None
            if out is not None and found is None:
                runs = ", ".join(outputs.names("run"))
                issues.append(format_issue(f"{at}.{key}", out,
                                           f"not an output of the run record ({runs})"))
            elif found is not None and found.category:
                issues.append(format_issue(f"{at}.{key}", out, "a category (a label or a "
                                           "code), not a quantity: no statistic of it "
                                           "means anything"))
        if t.statistic in ("p_by_day", "hazard_ratio", "difference") and t.output != "resumed":
            issues.append(format_issue(f"{at}.output", t.output,
                                       f"statistic {t.statistic!r} is read from 'resumed' "
                                       "and 'day_resumed'; use output = \"resumed\""))
    return issues + _check_target_horizon(spec)


def horizon_places(spec: ExperimentSpec) -> list[tuple[str, Any]]:
    """The places other than the base that set ``horizon_days`` (arms, the design), each
    as (key, value)."""
    found = [(f"arms.{a}.horizon_days", v["horizon_days"]) for a, v in spec.arms.items()
             if "horizon_days" in v]
    axis = spec.design.parameters.get("horizon_days")
    if axis is not None:
        found.append(("design.parameters.horizon_days", axis.values or [axis.min, axis.max]))
    found += [(f"design.rows[{i}].horizon_days", r["horizon_days"])
              for i, r in enumerate(spec.design.rows or []) if "horizon_days" in r]
    return found


def _check_target_horizon(spec: ExperimentSpec) -> list[str]:
    """Targets read one horizon (``p_by_day``'s day must lie within it; a hazard ratio
    and a difference are taken at it): the runs must share it."""
    if not spec.targets:
        return []
    varied = horizon_places(spec)
    if varied:
        return [format_issue(*varied[0], "an experiment with [targets] runs every "
                             "run to one horizon (its targets are read at it); set "
                             "horizon_days at the top level or in base")]
    return check_target_days(spec)


def check_target_days(spec: ExperimentSpec) -> list[str]:
    """A ``p_by_day`` target's day within the horizon (also after ``--quick``)."""
    horizon = base_values(spec).get("horizon_days", Params.model_fields["horizon_days"].default)
    return [format_issue(f"targets.{name}.day", t.day, f"beyond the horizon of "
                         f"{horizon} days: no run reaches it")
            for name, t in spec.targets.items() if t.day is not None and t.day > horizon]


def _check_analysis(spec: ExperimentSpec) -> list[str]:
    """``[analysis] sensitivity`` is read for Sobol' and Morris indices, and for the
    feature scores of two or more swept parameters; elsewhere nothing reads it."""
    d = spec.design
    if spec.analysis is None or "sensitivity" not in spec.analysis.model_fields_set:
        return []  # an [analysis] table of contrasts only: the report reads those always
    swept = len(d.parameters) if d.method != "table" else len((d.rows or [{}])[0])
    if d.method in ("sobol", "morris") or swept >= 2:
        return []
    return [format_issue("analysis.sensitivity", spec.analysis.sensitivity,
                         f"nothing reads it with design method {d.method!r} sweeping "
                         f"{swept} parameter(s): it names the outputs of a 'sobol' or "
                         "'morris' design's indices, or of the feature scores of two or "
                         "more swept parameters")]


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
    if d.method in SAMPLED and d.samples is None:
        issues.append(format_issue("design.samples", None, f"{d.method!r} needs samples"))
    issues += _check_sobol_n(spec)
    return issues + _unread_settings(spec)


def _unread_settings(spec: ExperimentSpec) -> list[str]:
    """A design or quick setting that the method does not read is an error, not a
    setting silently ignored (its default value is harmless: a resolved config spells
    the defaults out)."""
    d, issues = spec.design, []
    takes_samples = d.method in SAMPLED or d.from_calibration is not None
    robust_takes = spec.uncertainties is not None and spec.uncertainties.sampler in SAMPLED
    unread = [("design.samples", d.samples, d.samples is not None and not takes_samples,
               "lhs, sobol, morris (or a table from_calibration)"),
              ("design.second_order", d.second_order, d.second_order and d.method != "sobol",
               "sobol"),
              ("design.levels", d.levels,
               d.levels != type(d).model_fields["levels"].default and d.method != "morris",
               "morris"),
              ("design.seed", d.seed, d.seed is not None and d.method not in SAMPLED,
               "lhs, sobol, morris")]
    for name, axis in d.parameters.items():
        unread.append((f"design.parameters.{name}.scale", axis.scale,
                       axis.scale != "linear" and not axis.is_range,
                       "a range (min and max)"))
    q = spec.quick
    if q is not None:
        unread += [("quick.samples", q.samples,
                    q.samples is not None and not (takes_samples or robust_takes),
                    "lhs, sobol, morris (or a table from_calibration)"),
                   ("quick.max_replicates", q.max_replicates,
                    q.max_replicates is not None and spec.adaptive is None,
                    'replicates = "auto"')]
    for path, value, bad, reader in unread:
        if bad:
            issues.append(format_issue(path, value, f"not read by design method "
                                       f"{d.method!r}; only by {reader}"
                                       if not path.startswith("quick.max") else
                                       f"only read with {reader}"))
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
    issues: list[str] = []
    method = spec.design.method
    if method == "grid" and axis.is_range:
        issues.append(format_issue(path, "{min, max}", "grid needs a list of values"))
    if method in SAMPLED:
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
