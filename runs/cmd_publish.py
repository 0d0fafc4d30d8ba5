"""``dmzsim publish EXPERIMENT.toml``: run an experiment and write its reference results.

Writes ``runs/reference/<name>/`` (see :mod:`runs.publish.reference`) from a full run of
the experiment through the runner, or ``--from`` a finished results folder of the same
config, then rewrites the README's "Published experiments" block. ``--readme-only`` just
rewrites the block.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dmzsim.runs.cmd_run import add_executor_arguments, add_simulate_argument, executor_spec
from dmzsim.runs.errors import UsageError

HELP = "run a published experiment and write its reference results (runs/reference/<name>/)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiments", type=Path, nargs="*", metavar="EXPERIMENT",
                   help="experiment TOML files, e.g. runs/sequencing.toml")
    p.add_argument("--from", dest="results", type=Path, metavar="FOLDER",
                   help="publish this finished results folder (e.g. results/sequencing) "
                        "instead of running the experiment; one experiment only")
    p.add_argument("--out", type=Path, default=Path("results"),
                   help="parent folder of the results of the run (default: results/)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of the experiment, then publish")
    add_executor_arguments(p)
    add_simulate_argument(p)
    p.add_argument("--readme", type=Path, metavar="PATH",
                   help="README whose published block to rewrite (default: README.md in "
                        "the folder above the experiment files)")
    p.add_argument("--no-readme", action="store_true", help="leave the README alone")
    p.add_argument("--readme-only", action="store_true",
                   help="only rewrite the README block from the reference folders")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from dmzsim.runs.publish.publish import publish

    if args.readme_only:
        return _readme(args, strict=True)
    if not args.experiments:
        raise UsageError("name the experiment files to publish (or give --readme-only)")
    if args.results is not None and len(args.experiments) != 1:
        raise UsageError("--from takes the results of one experiment; name exactly one")
    spec = executor_spec(args)
    for path in args.experiments:
        pub = publish(path, results=args.results, out=args.out, executor=spec,
                      resume=args.resume, simulate=args.simulate,
                      progress=not args.no_progress, argv=sys.argv)
        print(f"{path}: published {pub.runs:,} runs from {pub.results} to {pub.folder}/")
        for note in pub.notes:
            print(note)
    return 0 if args.no_readme else _readme(args, strict=False)


def _readme(args: argparse.Namespace, strict: bool) -> int:
    """Rewrite the README block for the experiments' folder (default: the repo's runs/)."""
    from dmzsim.runs.publish.readme import END, START, render_block, rewrite
    from dmzsim.runs.sweep.manifest import REPO_ROOT

    runs_dir = args.experiments[0].parent if args.experiments else REPO_ROOT / "runs"
    readme = args.readme or runs_dir.resolve().parent / "README.md"
    problem = None
    if not readme.exists():
        problem = f"no README at {readme}; the published block was not written"
    elif not rewrite(readme, render_block(runs_dir, readme.parent)):
        problem = (f"{readme} has no published block; add the lines {START} and {END} "
                   "where it should go")
    if problem is None:
        print(f"README: published block rewritten in {readme}")
        return 0
    if strict:
        raise UsageError(problem)
    print(f"note: {problem}")
    return 0
