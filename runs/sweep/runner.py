"""Run an experiment: plan its runs, skip the finished ones, execute, store, account.

The parent process only plans, dispatches and writes: tasks are generated lazily, at most
a few per worker are in flight, and each finished run is written to disk at once, so
memory stays flat however large the sweep and a crash loses at most the runs in flight.

Runs are dispatched replicate by replicate (all arms and points of replicate 0, then
replicate 1, ...), so an interrupted sweep leaves a balanced, paired subset behind.
"""

from __future__ import annotations

import concurrent.futures as cf
import errno
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dmzsim.common import signals
from dmzsim.common.files import OutputError
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.design import Design, build_design
from dmzsim.runs.sweep.adaptive import AdaptivePlan, cell_stats
from dmzsim.runs.sweep.chunks import ChunkSizer
from dmzsim.runs.sweep.executors import ExecutorHandle, ExecutorSpec, open_executor
from dmzsim.runs.sweep.lock import folder_lock
from dmzsim.runs.sweep.manifest import Manifest, header, model_identity, now
from dmzsim.runs.sweep.results import ResultsFolder
from dmzsim.runs.sweep.tasks import (
    ArmPoint,
    RunOutcome,
    RunTask,
    build_task,
    param_types,
    run_id,
    summary_record,
)
from dmzsim.runs.sweep.worker import SimulateFn, execute_chunk
from tqdm import tqdm

MAX_DEAD_POOLS = 3  # fresh pools in a row that cannot run a no-op: workers cannot start


class SweepAbortedError(RuntimeError):
    """The sweep cannot go on (e.g. worker processes keep dying)."""


def run_experiment(exp: ExperimentConfig, out: str | Path, *, executor: ExecutorSpec | None = None,
                   resume: bool = False, simulate: SimulateFn | None = None,
                   progress: bool = True, argv: list[str] | None = None,
                   replace: bool = False) -> SweepReport:
    """Run (or resume) ``exp`` into ``<out>/<name>/``; returns the accounting.

    The folder is held exclusively (:mod:`.lock`) for the whole call, and everything that
    can fail on bad input (the design, the folder, a resume's config and model, starting
    the executor) is checked before anything in it is moved or written. A fresh run moves
    earlier results to ``<name>.prev``; ``replace`` allows removing an older one there.
    """
    executor = executor or ExecutorSpec()
    store = ResultsFolder(Path(out) / exp.name)
    design = build_design(exp.spec.design, param_types())
    model = model_identity(simulate)
    store.check(exp, resume, model, replace)
    with folder_lock(store.folder):
        store.check(exp, resume, model, replace)  # again: the folder may have changed meanwhile
        store.check_writable()
        with open_executor(executor) as handle:
            notes = store.prepare(exp, resume, model, replace)
            store.write_config(exp, design)
            manifest = Manifest.open(store.folder, header(exp, design, model))
            manifest.start_session(executor.describe(), resume,
                                   argv if argv is not None else sys.argv)
            sweep = _Sweep(exp, design, store, simulate, progress, executor.sizer())
            return _session(sweep, handle, manifest, notes)


def _session(sweep: _Sweep, handle: ExecutorHandle, manifest: Manifest, notes: list[str]
             ) -> SweepReport:
    """Run the sweep, then close it whatever happened: compact, count, end the session.

    The closing part runs with signals held, so a second Ctrl-C cannot leave the manifest
    open; a signal that came meanwhile stops the command once the manifest is closed. A
    file of the folder that cannot be written (a full disk) stops the sweep: the session
    is closed as ``failed``, what is on disk stays (``--resume`` continues from it), and
    an :class:`OutputError` naming the file and the finished runs ends the call.
    """
    status, signum, start, error = "crashed", 0, time.perf_counter(), None
    try:
        sweep.run(handle)
        status = "completed"
    except KeyboardInterrupt as err:
        status, signum = "interrupted", int(getattr(err, "signum", signal.SIGINT))
        handle.stop_workers()
    except SweepAbortedError as err:
        status, notes = "aborted", [*notes, str(err)]
    except OSError as err:  # a result file cannot be written (OutputError, or from below)
        status, error = "failed", err
        handle.stop_workers()
    finally:
        with signals.deferred() as caught:
            report = _close(sweep, manifest, status, notes, time.perf_counter() - start,
                            error)
            report.signum = signum
    if report.error is not None and report.status != "interrupted":
        raise report.write_failure()
    if caught and status != "interrupted":
        raise signals.Interrupted(caught[0])
    return report


