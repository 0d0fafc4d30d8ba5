"""Local worker processes that start cheaply and never outlive the command.

Both the sweep's runs and a report's figures go to such processes. They start with
``forkserver``: ``fork`` is unsafe once the parent has threads (the progress bar has
one), and ``spawn`` re-imports Mesa and Matplotlib in every worker; the fork server
imports the ``preload`` modules once, and each worker is forked from it. Each worker ends
when the command ends, however it ends (SIGKILL included): see :func:`_exit_with_parent`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
from collections.abc import Sequence


def process_pool(workers: int, preload: Sequence[str] = ()) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` local processes, forked from a fork server that imported
    ``preload`` (if this command has no fork server yet: there is one per command, and
    the first pool's preload is the one it keeps)."""
    method = "forkserver" if sys.platform != "win32" else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(list(preload))
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                  initializer=_exit_with_parent)


def _exit_with_parent() -> None:
    """Pool initializer: end this worker as soon as the process that started it is gone.

    A command killed outright (SIGKILL from a batch scheduler or the OOM killer) runs no
    clean-up, and its workers, children of the fork server rather than of the command,
    would wait for work forever, holding the fork server and the resource tracker alive
    too (each keeps a pipe from the command open). multiprocessing gives every child a
    sentinel of its parent: the read end of a pipe whose only write end the command holds,
    at end of file once the command is gone, however it ended. A daemon thread waits on
    it and exits the worker, a task in flight included (the command can no longer take
    its result). The fork server and the resource tracker then see their own pipes close
    and exit by themselves. Costs one idle thread per worker; touches no task.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not a child of multiprocessing (never in a pool)
        return
    threading.Thread(target=_wait_and_exit, args=(parent.sentinel,), daemon=True,
                     name="exit-with-parent").start()


def _wait_and_exit(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)  # no one is left to read a status, nor to run clean-up for
