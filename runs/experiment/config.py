"""The experiment config: one TOML file under ``runs/`` describes a whole study.

An experiment is *arms x design points x replicates* runs:

* ``base``: model parameters shared by every run (fields of :class:`model.params.Params`);
* ``arms``: named variants of the base (e.g. the sequencing options), compared with
  common random numbers;
* ``design``: the swept parameters and how their values are chosen (grid, lhs, sobol,
  morris or an explicit table); each distinct setting is a *design point*;
* ``replicates``: a number, or ``"auto"`` to add replicates until the confidence interval
  on P(resumption) is narrow enough (see ``[adaptive]``);
* ``map`` (optional): the theatre map file every run uses instead of the default map; its
  sha256 goes into the resolved config, so a changed map file is a changed config.

Validation is strict: unknown keys, wrong types, values out of range and references to
arms that do not exist are errors naming the key path and the value, collected all at
once so a user fixes the file in one pass. The schema lives in
:mod:`runs.experiment.schema`; the checks that need the model's parameter schema live in
:mod:`runs.experiment.checks`.
"""

from __future__ import annotations

import csv
import hashlib
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dmzsim.analysis.provenance import config_hash_of
from dmzsim.analysis.results_layout import CalibrationLayout, ResultsLayout
from dmzsim.common import validation
from dmzsim.common.tomlfile import read_toml
from dmzsim.model.params import ParamError, Params, parse_value
from dmzsim.model.theatre_map import load_map
from dmzsim.runs.experiment import robust, seeds, tomlout
from dmzsim.runs.experiment.checks import (
    base_values,
    check_conflicts,
    check_semantics,
    check_table_sources,
    check_target_days,
    parameter_places,
)
from dmzsim.runs.experiment.published import locate, published_names
from dmzsim.runs.experiment.runs_map import check_run_maps
from dmzsim.runs.experiment.schema import CONFIG_KEYS, OTHER_NAMES, ExperimentSpec, format_issue
from dmzsim.runs.experiment.schema import ExperimentError as ExperimentError
from pydantic import ValidationError

DEFAULT_ARM = "base"


@dataclass(frozen=True)
class ExperimentConfig:
    """A validated, resolved experiment: what the runner needs and what gets hashed."""

    spec: ExperimentSpec
    source: str
    resolved: dict[str, Any]
    map_file: Path | None = None  # the ``map`` file, resolved; None: the default map

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def arm_names(self) -> list[str]:
        return list(self.spec.arms) or [DEFAULT_ARM]

    def arm_overrides(self, arm: str) -> dict[str, Any]:
        """Parameter values that distinguish ``arm`` from the base."""
        return dict(self.spec.arms.get(arm, {}))

    def base_params(self) -> dict[str, Any]:
        """The fully resolved base parameters (every Params field, defaults filled in)."""
        return dict(self.resolved["base"])

    @property
    def config_hash(self) -> str:
        """sha256 of the canonical resolved config; results from another hash never mix."""
        return config_hash_of(self.resolved)

    def changes_since(self, folder: Path, ignore: Collection[str] = ()) -> list[str]:
        """How this config differs from the one saved in ``folder`` (a results or
        reference folder; nothing saved counts as an empty config), as 'path: old -> new';
        ``ignore``: parameters of the base left out (e.g. :meth:`added_since`)."""
        base = {k: v for k, v in self.resolved["base"].items() if k not in ignore}
        return dict_diff(_saved_config(folder), {**self.resolved, "base": base})

    def added_since(self, folder: Path) -> list[str]:
        """Parameters the config saved in ``folder`` lacks and this one sets to their
        defaults: the model gained them since, and at their defaults they change none of
        its runs (the model without them behaved as their default does)."""
        saved = _saved_config(folder).get("base", {})
        fields = Params.model_fields
        return sorted(k for k, v in self.resolved["base"].items()
                      if k not in saved and k in fields and v == fields[k].default)

    def to_toml(self) -> str:
        """The resolved config as TOML; loading it back gives the same config hash."""
        header = (f"# Resolved config of experiment {self.name!r} (from {self.source}).\n"
                  "# Every model parameter is spelled out so later changes to defaults\n"
                  "# cannot silently change what these results mean.\n\n")
        return header + tomlout.dumps(self.resolved)


