"""``dmzsim validate [EXPERIMENT]``: the model against the targets an experiment names.

Runs the experiment (``runs/validation.toml`` unless another is named) like ``dmzsim
run`` does, or reads runs already made (``--from``: a results folder or a published
reference folder), and prints one row per ``[targets.<name>]``: the model's value with
its 95% interval, the target range, the verdict and the source. Exit 0 when every target
is met (inside its range or within its tolerance), 1 when one is not.

With ``--from``, the targets are those of the experiment the folder's runs were made with
(its saved config); a folder whose experiment has none is an error. An experiment
named as well must be that one (its targets may differ: they are what is evaluated).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from dmzsim.analysis.results_layout import ReferenceLayout, ResultsLayout
from dmzsim.analysis.target_spec import TargetSpec
from dmzsim.analysis.targets import evaluate, table
from dmzsim.common.tomlfile import read_toml
from dmzsim.runs import experiment
from dmzsim.runs.cli.options import (
    UsageError,
    add_executor_options,
    add_out_option,
    add_progress_option,
    add_resume_options,
    executor_spec,
)
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.lock import folder_lock
from pydantic import ValidationError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", type=Path, nargs="?", default=None,
                   help="experiment with [targets] (default: the published 'validation'; "
                        "with --from, the experiment the folder's runs were made with)")
    p.add_argument("--from", dest="source", type=Path, metavar="FOLDER",
                   help="evaluate runs already made: a results folder or a reference folder "
                        "(runs/reference/<name>/)")
    p.add_argument("--quick", action="store_true", help="run the experiment's [quick] subset")
    add_out_option(p, "the results")
    add_executor_options(p)
    add_resume_options(p, "continue an interrupted run")
    add_progress_option(p)


def runs_of(folder: Path) -> pd.DataFrame:
    """The run records of a results folder or of a published reference folder."""
    reference = ReferenceLayout(folder)
    if reference.runs.is_file():
        return pd.read_parquet(reference.runs)
    from dmzsim.analysis.loader import FolderReadError, load_experiment

    try:
        return load_experiment(folder).summary
    except (FileNotFoundError, FolderReadError) as err:
        raise UsageError(f"--from {folder}: neither a results folder nor a reference "
                         f"folder (no {ResultsLayout(folder).config.name} or "
                         f"{reference.runs.name})") from err


def folder_targets(folder: Path) -> tuple[str, dict[str, TargetSpec], float]:
    """The experiment name, targets and horizon the runs in ``folder`` were made with
    (its saved, resolved config); an error if it names no targets (a folder
    without one is an error too, as :func:`runs_of` says it)."""
    config = ResultsLayout(folder).config  # a reference keeps it under the same name
    if not config.is_file():
        raise UsageError(f"--from {folder}: neither a results folder nor a reference folder "
                         f"(no {config.name})")
    data = read_toml(config, what="--from: the experiment", error=UsageError)
    name = data.get("name", folder.name)
    raw = data.get("targets") or {}
    if not raw:
        raise UsageError(f"--from {folder}: its experiment {name!r} names no [targets] "
                         f"({config}), so its runs have nothing to be validated against")
    try:
        targets = {k: TargetSpec.model_validate(v) for k, v in raw.items()}
        horizon = float(data["horizon_days"])
    except (ValidationError, KeyError, TypeError, ValueError) as err:
        raise UsageError(f"--from {folder}: {config} cannot be read as a resolved "
                         f"config ({str(err).splitlines()[0]})") from None
    return name, targets, horizon


def run(args: argparse.Namespace) -> int:
    exp = None
    if args.experiment is not None or args.source is None:
        exp = experiment.load(args.experiment or Path("validation"), quick=args.quick)
        if not exp.spec.targets:
            raise UsageError(f"{args.experiment}: the experiment names no [targets]")
    if args.source is not None:
        return _evaluate_folder(args.source, exp)
    assert exp is not None
    with folder_lock(args.out / exp.name):
        report = run_experiment(exp, args.out, executor=executor_spec(args),
                                resume=args.resume, replace=args.replace,
                                progress=not args.no_progress, argv=sys.argv)
    if report.status != "completed" or report.failed or report.pending:
        print(f"{exp.name}: {report.status}, {report.failed} failed, {report.pending} "
              f"pending; the targets are not evaluated", file=sys.stderr)
        return 1
    folder = report.folder
    horizon = float(exp.base_params()["horizon_days"])
    return _print(exp.name, exp.spec.targets, runs_of(folder), horizon, folder)


def _evaluate_folder(folder: Path, exp: experiment.ExperimentConfig | None) -> int:
    """The targets of the folder's own experiment (or of ``exp``, if it is that one)
    against its runs."""
    if exp is None:
        name, targets, horizon = folder_targets(folder)
        return _print(name, targets, runs_of(folder), horizon, folder)
    runs = runs_of(folder)
    changes = [c for c in exp.changes_since(folder) if not c.startswith("targets")]
    if changes:
        more = f" and {len(changes) - 1} more" if len(changes) > 1 else ""
        raise UsageError(f"--from {folder}: its runs were made with another config than "
                         f"{exp.source} ({changes[0]}{more}); validate {exp.source} "
                         "without --from to run it")
    horizon = float(exp.base_params()["horizon_days"])
    return _print(exp.name, dict(exp.spec.targets), runs, horizon, folder)


def _print(name: str, targets: dict[str, TargetSpec], runs: pd.DataFrame, horizon: float,
           folder: Path) -> int:
    results = evaluate(targets, runs, horizon)
    print(f"{name}: targets against {folder}\n")
    print(table(results))
    return 0 if all(r.passed for r in results) else 1
