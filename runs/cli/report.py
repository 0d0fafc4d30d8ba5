"""``dmzsim report FOLDER``: tables, figures and plain-words headlines for one experiment
(:func:`analysis.report.build.write_report`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dmzsim.analysis.loader import FolderReadError
from dmzsim.analysis.provenance import config_mismatch
from dmzsim.analysis.report.build import write_report
from dmzsim.analysis.report.context import ReportOptionError
from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.runs.cli.options import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, help="experiment folder, e.g. results/sequencing")
    p.add_argument("--baseline", metavar="ARM",
                   help="compare every arm with this one (default: the experiment's "
                        "baseline_arm); an arm of the experiment, or one as the report "
                        "shows it, e.g. frozen_line for the two identical frozen-line arms")
    p.add_argument("--contrast", nargs=2, action="append", default=[],
                   metavar=("ARM", "OTHER"),
                   help="also show ARM minus OTHER, paired by seed, with intervals "
                        "(repeatable; beside the experiment file's [analysis] contrasts)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="processes that draw the figures while the report is built "
                        "(default 0: this one draws them; 2 on two idle cores takes some "
                        "20%% off a report's time)")


def run(args: argparse.Namespace) -> int:
    """Write the report for ``args.folder``."""
    left_out: dict[Path, str] = {}
    if args.workers < 0:
        raise UsageError(f"--workers must be >= 0 (0: this process draws the figures), "
                         f"got {args.workers}")
    try:
        path = write_report(args.folder, left_out, baseline=args.baseline,
                            contrasts=[tuple(c) for c in args.contrast],
                            workers=args.workers)
    except (FolderReadError, ReportOptionError) as err:
        raise UsageError(str(err)) from None
    for file, why in left_out.items():
        print(f"dmzsim report: left out ({why}): {file}", file=sys.stderr)
    mismatch = config_mismatch(args.folder)
    if mismatch is not None:  # a warning: the report is written, and says so too
        print(f"dmzsim report: warning: {mismatch}", file=sys.stderr)
    layout = ResultsLayout(args.folder)
    print(f"report: {path}  (and {layout.report_html.name}, {layout.figures.name}/)")
    return 0
