"""``dmzsim validate [EXPERIMENT]``: the model against the targets an experiment names.

Runs the experiment (``runs/validation.toml`` unless another is named) like ``dmzsim
run`` does, or reads runs already made (``--from``: a results folder or a published
reference folder), and prints one row per ``[targets.<name>]``: the model's value with
its 95% interval, the target range, the verdict and the source. Exit 0 when every target
is met (inside its range or within its tolerance), 1 when one is not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from dmzsim.analysis.results_layout import ReferenceLayout, ResultsLayout
from dmzsim.analysis.targets import evaluate, table
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


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", type=Path, nargs="?", default=Path("validation"),
                   help="experiment with [targets] (default: the published 'validation')")
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


def run(args: argparse.Namespace) -> int:
    exp = experiment.load(args.experiment, quick=args.quick)
    if not exp.spec.targets:
        raise UsageError(f"{args.experiment}: the experiment names no [targets]")
    if args.source is None:
        with folder_lock(args.out / exp.name):
            report = run_experiment(exp, args.out, executor=executor_spec(args),
                                    resume=args.resume, replace=args.replace,
                                    progress=not args.no_progress,
                                    argv=sys.argv)
        if report.status != "completed" or report.failed or report.pending:
            print(f"{exp.name}: {report.status}, {report.failed} failed, {report.pending} "
                  f"pending; the targets are not evaluated", file=sys.stderr)
            return 1
        folder = report.folder
    else:
        folder = args.source
    horizon = float(exp.base_params()["horizon_days"])
    results = evaluate(exp.spec.targets, runs_of(folder), horizon)
    print(f"{exp.name}: targets against {folder}\n")
    print(table(results))
    return 0 if all(r.passed for r in results) else 1
