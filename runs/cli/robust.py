"""``dmzsim robust EXPERIMENT``: policies x states of the world x replicates, and which
policy is robust.

The file's ``[levers]`` become the arms and its ``[uncertainties]`` the design
(:mod:`runs.experiment.robust`), so the sweep is ``dmzsim run``'s own: the same runner,
executors, ``--resume``, folder lock and options, and every policy meets every world
with the same replicate seeds. The report (:mod:`analysis.report.robust`) adds the
robustness sections to the usual ones. A subcommand of its own rather than a mode of
``run`` so that a file without levers and uncertainties is refused here with a clear
message, instead of running as an ordinary experiment with no robustness to report;
``dmzsim run`` on a robust file runs and reports the same folder.
"""

from __future__ import annotations

import argparse

from dmzsim.runs.cli import run as run_command
from dmzsim.runs.experiment.robust import is_robust
from dmzsim.runs.experiment.schema import ExperimentError


def add_arguments(p: argparse.ArgumentParser) -> None:
    run_command.add_arguments(p)


def run(args: argparse.Namespace) -> int:
    """Check that the file declares levers and uncertainties, then run it as ``run``."""
    exp = run_command.load_experiment_of(args)
    if not is_robust(exp.spec):
        raise ExperimentError(f"experiment {exp.source}: no [levers] or [uncertainties]: "
                              "dmzsim robust compares policies across states of the world; "
                              "run an ordinary experiment with dmzsim run")
    return run_command.run(args)
