"""Where runs execute: in-process (serial), local processes, or a Dask cluster.

Everything is a plain :class:`concurrent.futures.Executor`, the contract Mesa's planned
runner also uses, so the sweep loop is the same whatever runs the tasks. Results do not
depend on the choice: a run's output depends only on its parameters and its seed.

Local processes (``common/processes.py``) are forked from a fork server that has imported
Mesa and the model once, and each ends when the command ends, however it ends.
Dask is an optional extra (``pip install 'dmzsim[cluster]'``) imported only when asked for.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from dmzsim.common.processes import process_pool
from dmzsim.runs.sweep.chunks import TARGET_S, ChunkSizer

PRELOAD = ["dmzsim.runs.sweep.worker", "dmzsim.model.params", "dmzsim.model.api"]
MESSAGE_LOG = 10  # messages Dask keeps of those sent and received (see _dask_handle)
PROBE_TIMEOUT_S = 120.0  # a fresh worker imports Mesa and the model: seconds, not minutes


class ExecutorError(RuntimeError):
    """An executor cannot be started (missing extra, unreachable scheduler, ...)."""


@dataclass(frozen=True)
class ExecutorSpec:
    """Which executor to use; ``address`` is a Dask scheduler or ``local[:N]``."""

    kind: Literal["serial", "processes", "dask"] = "processes"
    workers: int | None = None
    address: str | None = None
    connect_timeout_s: float = 20.0
    chunk: int | None = None  # runs per task; None: sized by ``chunks.ChunkSizer``

    @classmethod
    def from_options(cls, *, serial: bool = False, workers: int | None = None,
                     dask: str | None = None, chunk: int | None = None) -> ExecutorSpec:
        """The executor a user asks for: in this process, on a Dask scheduler, or (the
        default) local worker processes; ``workers`` None means one per core, ``chunk``
        None sizes the runs per task from their duration."""
        if workers is not None and workers < 1:
            raise ExecutorError(f"workers must be >= 1, got {workers}")
        if chunk is not None and chunk < 1:
            raise ExecutorError(f"chunk must be >= 1 run per task, got {chunk}")
        if serial:
            if workers not in (None, 1):
                raise ExecutorError("serial runs one run at a time; give no workers")
            return cls("serial", 1, chunk=chunk)
        if dask:
            return cls("dask", workers, dask, chunk=chunk)
        return cls("processes", workers, chunk=chunk)

    def sizer(self) -> ChunkSizer:
        """How many runs each task carries on this executor."""
        return ChunkSizer(TARGET_S[self.kind], self.chunk)

    def describe(self) -> dict[str, Any]:
        """For the manifest: what ran the runs."""
        return {"kind": self.kind, "workers": self.workers, "address": self.address,
                "chunk": self.chunk}


class SerialExecutor(cf.Executor):
    """Runs each task at submit time, in this process: for debugging and tiny sweeps."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:
            future.set_exception(err)
        return future


class ExecutorHandle:
    """An executor plus how many tasks to keep in flight and how to replace it."""

    def __init__(self, make: Callable[[], cf.Executor], slots: int,
                 close: Callable[[], None] | None = None) -> None:
        self._make = make
        self._close_extra = close
        self.slots = slots
        self.executor = make()

    def restart(self) -> bool:
        """Replace a broken pool (a worker process died) with a fresh one.

        Returns whether the fresh pool can run a no-op: a run that kills its worker does not
        make this False, workers that cannot even start (bad environment, a script without
        a ``__main__`` guard) do.
        """
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._make()
        try:
            self.executor.submit(os.getpid).result(timeout=PROBE_TIMEOUT_S)
        except (cf.BrokenExecutor, cf.TimeoutError):
            return False
        return True

    def stop_workers(self) -> None:
        """Stop local worker processes now, runs in flight included (after an interrupt:
        waiting for them could take minutes, and their results would be thrown away).

        ``ProcessPoolExecutor`` has no public way to do this before Python 3.14
        (``terminate_workers``); its process table is read for it.
        """
        processes = getattr(self.executor, "_processes", None) or {}
        for proc in list(processes.values()):
            with contextlib.suppress(OSError, AttributeError):
                proc.terminate()

    def close(self) -> None:
        """Shut down, dropping queued tasks (finished runs are already on disk)."""
        try:
            self.executor.shutdown(wait=True, cancel_futures=True)
        except TypeError:  # Dask's ClientExecutor has no cancel_futures
            self.executor.shutdown(wait=True)
        if self._close_extra is not None:
            self._close_extra()


@contextmanager
def open_executor(spec: ExecutorSpec) -> Iterator[ExecutorHandle]:
    """Start the executor described by ``spec`` and shut it down afterwards."""
    if spec.kind == "serial":
        handle = ExecutorHandle(SerialExecutor, slots=1)
    elif spec.kind == "processes":
        workers = spec.workers or os.cpu_count() or 1
        handle = ExecutorHandle(lambda: process_pool(workers, PRELOAD), slots=2 * workers)
    elif spec.kind == "dask":
        handle = _dask_handle(spec)
    else:
        raise ExecutorError(f"unknown executor kind {spec.kind!r}")
    try:
        yield handle
    finally:
        handle.close()


def _dask_handle(spec: ExecutorSpec) -> ExecutorHandle:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorError("--dask needs Dask distributed: pip install 'dmzsim[cluster]'"
                            ) from None
    import dask

    address = spec.address or "local"
    cluster = None
    try:
        # a short log of recent messages: each message is a chunk of runs with their
        # parameters, and Dask's default log of 1,000 messages held every run of a
        # 100,000-run sweep in memory (docs/performance.md §8)
        with dask.config.set({"distributed.admin.low-level-log-length": MESSAGE_LOG}):
            if address == "local" or address.startswith("local:"):
                n = int(address.split(":", 1)[1]) if ":" in address else spec.workers
                cluster = LocalCluster(n_workers=n or os.cpu_count() or 1,
                                       threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=":0")
                client = Client(cluster)
            else:
                client = Client(address, timeout=f"{spec.connect_timeout_s}s")
    except (OSError, TimeoutError, ValueError) as err:
        if cluster is not None:
            cluster.close()
        raise ExecutorError(f"cannot reach Dask scheduler {address!r}: {err}") from None
    threads = sum(client.nthreads().values()) or 1

    def close() -> None:
        client.close()
        if cluster is not None:
            cluster.close()

    return ExecutorHandle(lambda: client.get_executor(pure=False), slots=2 * threads,
                          close=close)
