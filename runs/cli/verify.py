"""``dmzsim verify EXPERIMENT ...``: do the published reference results still hold?

Exit status: 0 every experiment reproduces its reference (versions may differ, which is
printed); 1 some results differ, some runs failed, or --strict-versions and the versions
differ; 2 bad input, e.g. an experiment without a reference (the message says how to
publish one). Each experiment is checked even when an earlier one fails.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from dmzsim.common.files import check_writable, check_writable_folder, write_text_atomic
from dmzsim.runs.cli.options import (
    add_executor_options,
    add_experiments_argument,
    add_progress_option,
    add_simulate_option,
    executor_spec,
)
from dmzsim.runs.experiment import ExperimentError
from dmzsim.runs.publish.reference import PublishError
from dmzsim.runs.publish.verdict import describe, differences_frame
from dmzsim.runs.publish.verify import Verification, verify
from dmzsim.runs.sweep.executors import ExecutorHandle, ExecutorSpec, open_executor


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_experiments_argument(p, "+")
    p.add_argument("--quick", action="store_true",
                   help="re-run only a fixed subset of each reference's runs (at most 50, "
                        "every arm, a resumption in every arm that has one, same seeds) "
                        "instead of the whole experiment")
    p.add_argument("--strict-versions", action="store_true",
                   help="fail when dmzsim, Mesa, NumPy or Python differ from the "
                        "reference's versions (default: say so and go on)")
    add_executor_options(p)
    add_simulate_option(p)
    p.add_argument("--out", type=Path,
                   help="without --quick: keep the re-run results in OUT/<name>/ "
                        "(default: a temporary folder, removed afterwards)")
    p.add_argument("--diff-csv", type=Path, metavar="PATH",
                   help="write every differing output of every run to this CSV file")
    p.add_argument("--max-shown", type=int, default=3, metavar="N",
                   help="runs listed per differing output (default 3; --diff-csv has all)")
    add_progress_option(p)


def run(args: argparse.Namespace) -> int:
    spec = executor_spec(args)
    if args.diff_csv is not None:  # checked before the runs, which may take hours
        check_writable(args.diff_csv, "--diff-csv")
    if args.out is not None:
        check_writable_folder(args.out, "--out")
    results: list[Verification] = []
    code = 0
    # --quick shares one executor among all files; full re-runs go through the runner,
    # which opens its own.
    with open_executor(spec) if args.quick else contextlib.nullcontext() as handle:
        for path in args.experiments:
            code = max(code, _verify_one(args, path, spec, handle, results))
    if args.diff_csv is not None:
        write_text_atomic(differences_frame(results).to_csv(index=False), args.diff_csv)
        print(f"differences: {args.diff_csv}")
    if len(args.experiments) > 1:
        ok = sum(v.ok(args.strict_versions) for v in results)
        print(f"verified {ok} of {len(args.experiments)} experiments")
    return code


def _verify_one(args: argparse.Namespace, path: Path, spec: ExecutorSpec,
                handle: ExecutorHandle | None, results: list[Verification]) -> int:
    """Verify one file; bad input is reported here so the other files still get checked."""
    try:
        v = verify(path, quick=args.quick, executor=spec, handle=handle,
                   simulate=args.simulate, out=args.out, progress=not args.no_progress)
    except (PublishError, ExperimentError) as err:
        print(f"dmzsim verify: error: {err}", file=sys.stderr)
        return 2
    results.append(v)
    print("\n".join(describe(v, args.max_shown, args.strict_versions)), flush=True)
    return 0 if v.ok(args.strict_versions) else 1