def _close(sweep: _Sweep, manifest: Manifest, status: str, notes: list[str], wall_s: float,
           error: OSError | None = None) -> SweepReport:
    """Compact, count and end the session; a write that fails here (the disk still full)
    makes a completed session ``failed`` but never keeps the others from being tried."""
    sweep.close()
    try:
        sweep.store.compact()
    except OSError as err:  # the per-run files stay; the next session merges them
        error = error or err
        status = "failed" if status == "completed" else status
    runs = sweep.store.run_table(sweep.exp, sweep.planned)
    report = SweepReport.build(sweep.store.folder, status, runs, sweep, notes, wall_s)
    report.error = None if error is None else _one_line(error)
    manifest.set_runs(runs)
    manifest.data["adaptive"] = sweep.adaptive_log or None
    try:
        manifest.end_session(status, report.counts(), report.wall_s, report.error)
    except OSError as err:
        report.error = report.error or _one_line(err)
        report.manifest_open = True
    return report


def _one_line(err: OSError) -> str:
    """An OSError as one line naming its file."""
    if isinstance(err, OutputError) or not err.filename:
        return str(err)
    return f"{err.filename}: cannot be written ({err.strerror or err})"


class _Sweep:
    """Mutable state of one session: what is planned, done, failed, in quarantine."""

    def __init__(self, exp: ExperimentConfig, design: Design, store: ResultsFolder,
                 simulate: SimulateFn | None, progress: bool,
                 sizer: ChunkSizer | None = None) -> None:
        self.exp, self.design, self.store, self.simulate = exp, design, store, simulate
        self.sizer = sizer or ChunkSizer(0.0)
        self.finished = store.finished_ids(with_series=exp.spec.outputs.series_every > 0)
        self.planned: dict[ArmPoint, int] = {}
        self.ran_ok = self.ran_failed = self.skipped = self.pool_restarts = 0
        self._dead_pools = 0
        self.adaptive_log: dict[str, str] = {}
        self.bar = tqdm(total=0, unit="run", desc=exp.name, disable=not progress,
                        file=sys.stderr, mininterval=0.5, smoothing=0.05, dynamic_ncols=True,
                        delay=0.5)
        self.bar.set_postfix(failed=0, refresh=False)
        self._alone: set[str] = set()  # run ids retried alone after a worker death
        self._inflight: dict[cf.Future, list[RunTask]] = {}
        self._suspects: deque[RunTask] = deque()
        self._requeue: deque[RunTask] = deque()

    @property
    def cells(self) -> list[ArmPoint]:
        return [(a, p) for p in range(self.design.n_points) for a in self.exp.arm_names]

    def run(self, handle: ExecutorHandle) -> None:
        if self.exp.spec.replicates == "auto":
            self._run_adaptive(handle)
        else:
            n = int(self.exp.spec.replicates)
            self._execute(handle, self._plan({c: range(n) for c in self.cells}))

    def close(self) -> None:
        self.bar.close()

    # --- planning -------------------------------------------------------------------------
    def _run_adaptive(self, handle: ExecutorHandle) -> None:
        spec = self.exp.spec.adaptive
        assert spec is not None  # guaranteed by the config checks
        plan, stats = AdaptivePlan(spec, self.cells), None
        while ranges := plan.next_round(stats):
            self._execute(handle, self._plan(ranges))
            self.store.compact()  # keeps the per-round read of results cheap
            columns = ["arm", "point", "replicate", spec.metric]
            stats = cell_stats(self.store.summaries(columns), spec.metric, plan.planned)
        self.adaptive_log = {f"{a}.p{p}": why for (a, p), why in plan.done.items()}

    def _plan(self, ranges: dict[ArmPoint, range]) -> Iterator[RunTask]:
        """Register ``ranges`` as planned, update the bar, and yield the unfinished runs."""
        for cell, reps in ranges.items():
            self.planned[cell] = max(self.planned.get(cell, 0), reps.stop)
            done = sum(run_id(*cell, r) in self.finished for r in reps)
            self.skipped += done
            self.bar.total += len(reps)
            self._count_as_initial(done)
        return self._tasks(ranges)

    def _count_as_initial(self, done: int) -> None:
        """Runs finished in an earlier session fill the bar without inflating the rate."""
        if self.bar.disable:
            return
        self.bar.n += done
        self.bar.initial += done
        self.bar.last_print_n = self.bar.n

    def _tasks(self, ranges: dict[ArmPoint, range]) -> Iterator[RunTask]:
        lo = min(r.start for r in ranges.values())
        hi = max(r.stop for r in ranges.values())
        base = self.exp.base_params()
        for rep in range(lo, hi):
            for point in range(self.design.n_points):
                for arm in self.exp.arm_names:
                    rid = run_id(arm, point, rep)
                    if rep not in ranges.get((arm, point), ()) or rid in self.finished:
                        continue
                    yield build_task(self.exp, self.design, arm, point, rep, base=base)

    # --- executing ------------------------------------------------------------------------
    def _execute(self, handle: ExecutorHandle, tasks: Iterator[RunTask]) -> None:
        """Keep up to ``handle.slots`` chunks of runs in flight until ``tasks`` is
        exhausted; each chunk's runs are stored as soon as it comes back.

        When a worker process dies, the pool breaks and every run in flight fails with it.
        Those runs become *suspects* and are retried one at a time on a fresh pool, so the
        run that kills its worker is identified and recorded, and the others succeed.
        """
        self._inflight = {}
        self._suspects = deque()  # were running when a worker died
        self._requeue = deque()  # never ran (cancelled, or submit refused)
        while True:
            broken = self._fill(handle, tasks)
            if not self._inflight:
                if not broken:
                    return
                self._restart(handle)
                continue
            done, _ = cf.wait(self._inflight, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                broken |= self._collect(fut, self._inflight.pop(fut))
            if broken:
                for chunk in self._inflight.values():  # they died with the pool
                    self._suspects.extend(chunk)
                self._inflight.clear()
                self._restart(handle)

    def _fill(self, handle: ExecutorHandle, tasks: Iterator[RunTask]) -> bool:
        """Top up the in-flight set; True if the pool refused work because it is broken."""
        if self._suspects:
            if self._inflight:
                return False
            return not self._submit(handle, [self._suspects.popleft()], alone=True)
        while len(self._inflight) < handle.slots:
            chunk = self._next_chunk(tasks)
            if not chunk:
                return False
            if not self._submit(handle, chunk):
                return True
        return False

    def _next_chunk(self, tasks: Iterator[RunTask]) -> list[RunTask]:
        """The next runs to send together: runs to requeue first, then new ones."""
        chunk: list[RunTask] = []
        size = self.sizer.size()
        while len(chunk) < size:
            task = self._requeue.popleft() if self._requeue else next(tasks, None)
            if task is None:
                break
            chunk.append(task)
        return chunk

    def _submit(self, handle: ExecutorHandle, chunk: list[RunTask], alone: bool = False
                ) -> bool:
        try:
            fut = handle.executor.submit(execute_chunk, chunk, self.simulate)
        except cf.BrokenExecutor:
            if alone:
                self._suspects.extendleft(reversed(chunk))
            else:
                self._requeue.extendleft(reversed(chunk))
            return False
        if alone:
            self._alone.update(t.run_id for t in chunk)
        self._inflight[fut] = chunk
        return True

    def _collect(self, fut: cf.Future, chunk: list[RunTask]) -> bool:
        """Store one finished chunk; True if it reports a broken process pool."""
        try:
            outcomes: list[RunOutcome] = fut.result()
        except cf.BrokenExecutor:
            for task in chunk:
                if task.run_id in self._alone:  # it broke the pool on its own: the culprit
                    self._fail(task, "WorkerDied", "the worker process died running this "
                               "run (crash, os._exit or out of memory)", "", "executor")
                else:
                    self._suspects.append(task)
            return True
        except cf.CancelledError:
            self._requeue.extend(chunk)
            return False
        except Exception as err:  # e.g. Dask's KilledWorker, a pickling error
            if len(chunk) > 1:  # find the run it belongs to: each is retried alone
                self._suspects.extend(chunk)
                return False
            self._fail(chunk[0], type(err).__name__, str(err), "", "executor")
            return False
        self._record(chunk, outcomes)
        return False

    def _restart(self, handle: ExecutorHandle) -> None:
        """A fresh pool after a worker died; give up only if fresh workers cannot start.

        A model that crashes its worker on some runs costs one restart per such run and
        never stops the sweep: each culprit is isolated and recorded as failed.
        """
        self.pool_restarts += 1
        if handle.restart():
            self._dead_pools = 0
            return
        self._dead_pools += 1
        if self._dead_pools >= MAX_DEAD_POOLS:
            raise SweepAbortedError(
                f"{self._dead_pools} fresh worker pools in a row could not run anything: the "
                "worker processes cannot start (see the errors above). If you call "
                "run_experiment from a script, put the call under "
                "`if __name__ == \"__main__\":`. Finished runs are saved; --resume later.")

    # --- recording ------------------------------------------------------------------------
    def _record(self, chunk: list[RunTask], outcomes: list[RunOutcome]) -> None:
        """Store a chunk's runs: the failures one by one, the finished ones together."""
        ok = []
        for task, outcome in zip(chunk, outcomes, strict=True):
            self.sizer.observe(outcome.wall_s)
            if outcome.ok:
                ok.append((summary_record(task, outcome), outcome.series))
            else:
                self._fail(task, outcome.error_type or "Error", outcome.message or "",
                           outcome.traceback or "", "model", outcome.wall_s, outcome.worker)
        if ok:
            self.store.write_ok_chunk(ok)
            self.ran_ok += len(ok)
            self.bar.update(len(ok))

    def _fail(self, task: RunTask, error_type: str, message: str, tb: str, origin: str,
              wall_s: float = float("nan"), worker: str = "") -> None:
        self.store.write_failure({
            **task.meta(), "status": "failed", "error_type": error_type, "message": message,
            "traceback": tb, "origin": origin, "wall_s": wall_s, "worker": worker,
            "time": now()})
        self.ran_failed += 1
        self.bar.set_postfix(failed=self.ran_failed, refresh=False)
        self.bar.update(1)


@dataclass
class SweepReport:
    """What a session did, for the final summary line and the exit status."""

    folder: Path
    status: str
    planned: int
    ok: int
    failed: int
    pending: int
    ran_ok: int
    ran_failed: int
    skipped: int
    pool_restarts: int
    wall_s: float
    notes: list[str] = field(default_factory=list)
    error_types: dict[str, int] = field(default_factory=dict)
    signum: int = 0  # the signal that interrupted the session (0: none)
    error: str | None = None  # a file that could not be written, in one line
    manifest_open: bool = False  # the manifest itself could not be closed

    @classmethod
    def build(cls, folder: Path, status: str, runs: list[dict[str, Any]], sweep: _Sweep,
              notes: list[str], wall_s: float) -> SweepReport:
        statuses = [r["status"] for r in runs]
        errors: dict[str, int] = {}
        for r in runs:
            if r["status"] == "failed":
                errors[r["error"]] = errors.get(r["error"], 0) + 1
        return cls(folder, status, len(runs), statuses.count("ok"), statuses.count("failed"),
                   statuses.count("pending"), sweep.ran_ok, sweep.ran_failed, sweep.skipped,
                   sweep.pool_restarts, wall_s, notes, errors)

    def write_failure(self) -> OutputError:
        """The error that ends a session a failed write stopped: the file and why, what
        became of the manifest and the runs, and how to go on."""
        manifest = ("the manifest could not be closed either (it will read \"killed\")"
                    if self.manifest_open else "the manifest is closed as failed")
        return OutputError(self.folder, f"the sweep stopped: {self.error}; {manifest}; the "
                           f"{self.ok} finished runs are kept: make room, then run again "
                           "with --resume", errno.EIO)

    def counts(self) -> dict[str, Any]:
        keys = ("planned", "ok", "failed", "pending", "ran_ok", "ran_failed", "skipped",
                "pool_restarts")
        return {k: getattr(self, k) for k in keys}

    @property
    def exit_code(self) -> int:
        """0 all ok; 1 some runs failed or the sweep aborted; 128 + the signal when
        interrupted (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)."""
        if self.status == "interrupted":
            return 128 + (self.signum or signal.SIGINT)
        return 0 if self.status == "completed" and self.failed == 0 else 1
