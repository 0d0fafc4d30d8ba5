"""Memory of a process tree, sampled from /proc while it runs (Linux; stdlib only).

A sweep is a parent plus worker processes (and, for the runner, a fork server), so its
memory is the sum over the tree. Two sums are kept:

* **PSS** (proportional set size): a page shared by k processes counts 1/k in each, so the
  sum is the memory the sweep really occupies. Workers forked from a preloaded fork server
  share the imported libraries; workers started with ``spawn`` load their own copy.
* **RSS**: every process counts every page it touches, shared or not (an upper bound).

RSS is read from ``statm`` (cheap) every ``interval_s`` (default 0.2 s); PSS needs the
kernel to walk every page table (``smaps_rollup``), which slows a 2-core machine
measurably, so it is read every ``pss_every`` samples (default 5, i.e. once a second).
Peaks are sampled, so a spike shorter than that can be missed. Where /proc is missing,
only ``ru_maxrss`` of the largest child is available.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def has_proc() -> bool:
    return (PROC / "self" / "smaps_rollup").exists()


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process on the machine."""
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def _rss_kb(pid: int) -> int:
    """RSS of one process in kB from ``statm`` (0 if it is gone)."""
    try:
        pages = int((PROC / str(pid) / "statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * resource.getpagesize() // 1024


def _rollup_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB; (0, 0) if it is gone."""
    pss = rss = 0
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0, 0
    return pss, rss


@dataclass
class TreeMemory:
    """Peak memory of a process tree (MB) and the most processes seen at once."""

    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    max_processes: int = 0
    samples: int = 0
    method: str = "proc"


class TreeSampler:
    """Samples the memory of ``pid``'s process tree in a background thread."""

    def __init__(self, pid: int, interval_s: float = 0.2, pss_every: int = 5) -> None:
        self.pid, self.interval_s, self.pss_every = pid, interval_s, pss_every
        self.result = TreeMemory()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        pids = descendants(self.pid)
        r = self.result
        if r.samples % self.pss_every == 0:
            sizes = [_rollup_kb(p) for p in pids]
            r.peak_pss_mb = max(r.peak_pss_mb, sum(s[0] for s in sizes) / 1024)
            rss = [s[1] for s in sizes]
        else:
            rss = [_rss_kb(p) for p in pids]
        r.samples += 1
        r.max_processes = max(r.max_processes, sum(1 for s in rss if s > 0))
        r.peak_rss_mb = max(r.peak_rss_mb, sum(rss) / 1024)


def run_measured(cmd: list[str], cwd: Path, interval_s: float = 0.2,
                 timeout_s: float = 3600) -> tuple[subprocess.CompletedProcess, TreeMemory]:
    """Run ``cmd`` to completion; return its output and the peak memory of its tree.

    The child starts on the NumPy paths dmzsim pins (``common/numerics.py``): a child
    that imports NumPy before dmzsim (``mesa.batch_run``'s spawned workers do) would
    otherwise run on its CPU's own paths, whose last bits a war amplifies, and the two
    ways of running the same sweep would not give the same runs."""
    from dmzsim.common import numerics

    env = {**os.environ, **numerics.portable_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    if not has_proc():
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout_s)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        mem = TreeMemory(peak_rss_mb=max(peak, before) / 1024, method="ru_maxrss")
        return done, mem
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with TreeSampler(proc.pid, interval_s) as sampler:
        out, err = proc.communicate(timeout=timeout_s)
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return done, sampler.result
