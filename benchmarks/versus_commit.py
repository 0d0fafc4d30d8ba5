"""A run's cost now against an earlier commit, measured side by side.

``python -m benchmarks.versus_commit COMMIT [--seeds N] [--rounds R]`` checks COMMIT out
into a temporary git worktree and times ``simulate`` on the default parameters (and on
each arm of ``sequencing``) in both trees, in alternating rounds, so that a busy machine
slows both alike. Time is CPU time of the timing process (not wall time), the fastest
round kept (and the median of the rounds), after a warm-up run that rasterises the map;
``--horizon`` sets the days of each run (``--then-horizon`` the days at COMMIT, when
the question is, say, a five-year run now against a two-year run then), ``--arms``
which arms. The two models need not give the same runs; each is timed on the same seeds.

``--instructions`` counts instead of timing: each arm's runs in each tree under
valgrind's callgrind, less the same process without them, per run. A count does not move
with what else the machine does (the same total twice, the other core loaded or not), so
it judges a change of a few per cent that timings on a busy machine cannot; it is slow
(valgrind runs Python some fifty times slower) and counts instructions, not the cache
misses and memory traffic that also take time, so a change is judged on both.

Each child times the tree it names, not the installed package: an editable install's
finder would otherwise answer every ``dmzsim`` import from the working tree. The child puts
a finder of its own first, which maps ``dmzsim`` and its sub-packages to the tree's folders
as the tree's ``pyproject.toml`` (``package-dir``) lays them out; before the ``dmzsim``
namespace the modules were top-level (``model.api``), and both layouts are found. Each
child reports the file its ``simulate`` came from.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: Counted on one thread: the BLAS libraries' workers wait for work by spinning, and
#: callgrind counts the spinning (``_instructions``).
COUNT_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
ARMS = [("territory_first", "unilateral"), ("frozen_line", "unilateral"),
        ("territory_first", "mirrored"), ("guarantees_first", "unilateral"),
        ("simultaneous", "unilateral"), ("no_deal", "unilateral")]

_CHILD = r"""
import importlib.util, json, sys, time, tomllib
from pathlib import Path

tree = Path({tree!r})
sys.path.insert(0, str(tree))
try:
    layout = tomllib.loads((tree / "pyproject.toml").read_text())
    folders = layout["tool"]["setuptools"]["package-dir"]
except (OSError, KeyError):
    folders = {{}}


class TreeFinder:  # dmzsim.X.Y from the tree's folder for dmzsim.X, longest prefix first

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        for pkg in sorted(folders, key=len, reverse=True):
            if name == pkg or name.startswith(pkg + "."):
                where = tree / folders[pkg]
                where = where.joinpath(*name[len(pkg):].split(".")[1:])
                if (where / "__init__.py").exists():
                    return importlib.util.spec_from_file_location(
                        name, where / "__init__.py", submodule_search_locations=[str(where)])
                if where.with_suffix(".py").exists():
                    return importlib.util.spec_from_file_location(name, where.with_suffix(".py"))
                return None
        return None


if "dmzsim" in folders:
    sys.meta_path.insert(0, TreeFinder)
    from dmzsim.model.api import simulate
else:
    from model.api import simulate
arms, seeds, horizon, warm = {arms!r}, {seeds!r}, {horizon!r}, {warm!r}
simulate({{}}, 0)
out = {{}}
for seq, shape in arms:
    run = {{"sequencing": seq, "dmz_shape": shape, "horizon_days": horizon}}
    for s in range(10_000, 10_000 + warm):  # as the runs of a sweep after its first ones
        simulate(run, s)
    t = time.process_time()
    for s in seeds:
        simulate(run, s)
    out[seq + "/" + shape] = (time.process_time() - t) / max(len(seeds), 1)
ours = [m for n, m in sys.modules.items() if n.split(".")[0] in ("dmzsim", "model")]
outside = sorted({{str(m.__file__) for m in ours if getattr(m, "__file__", None)
                  and not Path(m.__file__).resolve().is_relative_to(tree.resolve())}})
print(json.dumps({{"source": sys.modules[simulate.__module__].__file__, "outside": outside,
                  "seconds": out}}))
"""


def _child_env() -> dict[str, str]:
    """This environment, with NumPy kept on the portable paths dmzsim itself uses
    (``common/numerics.py``): this process imported NumPy before any dmzsim, so the
    child would not pin them on its own, and its last bits would not be dmzsim's."""
    from dmzsim.common import numerics

    return {**os.environ, **numerics.portable_env()}

def _time(tree: Path, seeds: list[int], arms: list[tuple[str, str]] | None = None,
          horizon: int = 730, warm: int = 0) -> tuple[str, dict[str, float]]:
    """CPU seconds per run by arm on ``tree``'s own code, and the file its ``simulate``
    came from; an error if any of the project's modules came from elsewhere."""
    code = _CHILD.format(tree=str(tree), arms=ARMS if arms is None else arms, seeds=seeds,
                         horizon=horizon, warm=warm)
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=_child_env(),
                          capture_output=True,
                          text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if out["outside"]:
        raise RuntimeError(f"timing {tree} loaded code from elsewhere: {out['outside']}")
    return out["source"], out["seconds"]


