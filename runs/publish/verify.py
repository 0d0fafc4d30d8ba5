"""Verify a published experiment: re-run it and compare with its reference, value by value.

Two modes:

* **full**: the whole experiment is run again through the experiment runner (into a
  temporary folder unless ``out`` is given); every run is compared with the reference,
  runs missing on either side are reported, and the headline table is recomputed from the
  new runs and compared cell by cell;
* **quick**: a fixed subset of the reference's runs (:func:`quick_subset`) is rebuilt
  exactly as the runner builds it (:func:`runs.sweep.build_task`: parameters from the
  experiment file as the code reads it now, the same seeds and run ids) and executed on
  the runner's executors; each is compared with its reference row.

Either way the experiment file is read afresh, so a changed parameter default, model
mechanism or seed scheme shows up as changed outputs. Values are compared by
:mod:`runs.publish.compare`: discrete outputs exactly, real numbers within 1e-9 relative.
Versions of dmzsim, Mesa, NumPy and Python that differ from the reference's are reported
(an error with ``strict_versions``).
"""

from __future__ import annotations

import concurrent.futures as cf
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from dmzsim.analysis.provenance import config_mismatch
from dmzsim.analysis.results_layout import ReferenceLayout
from dmzsim.analysis.robust_headline import KEY
from dmzsim.model import outputs
from dmzsim.runs import experiment
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.design import build_design
from dmzsim.runs.experiment.published import locate
from dmzsim.runs.experiment.robust import is_robust
from dmzsim.runs.publish.compare import (
    CellDifference,
    RunComparison,
    compare_runs,
    compare_table,
    new_columns,
)
from dmzsim.runs.publish.reference import (
    PublishError,
    Reference,
    headline_of,
    robustness_of,
    run_frame,
)
from dmzsim.runs.sweep import build_task, param_types, run_experiment, summary_record
from dmzsim.runs.sweep.executors import ExecutorHandle, ExecutorSpec, open_executor
from dmzsim.runs.sweep.manifest import DEFAULT_SIMULATE, key_versions
from dmzsim.runs.sweep.results import ResultsFolder
from dmzsim.runs.sweep.tasks import RunTask
from dmzsim.runs.sweep.worker import SimulateFn, execute, load_simulate

QUICK_BUDGET = 50  # runs per experiment in --quick, at least one per arm (docs/publishing.md)


