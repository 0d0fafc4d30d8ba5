"""Bit-for-bit equivalence of runs: a faster engine must give the very same runs.

``python -m benchmarks.equivalence --store FILE`` writes one hash per run (summary
record, daily series, and where each named random stream stopped) for ``--seeds`` seeds x
the ten arms of ``runs/sequencing.toml``, at a 2-year and a 5-year horizon with the
daily series, and for a fifth of the seeds at 5 years with the weekly series and with
the summary only (as sweeps run them: quiet days then pass in stretches);
``--check FILE`` recomputes them on this tree and lists every run that differs;
``--against COMMIT`` computes them on COMMIT's own code (in a temporary worktree, with
``benchmarks.versus_commit``'s finder, so the installed package is not what runs) and on
this tree, and compares. Floats are hashed by their exact bits (``repr`` round-trips),
so a change in the last bit of any output on any day fails. The streams' final states
catch a change in the number of draws from a stream even where no output moved.

``benchmarks/equivalence.json`` holds the hashes of 30 seeds as computed at ``aa0099a``,
once rare events were drawn as waiting times (those computed at ``14d66bc``, before the
engine was made faster, held until then); the runs with the weekly series and with the
summary only were added once quiet days passed in stretches, computed on a tree whose
every run was the same as ``a96edee``'s (``--against a96edee``, 160 runs), and the 360
before them came out unchanged: ``--check benchmarks/equivalence.json --seeds 10``
is the quick check (two minutes on one core), without ``--seeds`` the whole one. The
children run on the portable NumPy paths dmzsim pins (``common/numerics.py``), so the
stored hashes should hold on any x86-64 CPU; where they do not (another NumPy, BLAS or
libm), ``--against`` the commit to compare with (both computed there) is the check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARMS = [(seq, shape) for seq in ("no_deal", "frozen_line", "territory_first",
                                 "guarantees_first", "simultaneous")
        for shape in ("unilateral", "mirrored")]
HORIZONS = ((730, 1.0), (1825, 0.2))  # (days, share of the seeds run at that horizon)
#: Five-year runs that keep the series weekly (as the flagship) and only on the last day
#: (as a summary-only sweep), for a share of the seeds: a day the series keeps is never
#: part of a stretch of quiet days run at once, so a daily series would not test those.
SERIES_KEPT = ((7, "weekly"), (0, "summary"))
SERIES_KEPT_SHARE = 0.2


def _child_env() -> dict[str, str]:
    """This environment, with NumPy kept on the portable paths dmzsim itself uses
    (``common/numerics.py``): this process imported NumPy before any dmzsim, so the
    child would not pin them on its own, and its last bits would not be dmzsim's."""
    from dmzsim.common import numerics

    return {**os.environ, **numerics.portable_env()}

def _digest(obj: Any) -> str:
    return hashlib.sha256(repr(obj).encode()).hexdigest()[:20]


def run_hash(params: dict[str, Any], seed: int, series_every: int = 1) -> dict[str, str]:
    """Hashes of one run's summary, series (every ``series_every``-th day, the last
    day only at 0) and final stream states."""
    from dmzsim.model import api

    model = api._model_class(series_every, None)(api.Params.build(params), rng=seed)
    model.run_for(model.p.horizon_days)
    summary = api.summary(model)
    series = model.datacollector.get_model_vars_dataframe()
    model.grid.recycle()
    cols = {c: [repr(v) for v in series[c].tolist()] for c in series.columns}
    streams = {k: v.bit_generator.state["state"] for k, v in vars(model.streams).items()}
    return {"summary": _digest(sorted((k, repr(v)) for k, v in summary.items())),
            "series": _digest(sorted(cols.items())), "streams": _digest(sorted(streams.items()))}


def hashes(seeds: int) -> dict[str, dict[str, str]]:
    """Every run's hashes, keyed ``horizon/arm/seed``."""
    out = {}
    for horizon, share in HORIZONS:
        for seq, shape in ARMS:
            for seed in range(max(1, round(seeds * share))):
                params = {"sequencing": seq, "dmz_shape": shape, "horizon_days": horizon}
                out[f"{horizon}/{seq}-{shape}/{seed}"] = run_hash(params, seed)
    for every, name in SERIES_KEPT:  # as sweeps run them: quiet days pass in stretches
        for seq, shape in ARMS:
            for seed in range(max(1, round(seeds * SERIES_KEPT_SHARE))):
                params = {"sequencing": seq, "dmz_shape": shape, "horizon_days": 1825}
                out[f"1825-{name}/{seq}-{shape}/{seed}"] = run_hash(params, seed, every)
    return out


_CHILD_TAIL = r"""
import importlib.util as _u
spec = _u.spec_from_file_location("_equivalence", {here!r})
mod = _u.module_from_spec(spec)
spec.loader.exec_module(mod)
print(json.dumps(mod.hashes({seeds!r})))
"""


def hashes_in(tree: Path, seeds: int) -> dict[str, dict[str, str]]:
    """The hashes as ``tree``'s own code computes them, in a process of its own.

    Both sides of a comparison are computed this way: a matrix product's last bit can
    depend on where its arrays happen to lie in memory, so two processes that import
    and allocate differently can differ there on the same code."""
    from benchmarks.versus_commit import _CHILD

    prelude = _CHILD.split("\narms, seeds")[0]  # the tree finder and the import
    code = (prelude.format(tree=str(tree)) + "\nimport json\n"
            + _CHILD_TAIL.format(here=__file__, seeds=seeds))
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=_child_env(),
                          check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def hashes_at(commit: str, seeds: int) -> dict[str, dict[str, str]]:
    """The hashes as ``commit``'s own code computes them (in a temporary worktree)."""
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old),
                        commit], check=True, capture_output=True)
        try:
            return hashes_in(old, seeds)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old)], check=True, capture_output=True)


def differences(ref: dict[str, dict[str, str]], now: dict[str, dict[str, str]]) -> list[str]:
    """Each run and part (summary, series, streams) whose hash differs or is missing."""
    out = []
    for key in sorted(set(ref) | set(now)):
        a, b = ref.get(key), now.get(key)
        if a is None or b is None:
            out.append(f"{key}: only in {'the tree' if a is None else 'the reference'}")
            continue
        out.extend(f"{key}: {part}" for part in a if a[part] != b.get(part))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--store", type=Path)
    what.add_argument("--check", type=Path)
    what.add_argument("--against")
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds per arm (30; with --check, the stored file's or fewer)")
    args = ap.parse_args(argv)
    if args.store:
        args.store.write_text(json.dumps(hashes(args.seeds or 30), indent=0, sort_keys=True))
        return 0
    if args.check:
        ref = json.loads(args.check.read_text())
        stored = sum(1 for k in ref if k.startswith(f"{HORIZONS[0][0]}/{'-'.join(ARMS[0])}/"))
        now = hashes(min(args.seeds or stored, stored))
        ref = {k: v for k, v in ref.items() if k in now}  # a quick check: the first seeds
    else:
        ref = hashes_at(args.against, args.seeds or 30)
        now = hashes_in(ROOT, args.seeds or 30)
    diff = differences(ref, now)
    print("\n".join(diff) if diff else f"identical: {len(ref)} runs")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
