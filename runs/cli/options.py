"""What several subcommands share: the error for bad options, and the options themselves
(where runs execute, the simulate function, the output folder, the progress bar)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dmzsim.runs.sweep.executors import ExecutorSpec
from dmzsim.runs.sweep.worker import SimulateFn, load_simulate


class UsageError(ValueError):
    """A bad command-line option or combination of options."""


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """--serial / --dask / --workers / --chunk: where runs execute (see :func:`executor_spec`)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true",
                       help="run in this process, one run at a time (debugging); a run "
                            "that kills its process ends the command unrecorded: "
                            "--workers 1 isolates such runs")
    where.add_argument("--dask", metavar="ADDRESS",
                       help="Dask scheduler, e.g. tcp://scheduler:8786, or 'local' for a "
                            "local Dask cluster (needs the 'cluster' extra)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: all cores); with --dask local, "
                        "the cluster size")
    p.add_argument("--chunk", type=int, metavar="N",
                   help="runs sent to a worker in one task (default: as many as take "
                        "about 0.05 s on local processes, 0.5 s on Dask); results do not "
                        "depend on it")


def executor_spec(args: argparse.Namespace) -> ExecutorSpec:
    """The ExecutorSpec that --serial / --workers / --dask / --chunk ask for."""
    return ExecutorSpec.from_options(serial=args.serial, workers=args.workers, dask=args.dask,
                                     chunk=getattr(args, "chunk", None))


def add_simulate_option(p: argparse.ArgumentParser) -> None:
    """--simulate MODULE:FUNCTION (read with :func:`simulate_function`)."""
    p.add_argument("--simulate", metavar="MODULE:FUNCTION",
                   help="use another simulate function with model.api.simulate's "
                        "signature (testing, model variants)")


def simulate_function(args: argparse.Namespace) -> SimulateFn | None:
    """The function --simulate names, or None for the real model."""
    return load_simulate(args.simulate)


def add_out_option(p: argparse.ArgumentParser, what: str) -> None:
    """--out FOLDER, the parent of a results folder (default results/)."""
    p.add_argument("--out", type=Path, default=Path("results"),
                   help=f"parent folder of {what} (default: results/)")


def add_resume_options(p: argparse.ArgumentParser, resume_help: str) -> None:
    """--resume, and --replace for a fresh run into a folder whose ``.prev`` is taken."""
    how = p.add_mutually_exclusive_group()
    how.add_argument("--resume", action="store_true", help=resume_help)
    how.add_argument("--replace", action="store_true",
                     help="a fresh run moves earlier results to <name>.prev; if that "
                          "already holds an older run, remove it (without this the command "
                          "stops and changes nothing)")


def add_progress_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_experiments_argument(p: argparse.ArgumentParser, nargs: str) -> None:
    """The experiment files (or names of published experiments) to work on."""
    p.add_argument("experiments", type=Path, nargs=nargs, metavar="EXPERIMENT",
                   help="experiment TOML files, e.g. runs/*.toml, or names of published "
                        "experiments, e.g. sequencing")


def warn_about_map(command: str, path: Path | None) -> None:
    """Print what is suspicious about a map the command is about to use (a valid map can
    still have its sides the wrong way round); the command goes on."""
    if path is None:
        return
    from dmzsim.model.map_schema import map_warnings
    from dmzsim.model.theatre_map import load_map

    for line in map_warnings(load_map(path)):
        print(f"dmzsim {command}: warning: map file {path}: {line}", file=sys.stderr)
