"""A run's cost now against an earlier commit, measured side by side.

``python -m benchmarks.versus_commit COMMIT [--seeds N] [--rounds R]`` checks COMMIT out
into a temporary git worktree and times ``simulate`` on the default parameters (and on
each arm of ``sequencing``) in both trees, in alternating rounds, so that a busy machine
slows both alike. Time is CPU time of the timing process (not wall time), the fastest
round kept, after a warm-up run that rasterises the map. The two models need not give
the same runs; each is timed on the same seeds.

Before the ``dmzsim`` namespace the modules were top-level (``model.api``); both layouts
are found.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARMS = [("territory_first", "unilateral"), ("frozen_line", "unilateral"),
        ("territory_first", "mirrored"), ("guarantees_first", "unilateral"),
        ("simultaneous", "unilateral"), ("no_deal", "unilateral")]

_CHILD = r"""
import json, sys, time
sys.path.insert(0, {tree!r})
try:
    from dmzsim.model.api import simulate
    import dmzsim.model.api as api
    assert api.__file__.startswith({tree!r}), api.__file__
except (ImportError, AssertionError):
    for name in [n for n in sys.modules if n == "dmzsim" or n.startswith("dmzsim.")]:
        del sys.modules[name]
    from model.api import simulate
arms, seeds = {arms!r}, {seeds!r}
simulate({{}}, 0)
out = {{}}
for seq, shape in arms:
    t = time.process_time()
    for s in seeds:
        simulate({{"sequencing": seq, "dmz_shape": shape}}, s)
    out[seq + "/" + shape] = (time.process_time() - t) / len(seeds)
print(json.dumps(out))
"""


def _time(tree: Path, seeds: list[int]) -> dict[str, float]:
    code = _CHILD.format(tree=str(tree), arms=ARMS, seeds=seeds)
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(commit: str, seeds: int, rounds: int) -> dict[str, dict[str, float]]:
    """Seconds of CPU per run by arm, fastest of ``rounds``, now and at ``commit``."""
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old),
                        commit], check=True, capture_output=True)
        try:
            best: dict[str, dict[str, float]] = {"now": {}, "then": {}}
            for _ in range(rounds):
                for name, tree in (("now", ROOT), ("then", old)):
                    for arm, t in _time(tree, list(range(1, seeds + 1))).items():
                        best[name][arm] = min(best[name].get(arm, t), t)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old)], check=True, capture_output=True)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("commit")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    best = compare(args.commit, args.seeds, args.rounds)
    print(f"CPU ms per 730-day run, fastest of {args.rounds} rounds of {args.seeds} seeds")
    print(f"{'arm':<32} {'now':>8} {args.commit[:10]:>10} {'ratio':>7}")
    for arm in best["now"]:
        now, then = best["now"][arm] * 1e3, best["then"][arm] * 1e3
        print(f"{arm:<32} {now:>8.1f} {then:>10.1f} {now / then:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
