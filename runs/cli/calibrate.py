"""``dmzsim calibrate FILE``: fit parameters to an experiment's targets (Optuna).

Writes ``<out>/<name>/`` (:class:`analysis.results_layout.CalibrationLayout`): every
trial's runs, the table of trials, the accepted set, the best parameters and a report
(:mod:`runs.calibration`). Run it again to resume a calibration that was stopped: finished
trials are not run again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dmzsim.analysis.results_layout import CalibrationLayout
from dmzsim.runs import calibration
from dmzsim.runs.calibration.search import search
from dmzsim.runs.calibration.summary import write_outputs
from dmzsim.runs.cli.options import (
    add_executor_options,
    add_out_option,
    add_progress_option,
    executor_spec,
)
from dmzsim.runs.sweep.lock import folder_lock


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("calibration", type=Path, help="calibration TOML file")
    add_out_option(p, "the calibration folder")
    add_executor_options(p)
    add_progress_option(p)


def run(args: argparse.Namespace) -> int:
    cal = calibration.load(args.calibration)
    folder = args.out / cal.spec.name
    with folder_lock(folder):  # one calibration writes a folder at a time
        study = search(cal, folder, executor=executor_spec(args),
                       progress=not args.no_progress)
        df = write_outputs(cal, study, folder)
    best = df.loc[df["objective"].idxmin()]
    print(f"{cal.spec.name}: {len(df)} trials, {int(df['accepted'].sum())} accepted; best "
          f"trial {int(best['trial'])} (objective {best['objective']:.4g}): "
          + ", ".join(f"{p} = {best[p]:.6g}" for p in cal.ranges))
    print(f"report: {CalibrationLayout(folder).report}")
    return 0