def load(path: str | Path, *, quick: bool = False, base: dict[str, Any] | None = None,
         replicates: int | None = None) -> ExperimentConfig:
    """Read, validate and resolve an experiment TOML file (``quick``: its [quick] subset);
    a published experiment can also be given by name (:func:`published.locate`).

    ``base`` sets model parameters the file leaves unset and ``replicates`` replaces its
    replicates (``dmzsim run --set``, ``--replicates``); both are checked like the file
    itself and become part of the resolved config and its hash. A parameter that ``base``
    sets and the file sets too is an error (the conflict rule, :mod:`.checks`).
    """
    path = locate(path)
    if len(path.parts) == 1 and not path.exists():  # a bare name: say what names exist
        raise ExperimentError(f"experiment {path}: file not found (nor a published "
                              f"experiment: {', '.join(published_names())})")
    data = read_toml(path, what="experiment", error=ExperimentError)
    if replicates is not None:
        data["replicates"] = replicates
        if isinstance(data.get("quick"), dict):
            data["quick"].pop("replicates", None)
    return from_dict(data, source=str(path), quick=quick, base_dir=path.parent,
                     overrides=base)


def from_dict(data: dict[str, Any], *, source: str = "<dict>", quick: bool = False,
              base_dir: Path | None = None, overrides: dict[str, Any] | None = None,
              overrides_label: str = "--set") -> ExperimentConfig:
    """Validate a config dict (as read from TOML) and resolve it.

    ``overrides`` are model parameters given outside the file (``--set``, shown in errors
    as ``overrides_label``), added to its base. Everything a run will meet is checked
    here, before any folder exists: the file's keys and values, the conflict rule, and
    the map and zone of every arm and design point (:mod:`.runs_map`).
    """
    base_dir = base_dir or Path(".")
    spec = _validate_structure(data, source)
    spec, issues = robust.expand(spec)  # [levers] and [uncertainties] -> arms and design
    if issues:
        raise ExperimentError.from_issues(source, issues)
    issues = check_table_sources(spec)
    if issues:
        raise ExperimentError.from_issues(source, issues)
    table = "design.rows"
    if spec.design.file is not None:
        table = f"design.file = {spec.design.file!r}"
        spec = _inline_table_file(spec, source, base_dir)
    if spec.design.from_calibration is not None:
        table = f"design.from_calibration = {spec.design.from_calibration!r}"
        spec = _inline_accepted_sets(spec, source, base_dir)
    places = parameter_places(spec, table=table, overrides=overrides,
                              overrides_label=overrides_label)
    if overrides:  # --set replaces the file's base value, and its top-level horizon
        update: dict[str, Any] = {"base": {**spec.base, **overrides}}
        if "horizon_days" in overrides and spec.horizon_days is not None:
            update["horizon_days"] = overrides["horizon_days"]
        spec = spec.model_copy(update=update)
    map_file, map_digest, map_issues = _check_map(spec, base_dir)
    issues = check_conflicts(places) + check_semantics(spec) + map_issues
    if not issues:
        issues = check_run_maps(spec, map_file, places)
    if issues:
        raise ExperimentError.from_issues(source, issues)
    if quick:
        spec = _apply_quick(spec, source)
        issues = check_target_days(spec)
        if issues:
            raise ExperimentError.from_issues(source, [f"with --quick: {i}" for i in issues])
    spec = _fix_design_seed(spec)
    if map_file is not None:
        spec = spec.model_copy(update={"map_sha256": map_digest})
    return ExperimentConfig(spec=spec, source=source, resolved=_resolve(spec), map_file=map_file)


def _saved_config(folder: Path) -> dict[str, Any]:
    """The resolved config saved in a results or reference folder ({} if none)."""
    saved = ResultsLayout(folder).config  # a reference keeps it under the same name
    return tomllib.loads(saved.read_text()) if saved.exists() else {}