def collected(valgrind_stderr: str) -> int:
    """The instructions callgrind counted, from what it wrote on standard error."""
    found = re.search(r"Collected\s*:\s*([\d,]+)", valgrind_stderr)
    if found is None:
        raise RuntimeError(f"callgrind counted nothing: {valgrind_stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def _instructions(tree: Path, seeds: list[int], arm: tuple[str, str], horizon: int,
                  warm: int = 0) -> float:
    """Instructions a run of ``arm`` takes on ``tree``'s code, on average over ``seeds``:
    the child's count with the runs less its count without them (imports, the warm-up,
    and ``warm`` runs of the arm before them)."""
    counts = []
    # the two children alike: the same hashes, and no bytecode written by the first for
    # the second to read (a module compiled in one only would count against the runs);
    # and one BLAS thread: callgrind counts OpenBLAS's worker waiting for work, for as
    # long as the machine's load makes it wait (counts of one tree varied by ±4%)
    env = {**_child_env(), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
           **COUNT_THREADS}
    for runs in ([], seeds):
        code = _CHILD.format(tree=str(tree), arms=[arm], seeds=runs, horizon=horizon,
                             warm=warm)
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               sys.executable, "-c", code], cwd=tree, env=env,
                              capture_output=True, text=True, check=True)
        counts.append(collected(done.stderr))
    return (counts[1] - counts[0]) / len(seeds)


def count(commit: str, seeds: int, horizon: int, arms: list[tuple[str, str]] | None,
          then_horizon: int, warm: int = 0) -> dict[str, dict[str, float]]:
    """Instructions per run by arm, now and at ``commit`` (the two trees counted at once,
    one core each), after ``warm`` runs of each arm."""
    out: dict[str, dict[str, float]] = {"now": {}, "then": {}}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old),
                        commit], check=True, capture_output=True)
        try:
            for arm in ARMS if arms is None else arms:
                with ThreadPoolExecutor(2) as pool:
                    now = pool.submit(_instructions, ROOT, list(range(1, seeds + 1)), arm,
                                      horizon, warm)
                    then = pool.submit(_instructions, old, list(range(1, seeds + 1)), arm,
                                       then_horizon, warm)
                    out["now"]["/".join(arm)] = now.result()
                    out["then"]["/".join(arm)] = then.result()
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old)], check=True, capture_output=True)
    return out


def compare(commit: str, seeds: int, rounds: int, horizon: int = 730,
            arms: list[tuple[str, str]] | None = None,
            then_horizon: int | None = None, warm: int = 0
            ) -> dict[str, dict[str, list[float]]]:
    """Seconds of CPU per run by arm in each of ``rounds``, now (runs of ``horizon``
    days) and at ``commit`` (runs of ``then_horizon`` days, by default the same), after
    ``warm`` runs of each arm."""
    days = {"now": horizon, "then": horizon if then_horizon is None else then_horizon}
    rounds_of: dict[str, dict[str, list[float]]] = {"now": {}, "then": {}}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old),
                        commit], check=True, capture_output=True)
        try:
            for _ in range(rounds):
                for name, tree in (("now", ROOT), ("then", old)):
                    got = _time(tree, list(range(1, seeds + 1)), arms, days[name], warm)[1]
                    for arm, t in got.items():
                        rounds_of[name].setdefault(arm, []).append(t)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old)], check=True, capture_output=True)
    return rounds_of


def _arms(text: str | None) -> list[tuple[str, str]] | None:
    """``seq/shape,seq/shape`` (or all of ``ARMS``)."""
    if not text:
        return None
    return [tuple(a.split("/")) if "/" in a else (a, "unilateral")  # type: ignore[misc]
            for a in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("commit")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--horizon", type=int, default=730, help="days per run")
    ap.add_argument("--then-horizon", type=int, help="days per run at COMMIT "
                    "(default: --horizon)")
    ap.add_argument("--arms", help="seq/shape,... (default: the six of ARMS)")
    ap.add_argument("--warm", type=int, default=0,
                    help="runs of each arm before those counted (other seeds), in both "
                         "trees: a sweep's runs after its first ones, whose caches kept "
                         "across runs (the aims, the cuts) are full")
    ap.add_argument("--instructions", action="store_true",
                    help="count instructions under callgrind instead of timing (--rounds "
                         "is not used: a count is the same every time)")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    then = args.horizon if args.then_horizon is None else args.then_horizon
    if args.instructions:
        counted = count(args.commit, args.seeds, args.horizon, _arms(args.arms), then,
                        args.warm)
        print(f"million instructions per run (callgrind), {args.horizon} days now against "
              f"{then} days at {args.commit}, {args.seeds} seeds after {args.warm} of warm-up")
        print(f"{'arm':<30} {'now':>9} {'then':>9} {'ratio':>6}")
        for arm, now in counted["now"].items():
            before = counted["then"][arm]
            print(f"{arm:<30} {now / 1e6:>9.1f} {before / 1e6:>9.1f} {now / before:>6.3f}")
        return 0
    got = compare(args.commit, args.seeds, args.rounds, args.horizon, _arms(args.arms), then,
                  args.warm)
    print(f"CPU ms per run, {args.horizon} days now against {then} days at {args.commit}: "
          f"fastest and median of {args.rounds} rounds "
          f"of {args.seeds} seeds, alternating; load {load0:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"{'arm':<30} {'now min':>8} {'then min':>9} {'ratio':>6} "
          f"{'now med':>8} {'then med':>9} {'ratio':>6}")
    for arm in got["now"]:
        now, then = np.array(got["now"][arm]) * 1e3, np.array(got["then"][arm]) * 1e3
        lo, med = (now.min(), then.min()), (np.median(now), np.median(then))
        print(f"{arm:<30} {lo[0]:>8.1f} {lo[1]:>9.1f} {lo[0] / lo[1]:>6.2f} "
              f"{med[0]:>8.1f} {med[1]:>9.1f} {med[0] / med[1]:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
