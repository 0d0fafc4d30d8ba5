"""Shared test helpers: the small synthetic map keeps model tests fast."""

import contextlib
import os
import signal
import time
from pathlib import Path

from dmzsim.model.params import Params
from dmzsim.runs.publish.compare import same

ROOT = Path(__file__).resolve().parent.parent
SMALL_MAP = ROOT / "model" / "maps" / "synthetic_small.toml"
BENT_MAP = ROOT / "model" / "maps" / "synthetic_bent.toml"


def bent_variant(folder: Path, old: str, new: str) -> Path:
    """The bent map with the text ``old`` replaced by ``new`` (which must be there),
    written to ``folder/variant.toml``."""
    text = BENT_MAP.read_text(encoding="utf-8")
    assert old in text
    path = folder / "variant.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def small(**changes) -> Params:
    """Parameters sized for the small map (a few units a side)."""
    base = {"ru_initial_personnel": 40_000.0, "ua_initial_personnel": 20_000.0,
            "ru_theatre_cap_personnel": 80_000.0, "ua_theatre_cap_personnel": 40_000.0,
            "ru_theatre_share": 0.06, "ua_theatre_share": 0.05, "sector_km": 10.0,
            "horizon_days": 365}
    return Params.build({**base, **changes})


def same_records(a: list[dict], b: list[dict]) -> bool:
    """Exact equality of run records, with NaN equal to NaN (as ``dmzsim verify`` compares)."""
    if len(a) != len(b):
        return False
    pairs = zip(a, b, strict=True)
    return all(ra.keys() == rb.keys() and all(same(ra[k], rb[k]) for k in ra) for ra, rb in pairs)


def small_runs(params: Params, seeds) -> list[dict]:
    """The run records of ``params`` on the small map, one per seed: what a null test
    compares, seed by seed, with and without a mechanism."""
    from dmzsim.model.model import CeasefireModel
    from dmzsim.model.processes.recording import summary

    out = []
    for s in seeds:
        m = CeasefireModel(params, rng=s, map_path=SMALL_MAP)
        m.run_for(m.p.horizon_days)
        out.append(summary(m))
    return out


def simulate_small(params, seed, *, series_every=0, map_path=None):
    """The real model on the small synthetic map (experiment files name no map)."""
    from dmzsim.model.api import simulate

    return simulate(params, seed, series_every=series_every, map_path=SMALL_MAP)


def run_serially(exp, out: Path, simulate) -> Path:
    """Run an experiment (``runs.experiment`` object) in this process, quietly, into
    ``out``; fails the test if any run failed. Returns the results folder."""
    from dmzsim.runs.sweep import run_experiment
    from dmzsim.runs.sweep.executors import ExecutorSpec

    report = run_experiment(exp, out, executor=ExecutorSpec("serial", 1), simulate=simulate,
                            progress=False, argv=["test"])
    assert report.failed == 0
    return report.folder


def run_config(config: dict, out: Path, simulate) -> Path:
    """:func:`run_serially` for an experiment given as a dict (as read from TOML)."""
    from dmzsim.runs.experiment.config import from_dict

    return run_serially(from_dict(config, source="test"), out, simulate)


# --- process trees (Linux /proc) ---------------------------------------------------------------
def session_processes(sid: int) -> set[int]:
    """Live (not zombie) processes of session ``sid``: a command started with
    ``start_new_session=True`` (``sid`` is its pid) and all it started, orphans included."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # state ppid pgrp session
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.add(int(stat.parent.name))
    return found


def sigkill_leaves(proc, within: float = 5.0) -> list[str]:
    """SIGKILL ``proc`` (started in its own session) alone, as the OOM killer or a batch
    scheduler does, and return the command lines of its session's processes still alive
    ``within`` seconds later (killed then, so that a failing test leaves nothing behind)."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + within
    while (left := session_processes(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    described = []
    for pid in left:
        with contextlib.suppress(OSError):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            described.append(f"{pid}: {cmd.decode(errors='replace')[:120]}")
            os.kill(pid, signal.SIGKILL)
    return described
