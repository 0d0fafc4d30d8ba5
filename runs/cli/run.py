"""``dmzsim run EXPERIMENT``: run (or resume) an experiment and report on it."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import traceback
from pathlib import Path

from dmzsim.analysis.report.build import write_report
from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.common.files import OutputError
from dmzsim.model.params import parse_overrides
from dmzsim.runs import experiment
from dmzsim.runs.cli.options import (
    add_executor_options,
    add_out_option,
    add_progress_option,
    add_resume_options,
    add_simulate_option,
    executor_spec,
    simulate_function,
    warn_about_map,
)
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.design import Design, build_design
from dmzsim.runs.sweep import param_types, run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec
from dmzsim.runs.sweep.lock import folder_lock
from dmzsim.runs.sweep.manifest import model_identity
from dmzsim.runs.sweep.results import ResultsFolder
from dmzsim.runs.sweep.runner import SweepReport
from dmzsim.runs.sweep.tasks import build_task
from dmzsim.runs.sweep.worker import SimulateFn, execute

# A report has some ten figures: more processes drawing them than this would mostly wait.
MAX_DRAWING_WORKERS = 4


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", type=Path,
                   help="experiment TOML file, e.g. runs/sequencing.toml, or the name of a "
                        "published experiment, e.g. sequencing")
    add_out_option(p, "the results")
    add_executor_options(p)
    add_resume_options(p, "continue an interrupted sweep: finished runs are skipped, "
                          "failed ones retried; with a larger --replicates, add replicates "
                          "to a finished one")
    p.add_argument("--quick", action="store_true",
                   help="run the experiment's [quick] subset (results in <name>_quick/)")
    p.add_argument("--no-report", action="store_true", help="do not write figures/report")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE",
                   help="set a model parameter for every run, one the file does not "
                        "set (repeatable; it changes the config, so --resume refuses a "
                        "folder made without it)")
    p.add_argument("--replicates", type=int, metavar="N",
                   help="replicates per arm and design point, instead of the file's; "
                        "with --resume, more than the folder holds adds replicates")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would run (runs, arms, design points) and an estimate "
                        "of the time from a few timed runs; write nothing")
    add_progress_option(p)
    add_simulate_option(p)


def load_experiment_of(args: argparse.Namespace, quick: bool | None = None
                       ) -> ExperimentConfig:
    """The experiment as the command line asks for it (--quick unless ``quick`` says
    otherwise, --set, --replicates)."""
    base = parse_overrides(getattr(args, "overrides", []))
    return experiment.load(args.experiment, quick=args.quick if quick is None else quick,
                           base=base, replicates=getattr(args, "replicates", None))


def run(args: argparse.Namespace) -> int:
    """Run the sweep and write its report, holding the results folder all along."""
    exp = load_experiment_of(args)
    spec = executor_spec(args)  # bad --workers or --chunk are refused, dry run or not
    if getattr(args, "dry_run", False):
        print(dry_run_text(exp, args))
        return 0
    warn_about_map("run", exp.map_file)
    simulate = simulate_function(args)
    with folder_lock(args.out / exp.name):
        return _run_and_report(args, exp, spec, simulate)


def _run_and_report(args: argparse.Namespace, exp: ExperimentConfig, spec: ExecutorSpec,
                    simulate: SimulateFn | None) -> int:
    report = run_experiment(exp, args.out, executor=spec, resume=args.resume,
                            simulate=simulate, progress=not args.no_progress, argv=sys.argv,
                            replace=getattr(args, "replace", False))
    for note in report.notes:
        print(note)
    print(summary_text(report, exp.name))
    code = report.exit_code
    if report.status == "interrupted":
        print(f"continue with: {_command(args, resume=True)}")
    elif not args.no_report and report.ok:
        code = max(code, _report_safely(report.folder, _drawing_workers(spec)))
    if args.quick:
        print(full_run_hint(args, report))
    return code


def summary_text(report: SweepReport, name: str) -> str:
    """The closing lines: what ran, what failed, where the results are."""
    rate = (report.ran_ok + report.ran_failed) / report.wall_s if report.wall_s else 0.0
    lines = [f"{name}: {report.status} in {_duration(report.wall_s)}: {report.planned} runs "
             f"planned, {report.ok} ok, {report.failed} failed, {report.pending} pending "
             f"(this session ran {report.ran_ok + report.ran_failed} at {rate:.1f} runs/s; "
             f"{report.skipped} were already done)"]
    if report.failed:
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(report.error_types.items()))
        lines.append(f"FAILED: {report.failed} runs ({kinds}); details in "
                     f"{ResultsLayout(report.folder).failures}; after a fix, --resume reruns "
                     "only them")
    if report.pool_restarts:
        lines.append(f"worker processes died {report.pool_restarts} times; the pool was "
                     "restarted and the runs involved retried one by one")
    lines.append(f"results: {report.folder}  (Python: from dmzsim.analysis.loader import "
                 f"load_experiment; load_experiment({str(report.folder)!r}))")
    return "\n".join(lines)


def full_run_hint(args: argparse.Namespace, report: SweepReport) -> str:
    """After --quick: the command for the full experiment and a rough time estimate."""
    n = full_size(load_experiment_of(args, quick=False))
    per_run = report.wall_s / max(report.ran_ok + report.ran_failed, 1)
    est = f"; about {_duration(n * per_run)} at this session's speed" if report.ran_ok else ""
    return (f"this was the quick subset. The full experiment ({n} runs{est}):\n"
            f"  {_command(args, quick=False)}")


def full_size(exp: ExperimentConfig) -> int:
    """Runs in an experiment (for replicates = "auto", the most it can take)."""
    points = build_design(exp.spec.design, param_types()).n_points
    reps = exp.spec.replicates
    per_cell = exp.spec.adaptive.max_replicates if reps == "auto" else int(reps)
    return len(exp.arm_names) * points * per_cell


def _command(args: argparse.Namespace, *, resume: bool = False, quick: bool | None = None
             ) -> str:
    """The command that was run, every option spelled out (``--resume`` and ``--quick`` as
    asked), so that following it continues the same sweep with the same model."""
    parts = ["dmzsim", "run", str(args.experiment)]
    if args.out != Path("results"):
        parts += ["--out", str(args.out)]
    if args.serial:
        parts.append("--serial")
    if args.dask:
        parts += ["--dask", args.dask]
    if args.workers:
        parts += ["--workers", str(args.workers)]
    if getattr(args, "chunk", None):
        parts += ["--chunk", str(args.chunk)]
    if args.quick if quick is None else quick:
        parts.append("--quick")
    if resume or (args.resume and quick is None):
        parts.append("--resume")
    flags = {"--no-report": args.no_report, "--no-progress": args.no_progress}
    parts += [flag for flag, on in flags.items() if on]
    if args.simulate:
        parts += ["--simulate", args.simulate]
    for text in getattr(args, "overrides", []):
        parts += ["--set", text]
    if getattr(args, "replicates", None) is not None:
        parts += ["--replicates", str(args.replicates)]
    return shlex.join(parts)


def dry_run_text(exp: ExperimentConfig, args: argparse.Namespace, timed: int = 3) -> str:
    """What ``exp`` would run, and how long: ``timed`` runs in this process, scaled by
    the runs still to do and the workers (an estimate: arms differ in cost). With
    --resume, the folder's finished runs are left out, and a resume the folder would
    refuse is refused here too."""
    design = build_design(exp.spec.design, param_types())
    n = full_size(exp)
    done = _already_done(exp, args) if args.resume else 0
    todo = max(n - done, 0)
    per_run = _time_runs(exp, design, simulate_function(args), timed)
    workers = 1 if args.serial else (args.workers or os.cpu_count() or 1)
    resumed = f"; {done:,} already in the folder, {todo:,} to run" if args.resume else ""
    return (f"{exp.name}: {n:,} runs = {len(exp.arm_names)} arms ({', '.join(exp.arm_names)})"
            f" x {design.n_points} design points ({design.method}) x "
            f"{exp.spec.replicates} replicates{resumed}.\n"
            f"estimated time: about {_duration(todo * per_run / min(workers, max(todo, 1)))} "
            f"on {workers} worker(s) (an estimate: {timed} timed runs, of arms "
            f"{', '.join(dict.fromkeys(_timed_arms(exp, timed)))}, took {per_run:.2f} s each "
            "here; arms and seeds differ in cost).\n"
            f"would write {args.out / exp.name}/; nothing was written.")


def _already_done(exp: ExperimentConfig, args: argparse.Namespace) -> int:
    """Finished runs a resume would keep (checking, as the resume would, that it may)."""
    store = ResultsFolder(args.out / exp.name)
    store.check(exp, True, model_identity(simulate_function(args)))
    if not store.folder.exists():
        return 0
    return len(store.finished_ids(with_series=exp.spec.outputs.series_every > 0))


def _timed_arms(exp: ExperimentConfig, timed: int) -> list[str]:
    """``timed`` arms spread over the experiment's (cycling when it has fewer)."""
    arms = exp.arm_names
    return [arms[(i * len(arms)) // timed] if len(arms) >= timed else arms[i % len(arms)]
            for i in range(timed)]


def _time_runs(exp: ExperimentConfig, design: Design, simulate: SimulateFn | None,
               timed: int) -> float:
    """Seconds per run, timed as a worker runs them: one run of each of ``timed`` arms
    spread over the experiment's, at the first design point, after a warm-up run (the
    map is rasterised once per process)."""
    base = exp.base_params()
    tasks = [build_task(exp, design, arm, 0, rep, base=base)
             for rep, arm in enumerate(_timed_arms(exp, timed), start=1)]
    execute(build_task(exp, design, exp.arm_names[0], 0, 0, base=base), simulate)
    start = time.perf_counter()
    for task in tasks:
        execute(task, simulate)
    return (time.perf_counter() - start) / timed


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


def _drawing_workers(spec: ExecutorSpec) -> int:
    """The processes that draw the report's figures: the sweep's own number of local
    processes, now idle (none after a serial run or one on Dask: the figures are drawn
    here)."""
    if spec.kind != "processes":
        return 0
    return min(spec.workers or os.cpu_count() or 1, MAX_DRAWING_WORKERS)


def _report_safely(folder: Path, workers: int = 0) -> int:
    """A failing report must not hide that the runs themselves are safely stored."""
    try:
        path = write_report(folder, workers=workers)
    except OutputError as err:  # a full disk, a FIFO where a figure goes: one line
        print(f"dmzsim run: error: the report cannot be written: {err}; the results in "
              f"{folder} are complete", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        print(f"the report failed (traceback above); the results in {folder} are complete",
              file=sys.stderr)
        return 1
    print(f"report: {path}")
    return 0
