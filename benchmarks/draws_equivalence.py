"""Waiting times against daily draws: the same distribution of every output.

The model draws its rare events as waiting times (the next shock, the next violation, a
review's misreading on the review's day) so that quiet days draw nothing; its reference
mode (``CeasefireModel.waiting_times`` off, ``simulate(waiting_times=False)``) draws
every random number every day. The two give other runs from the same laws, so no run
can be compared with its twin: the check is on distributions.

``python -m benchmarks.draws_equivalence --seeds 1000`` runs each arm of
``runs/sequencing.toml`` (``benchmarks.equivalence.ARMS``, less the two that repeat
another: without a withdrawal, ``no_deal`` and ``frozen_line`` never draw a zone, so
their mirrored arm is their unilateral arm run by run) for ``--seeds`` seeds in both
modes, at the default horizon, and tests every output of the registry's run records: a
two-sample Kolmogorov-Smirnov test on numbers, Fisher's exact test on flags and on
whether a number is defined (``day_resumed`` is not, where the war never resumed), and a
chi-square test on categories. The p-values of all arms and outputs are adjusted
together (Holm), and the modes agree if none falls below ``--alpha``. The table goes to
``benchmarks/draws_equivalence.md`` and the numbers to
``benchmarks/draws_equivalence.json``; ``tests/test_draws_equivalence.py`` runs the same
check at a size that fits in the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.equivalence import ARMS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "draws_equivalence"
CHUNK = 25  # seeds per task
#: The arms, each once: no zone is ever drawn in these two, so the zone's shape is idle
REPEATS = {("no_deal", "mirrored"), ("frozen_line", "mirrored")}
DISTINCT_ARMS = [arm for arm in ARMS if arm not in REPEATS]


def _runs(task: tuple[str, str, list[int], int]) -> list[dict[str, Any]]:
    """Both modes' summaries for a chunk of seeds of one arm."""
    from dmzsim.model.api import simulate

    seq, shape, seeds, horizon = task
    params = {"sequencing": seq, "dmz_shape": shape, "horizon_days": horizon}
    rows = []
    for seed in seeds:
        for waiting in (True, False):
            rec = simulate(params, seed, waiting_times=waiting).summary
            rows.append({"arm": f"{seq}/{shape}", "seed": seed, "waiting_times": waiting,
                         **rec})
    return rows


def samples(seeds: int, horizon: int = 730, workers: int = 2,
            arms: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Every run of both modes: one row per (arm, seed, mode)."""
    tasks = [(seq, shape, list(range(s, min(s + CHUNK, seeds))), horizon)
             for seq, shape in (DISTINCT_ARMS if arms is None else arms)
             for s in range(0, seeds, CHUNK)]
    rows: list[dict[str, Any]] = []
    if workers <= 1:
        for t in tasks:
            rows += _runs(t)
    else:
        with ProcessPoolExecutor(workers) as ex:
            for done, chunk in enumerate(ex.map(_runs, tasks), 1):
                rows += chunk
                print(f"  {done}/{len(tasks)} chunks", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def _kind(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if not pd.api.types.is_numeric_dtype(values):
        return "category"
    return "number"


def _fisher(a: np.ndarray, b: np.ndarray) -> float:
    table = [[int(a.sum()), int((~a).sum())], [int(b.sum()), int((~b).sum())]]
    return float(stats.fisher_exact(table).pvalue)


def output_test(a: pd.Series, b: pd.Series) -> tuple[str, float]:
    """The test of one output's two samples and its p-value (1 where both samples hold
    one and the same value, which no test can tell apart)."""
    kind = _kind(pd.concat([a, b]))
    if kind == "flag":
        return "Fisher", _fisher(a.to_numpy(bool), b.to_numpy(bool))
    if kind == "category":
        table = pd.crosstab(np.r_[np.zeros(len(a)), np.ones(len(b))],
                            np.r_[a.to_numpy(str), b.to_numpy(str)])
        if table.shape[1] < 2:
            return "chi-square", 1.0
        return "chi-square", float(stats.chi2_contingency(table.to_numpy()).pvalue)
    x, y = a.to_numpy(float), b.to_numpy(float)
    fx, fy = np.isfinite(x), np.isfinite(y)
    tests: list[float] = []
    if (~fx).any() or (~fy).any():  # defined in some runs only: as often in both?
        tests.append(_fisher(fx, fy))
    x, y = x[fx], y[fy]
    if x.size and y.size and np.ptp(np.r_[x, y]) > 0.0:
        with warnings.catch_warnings():  # ties: the exact p falls back to the asymptotic
            warnings.simplefilter("ignore", RuntimeWarning)
            tests.append(float(stats.ks_2samp(x, y).pvalue))
    if not tests:
        return "KS", 1.0
    # two tests of one output: Bonferroni within it
    return ("KS" if len(tests) == 1 and fx.all() and fy.all() else "KS+Fisher",
            min(1.0, len(tests) * min(tests)))


def compare(runs: pd.DataFrame, fields: tuple[str, ...]) -> pd.DataFrame:
    """One row per (arm, output): the test, the means of both modes, its p-value and
    Holm's adjustment over every row."""
    rows = []
    for arm, group in runs.groupby("arm", sort=False):
        fast, daily = group[group.waiting_times], group[~group.waiting_times]
        for name in fields:
            test, p = output_test(fast[name], daily[name])
            rows.append({"arm": arm, "output": name, "test": test,
                         "waiting_times": _summary(fast[name]),
                         "daily_draws": _summary(daily[name]), "p": p})
    table = pd.DataFrame(rows)
    table["p_holm"] = _holm(table["p"].to_numpy())
    return table


