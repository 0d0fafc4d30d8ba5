"""``dmzsim publish EXPERIMENT``: run an experiment and write its reference results.

Writes ``runs/reference/<name>/`` (see :mod:`runs.publish.reference`) from a full run of
the experiment through the runner, or ``--from`` a finished results folder of the same
config, then rewrites the README's "Published experiments" block. ``--readme-only`` just
rewrites the block.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dmzsim.common.files import check_writable, describe
from dmzsim.runs.cli.options import (
    UsageError,
    add_executor_options,
    add_experiments_argument,
    add_out_option,
    add_progress_option,
    add_resume_options,
    add_simulate_option,
    executor_spec,
)
from dmzsim.runs.experiment.published import PUBLISHED_DIR, locate
from dmzsim.runs.publish.publish import publish
from dmzsim.runs.publish.readme import END, START, render_block, rewrite
from dmzsim.runs.publish.validation_page import rewrite_page


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_experiments_argument(p, "*")
    p.add_argument("--from", dest="results", type=Path, metavar="FOLDER",
                   help="publish this finished results folder (e.g. results/sequencing) "
                        "instead of running the experiment; one experiment only")
    add_out_option(p, "the results of the run")
    add_resume_options(p, "continue an interrupted run of the experiment, then publish")
    add_executor_options(p)
    add_simulate_option(p)
    p.add_argument("--readme", type=Path, metavar="PATH",
                   help="README whose published block to rewrite (default: README.md in "
                        "the folder above the experiment files)")
    p.add_argument("--no-readme", action="store_true", help="leave the README alone")
    p.add_argument("--readme-only", action="store_true",
                   help="only rewrite the README block from the reference folders")
    add_progress_option(p)


def run(args: argparse.Namespace) -> int:
    if args.readme_only:
        return _readme(args, strict=True)
    if not args.experiments:
        raise UsageError("name the experiment files to publish (or give --readme-only)")
    if args.results is not None and len(args.experiments) != 1:
        raise UsageError("--from takes the results of one experiment; name exactly one")
    spec = executor_spec(args)
    for path in args.experiments:
        pub = publish(path, results=args.results, out=args.out, executor=spec,
                      resume=args.resume, replace=args.replace, simulate=args.simulate,
                      progress=not args.no_progress, argv=sys.argv)
        print(f"{path}: published {pub.runs:,} runs from {pub.results} to {pub.folder}/")
        for note in pub.notes:
            print(note)
    return 0 if args.no_readme else _readme(args, strict=False)


def _readme(args: argparse.Namespace, strict: bool) -> int:
    """Rewrite the README block for the experiments' folder (default: the published
    experiments' folder, runs/)."""
    runs_dir = locate(args.experiments[0]).parent if args.experiments else PUBLISHED_DIR
    readme = args.readme or runs_dir.resolve().parent / "README.md"
    problem = None
    if describe(readme) is None:
        problem = f"no README at {readme}; the published block was not written"
    else:
        check_writable(readme, "--readme")  # a regular file: no FIFO, device or link
        if not rewrite(readme, render_block(runs_dir, readme.parent)):
            problem = (f"{readme} has no published block; add the lines {START} and {END} "
                       "where it should go")
    if problem is None:
        print(f"README: published block rewritten in {readme}")
        page = rewrite_page(runs_dir)
        if page is not None:
            print(f"validation page: targets table rewritten in {page}")
        return 0
    if strict:
        raise UsageError(problem)
    print(f"note: {problem}")
    return 0