def quick_subset(runs: pd.DataFrame, arms: list[str], budget: int = QUICK_BUDGET
                 ) -> pd.DataFrame:
    """The --quick runs: k = max(1, budget // arms) per arm, evenly spread, with a
    resumption in every arm that has one.

    Within each arm, the reference's runs in (point, replicate) order, n of them, are
    taken at positions floor(i * n / k) for i = 0..k-1 (all of them if n <= k). So every
    arm appears, design points are covered across their range, and in a balanced
    experiment every arm gets the same (point, replicate) pairs, i.e. the same seeds.
    If none of an arm's picks resumed (:func:`model.outputs.risk`) but some of its runs
    did, one resumed run takes the place of one pick, so that the outputs of a resumption
    (``ratio_at_attack``, ``value_at_resumption``, ...) are re-computed too: the resumed
    run nearest in that order to a pick of its own design point (so every point stays
    covered), else nearest to any pick; the earliest on a tie. The subset stays within
    the budget and depends only on the reference.
    """
    k = max(1, budget // max(len(arms), 1))
    event = outputs.risk().name
    picked = []
    for arm in arms:
        rows = runs[runs["arm"] == arm].sort_values(["point", "replicate"], kind="stable")
        n = len(rows)
        positions = list(range(n)) if n <= k else sorted({i * n // k for i in range(k)})
        if event in rows:
            positions = _with_one_that_happened(positions, rows[event].tolist(),
                                                rows["point"].tolist())
        picked.append(rows.iloc[positions])
    return pd.concat(picked, ignore_index=True) if picked else runs.iloc[:0]


def _with_one_that_happened(positions: list[int], happened: list[Any], points: list[Any]
                            ) -> list[int]:
    """``positions``, one swapped for a position where the event happened if none of them
    has it and some position does (see :func:`quick_subset`)."""
    yes = [i for i, h in enumerate(happened) if h == 1]  # True, or 1 in an int column
    if not yes or any(happened[p] == 1 for p in positions):
        return positions
    _, _, near, pick = min((points[y] != points[p], abs(y - p), y, p)
                           for y in yes for p in positions)
    return sorted({*positions} - {pick} | {near})


def version_mismatches(reference_manifest: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, reference version, version now) for each key version that differs."""
    ref = key_versions(reference_manifest.get("environment") or {})
    now = key_versions()
    return [(k, ref.get(k), now.get(k)) for k in ref if ref.get(k) != now.get(k)]


@dataclass
class Verification:
    """What verifying one experiment found."""

    path: Path
    name: str
    quick: bool
    reference_runs: int
    comparison: RunComparison
    failures: dict[str, str] = field(default_factory=dict)  # run_id -> error now
    headline: list[CellDifference] | None = None  # full mode only: beyond the tolerance
    headline_within: list[CellDifference] = field(default_factory=list)  # and within it
    new_headline_columns: list[str] = field(default_factory=list)  # full mode: a note
    versions: list[tuple[str, Any, Any]] = field(default_factory=list)
    config_changes: list[str] = field(default_factory=list)
    added_parameters: list[str] = field(default_factory=list)  # since, at their defaults
    simulate: str | None = None
    robust: bool = False  # a robust-decision study: full mode also compares robustness.csv

    def results_match(self) -> bool:
        """Every reference value reproduced (new outputs are notes, not differences)."""
        return self.comparison.ok and not self.failures and not self.headline

    def identical(self) -> bool:
        """Every value bit-identical (the runs and, in full mode, the headline)."""
        return self.results_match() and self.comparison.identical \
            and not self.headline_within

    def ok(self, strict_versions: bool = False) -> bool:
        return self.results_match() and not (strict_versions and self.versions)


def verify(path: str | Path, *, quick: bool = False, executor: ExecutorSpec | None = None,
           handle: ExecutorHandle | None = None, simulate: str | None = None,
           out: str | Path | None = None, progress: bool = False) -> Verification:
    """Re-run ``path``'s experiment (all of it, or its quick subset) against its reference.

    ``simulate`` (MODULE:FUNCTION) must name the function the reference was published
    with when that is not the real model: a reference file is data, and verifying one
    must not import whatever module it names.
    Quick mode uses ``handle`` if given (one executor for several experiments).
    """
    path = locate(path)
    exp = experiment.load(path)
    ref = Reference.load(ReferenceLayout.beside(path, exp.name).root, path)
    if (mismatch := config_mismatch(ref.folder)) is not None:  # an edited reference
        raise PublishError(f"{mismatch}; restore the reference from git or publish it again")
    if is_robust(exp.spec) and ref.robustness is None:
        raise PublishError(f"{path} has an incomplete reference at {ref.folder}/ (missing "
                           f"{ReferenceLayout(ref.folder).robustness.name}); create it "
                           f"with: dmzsim publish {path}")
    simulate = _simulate_named(simulate, ref.info.get("simulate"), path)
    fn = load_simulate(simulate)
    changes, added = _config_changes(ref, exp)
    v = Verification(path, exp.name, quick, len(ref.runs), RunComparison(0),
                     versions=version_mismatches(ref.manifest), config_changes=changes,
                     added_parameters=added, simulate=simulate, robust=is_robust(exp.spec))
    if quick:
        subset = quick_subset(ref.runs, ref.arms)
        now, v.failures = _rerun_subset(exp, subset, fn, executor, handle)
        v.comparison = compare_runs(subset, now)
    else:
        now, v.failures = _rerun_all(exp, fn, executor or ExecutorSpec(), out, progress)
        v.comparison = compare_runs(ref.runs, now)
        _compare_tables(v, ref, exp, now)
    return v


def _compare_tables(v: Verification, ref: Reference, exp: ExperimentConfig,
                    now: pd.DataFrame) -> None:
    """Recompute the headline table (and a robust study's robustness table) from the
    re-run runs and compare them with the reference's, cell by cell."""
    pairs = [(ref.headline, headline_of(now, ref.horizon, ref.arms), "arm")]
    if v.robust:
        pairs.append((ref.robustness, robustness_of(exp, now), KEY))
    v.headline, v.headline_within, v.new_headline_columns = [], [], []
    for written, table, key in pairs:
        cells = compare_table(written, table, key=key)
        v.headline += [d for d in cells if not d.within]
        v.headline_within += [d for d in cells if d.within]
        v.new_headline_columns += new_columns(written, table)


def _simulate_named(given: str | None, published: str | None, path: Path) -> str | None:
    """The simulate function to load: only ever one the user named on the command line."""
    if published and published != DEFAULT_SIMULATE and given is None:
        raise PublishError(
            f"the reference of {path} was made with simulate function {published!r}; "
            f"verify imports only a function named on the command line: add --simulate "
            f"{published}")
    return given


def _config_changes(ref: Reference, exp: ExperimentConfig) -> tuple[list[str], list[str]]:
    """How the resolved config now differs from the one the reference was made with:
    (the changes, the parameters added to the model since, at their defaults, which are
    only named: ``ExperimentConfig.added_since``)."""
    if ref.info.get("config_hash") == exp.config_hash:
        return [], []
    added = exp.added_since(ref.folder)
    changes = exp.changes_since(ref.folder, ignore=added)
    return (changes if changes or added else ["(config hash differs)"]), added


def _rerun_subset(exp: ExperimentConfig, subset: pd.DataFrame, fn: SimulateFn | None,
                  executor: ExecutorSpec | None, handle: ExecutorHandle | None
                  ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rebuild and execute the subset's runs; (their records, failures by run id)."""
    design = build_design(exp.spec.design, param_types())
    base, tasks, failures = exp.base_params(), [], {}
    for r in subset.itertuples(index=False):
        if r.arm not in exp.arm_names or r.point >= design.n_points:
            failures[r.run_id] = (f"cannot be rebuilt: the experiment has no arm {r.arm!r} "
                                  f"or no point {r.point} any more")
            continue
        tasks.append(build_task(exp, design, r.arm, int(r.point), int(r.replicate),
                                base=base))
    if handle is not None:
        records = _execute(tasks, handle, fn, failures)
    else:
        with open_executor(executor or ExecutorSpec()) as own:
            records = _execute(tasks, own, fn, failures)
    return _frame(records, exp.arm_names), failures


def _execute(tasks: list[RunTask], handle: ExecutorHandle, fn: SimulateFn | None,
             failures: dict[str, str]) -> list[dict[str, Any]]:
    """Run ``tasks`` on ``handle``; failures (in the model or the pool) go to ``failures``.

    A run that kills its worker breaks the whole pool, so the runs in flight with it are
    reported as failed too; ``dmzsim run`` on the experiment isolates the culprit.
    """
    futures, broken = [], False
    for task in tasks:
        try:
            futures.append((task, handle.executor.submit(execute, task, fn)))
        except cf.BrokenExecutor as err:
            failures[task.run_id] = f"not run: the worker pool broke ({err})"
            broken = True
    records = []
    for task, fut in futures:
        try:
            outcome = fut.result()
        except Exception as err:  # a dead worker, a lost Dask task
            failures[task.run_id] = f"{type(err).__name__}: {err}"
            broken |= isinstance(err, cf.BrokenExecutor)
            continue
        if not outcome.ok:
            failures[task.run_id] = f"{outcome.error_type}: {outcome.message}"
            continue
        records.append(summary_record(task, outcome))
    if broken:  # a worker died: later experiments get a fresh pool
        handle.restart()
    return records


def _rerun_all(exp: ExperimentConfig, fn: SimulateFn | None, executor: ExecutorSpec,
               out: str | Path | None, progress: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    """Run the whole experiment again through the runner; (its records, failures)."""
    with tempfile.TemporaryDirectory(prefix=f"verify-{exp.name}-") as tmp:
        parent = Path(out) if out is not None else Path(tmp)
        report = run_experiment(exp, parent, executor=executor, simulate=fn,
                                progress=progress, argv=["dmzsim verify"])
        if report.status == "interrupted":
            raise KeyboardInterrupt
        store = ResultsFolder(report.folder)
        records = store.summaries()
        failed = store.failures()
    failures = {r.run_id: f"{r.error_type}: {r.message}" for r in failed.itertuples()}
    return run_frame(records, exp.arm_names), failures


def _frame(records: list[dict[str, Any]], arms: list[str]) -> pd.DataFrame:
    return run_frame(pd.DataFrame.from_records(records), arms)