def dict_diff(old: Any, new: Any, path: str = "") -> list[str]:
    """Key paths whose values differ between two nested dicts, as 'path: old -> new'."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += dict_diff(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (hex)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_map(spec: ExperimentSpec,
               base_dir: Path) -> tuple[Path | None, str | None, list[str]]:
    """The ``map`` file (relative to the experiment file's folder) and its sha256 if it
    loads as a map; otherwise the issues. ``map_sha256``, if given, must match."""
    if spec.map is None:
        issues = [] if spec.map_sha256 is None else [
            format_issue("map_sha256", spec.map_sha256, "needs a map key naming the file")]
        return None, None, issues
    path = base_dir / spec.map
    try:
        load_map(path)
    except (OSError, ValueError) as err:  # each line names a key of the map file
        return None, None, [format_issue("map", spec.map, line)
                            for line in str(err).splitlines()]
    digest = file_sha256(path)
    if spec.map_sha256 is not None and spec.map_sha256 != digest:
        reason = f"the map file {path} has sha256 {digest}; it has changed"
        return None, None, [format_issue("map_sha256", spec.map_sha256, reason)]
    return path.resolve(), digest, []


def _fix_design_seed(spec: ExperimentSpec) -> ExperimentSpec:
    """Sampled designs get a seed derived from the root seed, so every session (and a
    resume) draws the very same design points."""
    if spec.design.method not in ("lhs", "sobol", "morris") or spec.design.seed is not None:
        return spec
    design = spec.design.model_copy(update={"seed": seeds.design_seed(spec.root_seed)})
    return spec.model_copy(update={"design": design})


def _validate_structure(data: dict[str, Any], source: str) -> ExperimentSpec:
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as err:
        found = validation.issues(err, CONFIG_KEYS, aliases=OTHER_NAMES)
        lines = [f"{i.path}: {i.message}" if i.missing else format_issue(i.path, i.value,
                                                                          i.message)
                 for i in found]
        raise ExperimentError.from_issues(source, lines) from None


def _inline_table_file(spec: ExperimentSpec, source: str, base_dir: Path) -> ExperimentSpec:
    """Read ``design.file`` (CSV, UTF-8) into ``design.rows`` so the resolved config is
    whole. A file that cannot be read, is not UTF-8 text, has no rows or a column twice
    is an error naming it."""
    file = base_dir / str(spec.design.file)
    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            rows = _table_rows(csv.DictReader(fh))
        if not rows:
            raise ParamError(f"{file}: no rows (the file is empty or has a header only)")
    except (OSError, ParamError, UnicodeDecodeError, csv.Error) as err:
        raise ExperimentError.from_issues(
            source, [format_issue("design.file", spec.design.file, _csv_problem(err, file))]
        ) from None
    design = spec.design.model_copy(update={"rows": rows, "file": None})
    return spec.model_copy(update={"design": design})


def _csv_problem(err: Exception, file: Path) -> str:
    if isinstance(err, UnicodeDecodeError):
        return f"{file}: not a text file (not UTF-8)"
    if isinstance(err, csv.Error):
        return f"{file}: not a CSV file ({err})"
    if isinstance(err, IsADirectoryError):
        return f"{file}: is a folder, not a CSV file"
    return str(err)


def _table_rows(reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    """Each row of a CSV design as parameter values, every cell read by
    :func:`~dmzsim.model.params.parse_value` (so 3 is an int and 0.5 a float, as in
    ``--set``). The first line with a ragged row, an empty cell or a bad value is a
    :class:`ParamError` naming the line: a CSV's user looks for lines, not row indices."""
    rows: list[dict[str, Any]] = []
    header = reader.fieldnames or []
    twice = sorted({n for n in header if header.count(n) > 1})
    if twice:
        raise ParamError(f"line 1: column {twice[0]!r} is named twice")
    for row in reader:
        line = f"line {reader.line_num}"
        if None in row or None in row.values():
            raise ParamError(f"{line}: the row's cells do not match the header's "
                             f"{len(reader.fieldnames or ())} columns")
        empty = [name for name, text in row.items() if not text.strip()]
        if empty:
            raise ParamError(f"{line}: empty cell for {', '.join(map(repr, empty))}")
        rows.append(_table_row(row, line))
    return rows


def _table_row(row: dict[str, str], line: str) -> dict[str, Any]:
    """One CSV row's values; every bad cell of it in one :class:`ParamError`."""
    values, bad = {}, []
    for name, text in row.items():
        try:
            values[name] = parse_value(name, text)
        except ParamError as err:
            bad.append(str(err))
    if bad:
        raise ParamError(f"{line}: {'; '.join(bad)}")
    return values


def _inline_accepted_sets(spec: ExperimentSpec, source: str, base_dir: Path
                          ) -> ExperimentSpec:
    """Read a calibration's accepted sets into ``design.rows`` (best first; the
    ``samples`` best if given), so the resolved config holds the values it ran."""
    import pandas as pd

    where = "design.from_calibration"
    folder = base_dir / str(spec.design.from_calibration)
    accepted = CalibrationLayout(folder).accepted
    issue = None
    if spec.design.method != "table" or spec.design.rows is not None:
        issue = "needs method = 'table' and no rows or file of its own"
    elif not accepted.is_file():
        issue = f"no {accepted.name} in {folder} (a dmzsim calibrate folder)"
    if issue is None:
        acc = pd.read_parquet(accepted).sort_values("objective")
        names = [c for c in acc.columns if c in Params.model_fields]
        if acc.empty or not names:
            issue = f"{folder}: the accepted set is empty; no trial met every target"
    if issue is not None:
        raise ExperimentError.from_issues(
            source, [format_issue(where, spec.design.from_calibration, issue)])
    if spec.design.samples is not None:
        acc = acc.head(spec.design.samples)
    rows = [{n: float(v) for n, v in zip(names, r, strict=True)}
            for r in acc[names].itertuples(index=False)]
    return spec.model_copy(update={"design": spec.design.model_copy(update={"rows": rows})})


def _apply_quick(spec: ExperimentSpec, source: str) -> ExperimentSpec:
    """Shrink the experiment to its declared [quick] subset, under a name of its own (a
    robust study: a subset of its policies x worlds x replicates)."""
    q = spec.quick
    if q is None:
        raise ExperimentError(f"experiment {source}: --quick needs a [quick] table")
    update: dict[str, Any] = {"name": f"{spec.name}_quick", "quick": None,
                              "description": f"{spec.description} (quick subset)".strip()}
    if q.arms is not None and spec.baseline_arm not in q.arms:
        update["baseline_arm"] = None
    if robust.is_robust(spec):  # fewer policies and worlds, compiled again
        spec = robust.shrink(spec, q.arms, q.samples)
        q = q.model_copy(update={"arms": None, "samples": None})
    if q.arms is not None:
        update["arms"] = {a: spec.arms[a] for a in q.arms}
    if q.replicates is not None:
        update["replicates"] = q.replicates
    if q.horizon_days is not None:
        update["horizon_days"] = q.horizon_days
    if q.samples is not None:
        update["design"] = spec.design.model_copy(update={"samples": q.samples})
    if q.max_replicates is not None and spec.adaptive is not None:
        update["adaptive"] = spec.adaptive.model_copy(
            update={"max_replicates": q.max_replicates,
                    "initial": min(spec.adaptive.initial, q.max_replicates)})
    return spec.model_copy(update=update)


def _resolve(spec: ExperimentSpec) -> dict[str, Any]:
    """The canonical config: defaults filled in, model parameters spelled out in full."""
    data = spec.model_dump(mode="json", exclude_none=True)
    if not data.get("targets"):  # an experiment without targets hashes as it always did
        data.pop("targets", None)
    data["base"] = Params.build(base_values(spec)).model_dump(mode="json")
    data["horizon_days"] = data["base"]["horizon_days"]
    data["arms"] = {a: spec.arms.get(a, {}) for a in (list(spec.arms) or [DEFAULT_ARM])}
    return data