def _summary(values: pd.Series) -> str:
    kind = _kind(values)
    if kind == "flag":
        return f"{values.mean():.3f}"
    if kind == "category":
        return str(values.mode().iloc[0]) if len(values) else ""
    v = values.to_numpy(float)
    v = v[np.isfinite(v)]
    return f"{v.mean():.4g}" if v.size else "nan"


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: the family-wise error rate over all the tests."""
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (p.size - np.arange(p.size))))
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def agree(table: pd.DataFrame, alpha: float) -> bool:
    """Whether no output of any arm tells the two modes apart at ``alpha`` (Holm)."""
    return bool((table["p_holm"] >= alpha).all())


def markdown(table: pd.DataFrame, meta: dict[str, Any]) -> str:
    """The table as a page: the smallest p-values first, then each arm's worst."""
    worst = table.sort_values("p").head(15)
    per_arm = table.loc[table.groupby("arm", sort=False)["p"].idxmin()]
    lines = [
        "# Waiting times against daily draws",
        "",
        f"{meta['seeds']} seeds x {len(per_arm)} arms x 2 modes at {meta['horizon']} days "
        f"({meta['runs']} runs, {meta['elapsed_s']:.0f} s on {meta['workers']} workers, "
        f"commit {meta['commit']}). {len(table)} tests (arm x output), p-values adjusted "
        f"together by Holm. Smallest adjusted p: {table['p_holm'].min():.3g}; "
        f"agree at alpha = {meta['alpha']}: **{meta['agree']}**.",
        "",
        "Written by `python -m benchmarks.draws_equivalence`; see its docstring.",
        "",
        "## Each arm's smallest p", "",
        "| arm | output | test | waiting times | daily draws | p | p (Holm) |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in per_arm.iterrows():
        lines.append(f"| {r.arm} | {r.output} | {r.test} | {r.waiting_times} | "
                     f"{r.daily_draws} | {r.p:.3g} | {r.p_holm:.3g} |")
    lines += ["", "## The 15 smallest p overall", "",
              "| arm | output | test | waiting times | daily draws | p | p (Holm) |",
              "|---|---|---|---|---|---|---|"]
    for _, r in worst.iterrows():
        lines.append(f"| {r.arm} | {r.output} | {r.test} | {r.waiting_times} | "
                     f"{r.daily_draws} | {r.p:.3g} | {r.p_holm:.3g} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from dmzsim.model import api  # noqa: F401  (loaded before the workers start)
    from dmzsim.model.processes.recording import SUMMARY_FIELDS

    from benchmarks.run_benchmarks import machine

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--horizon", type=int, default=730)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--alpha", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    start = time.perf_counter()
    runs = samples(args.seeds, args.horizon, args.workers)
    table = compare(runs, SUMMARY_FIELDS)
    meta = {"seeds": args.seeds, "horizon": args.horizon, "workers": args.workers,
            "runs": len(runs), "alpha": args.alpha, "agree": agree(table, args.alpha),
            "elapsed_s": time.perf_counter() - start,
            "commit": machine().get("git_commit", "")[:7], "machine": machine()}
    args.out.with_suffix(".json").write_text(json.dumps(
        {**meta, "tests": table.to_dict("records")}, indent=1, default=str))
    args.out.with_suffix(".md").write_text(markdown(table, meta))
    print(markdown(table, meta))
    return 0 if meta["agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
