"""Representation invariance: P(resume within the horizon) of every arm of ``sequencing``
under the theatre's margin, the cell size and the sector width, with common random numbers.

``python -m benchmarks.invariance OUT.csv [--replicates N] [--workers W] [--arms A ...]
[--representations R ...]`` runs each arm (all seven, or those named as
``sequencing/shape``) and representation (all, or those named)
with the same seeds (0..N-1) and appends one row per run to OUT.csv (finished rows are
skipped when it is run again); ``--report`` prints the table of
paired differences that docs/validation.md shows. Each run stops on the day the war
resumes (``simulate(..., until_resumption=True)``): nothing after it changes whether it
did.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd
from dmzsim.model.api import simulate
from dmzsim.model.theatre_map import default_map_path

ARMS = [("frozen_line", "unilateral"), ("territory_first", "unilateral"),
        ("guarantees_first", "unilateral"), ("simultaneous", "unilateral"),
        ("territory_first", "mirrored"), ("guarantees_first", "mirrored"),
        ("simultaneous", "mirrored")]
#: name -> (map changes, parameter changes); "default" is the shipped map and defaults.
REPRESENTATIONS = {
    "default": ({}, {}),
    "margin_60": ({"margin_km": 60.0}, {}),
    "margin_120": ({"margin_km": 120.0}, {}),
    "cell_1.5": ({}, {"cell_km": 1.5}),
    "cell_3": ({}, {"cell_km": 3.0}),
    "sectors_15": ({}, {"sector_km": 15.0}),
    "sectors_30": ({}, {"sector_km": 30.0}),
}
FIELDS = ["representation", "sequencing", "dmz_shape", "seed", "resumed", "day_resumed"]


def map_variant(changes: dict[str, float], folder: Path) -> Path:
    """The default map with some ``[map]`` keys changed, written into ``folder``."""
    text = default_map_path().read_text(encoding="utf-8")
    for key, value in changes.items():
        lines = [f"{key} = {value}" if line.startswith(f"{key} =") else line
                 for line in text.splitlines()]
        text = "\n".join(lines) + "\n"
    path = folder / ("map_" + "_".join(f"{k}{v:g}" for k, v in changes.items()) + ".toml")
    path.write_text(text, encoding="utf-8")
    return path


def _one(task: tuple[str, str, str, int, str | None, dict]) -> dict:
    rep, seq, shape, seed, map_path, params = task
    s = simulate({"sequencing": seq, "dmz_shape": shape, **params}, seed,
                 map_path=map_path, until_resumption=True).summary
    return {"representation": rep, "sequencing": seq, "dmz_shape": shape, "seed": seed,
            "resumed": bool(s["resumed"]), "day_resumed": s["day_resumed"]}


def run(out: Path, replicates: int, workers: int, arms: list[tuple[str, str]] | None = None,
        representations: list[str] | None = None) -> None:
    """Append the runs of ``arms`` (default: all of ``ARMS``) under ``representations``
    (default: all of ``REPRESENTATIONS``) not yet in ``out``."""
    arms = ARMS if arms is None else arms
    chosen = list(REPRESENTATIONS) if representations is None else representations
    done = set()
    if out.exists():
        with out.open() as fh:
            done = {(r["representation"], r["sequencing"], r["dmz_shape"], int(r["seed"]))
                    for r in csv.DictReader(fh)}
    with tempfile.TemporaryDirectory() as tmp:
        tasks = []
        for rep in chosen:
            map_changes, params = REPRESENTATIONS[rep]
            path = str(map_variant(map_changes, Path(tmp))) if map_changes else None
            tasks += [(rep, seq, shape, seed, path, params) for seq, shape in arms
                      for seed in range(replicates) if (rep, seq, shape, seed) not in done]
        tasks.sort(key=lambda t: t[3])  # seed by seed: a cut-short run covers every cell
        new = not out.exists()
        with out.open("a", newline="") as fh, ExitStack() as stack:
            writer = csv.DictWriter(fh, FIELDS)
            if new:
                writer.writeheader()
            if workers > 1:
                ex = stack.enter_context(ProcessPoolExecutor(workers))
                rows = ex.map(_one, tasks, chunksize=8)
            else:  # in this process: no fork (a test runs it so)
                rows = map(_one, tasks)
            for row in rows:
                writer.writerow(row)
                fh.flush()


#: The comparisons docs/validation.md reports: each family's members, compared pairwise.
FAMILIES = {
    "margin 60 vs 120 km": ("margin_60", "margin_120"),
    "cell 1.5 / 2 / 3 km": ("cell_1.5", "default", "cell_3"),
    "sectors 15 / 20 / 30 km": ("sectors_15", "default", "sectors_30"),
}


def _paired(a: pd.Series, b: pd.Series, rng: np.random.Generator
            ) -> tuple[float, float, float]:
    both = a.index.intersection(b.index)
    d = b.loc[both].astype(float).to_numpy() - a.loc[both].astype(float).to_numpy()
    if d.size == 0:
        return np.nan, np.nan, np.nan
    boots = d[rng.integers(0, d.size, (2000, d.size))].mean(axis=1)
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return float(d.mean()), float(lo), float(hi)


def report(out: Path) -> str:
    """Markdown tables: P per representation and arm; then, per family of
    representations, the largest paired difference between two of its members with its
    95% interval (paired bootstrap over seeds)."""
    df = pd.read_csv(out)
    rng = np.random.default_rng(0)
    p_rows = ["| arm | " + " | ".join(REPRESENTATIONS) + " |",
              "|---" * (len(REPRESENTATIONS) + 1) + "|"]
    d_rows = ["| arm | " + " | ".join(FAMILIES) + " |", "|---" * (len(FAMILIES) + 1) + "|"]
    for seq, shape in ARMS:
        arm = df[(df.sequencing == seq) & (df.dmz_shape == shape)]
        if arm.empty:  # an arm not run (``--arms``)
            continue
        by = {rep: arm[arm.representation == rep].set_index("seed")["resumed"]
              for rep in REPRESENTATIONS}
        p_rows.append(f"| {seq} / {shape} | " + " | ".join(
            f"{by[r].mean():.3f}" if len(by[r]) else "–" for r in REPRESENTATIONS) + " |")
        cells = []
        for members in FAMILIES.values():
            worst = max(((*_paired(by[a], by[b], rng), a, b)
                         for i, a in enumerate(members) for b in members[i + 1:]),
                        key=lambda t: abs(t[0]) if np.isfinite(t[0]) else -1)
            d, lo, hi, a, b = worst
            cells.append(f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}] ({b} − {a})" if np.isfinite(d)
                         else "–")  # a family not run (``--representations``)
        d_rows.append(f"| {seq} / {shape} | " + " | ".join(cells) + " |")
    n = int(df.groupby(["representation", "sequencing", "dmz_shape"]).size().min())
    return ("\n".join(p_rows) + "\n\n" + "\n".join(d_rows)
            + f"\n\n{n} paired replicates per cell.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--arms", nargs="+", metavar="SEQUENCING/SHAPE",
                    choices=[f"{seq}/{shape}" for seq, shape in ARMS],
                    help="run only these arms (default: all seven)")
    ap.add_argument("--representations", nargs="+", choices=list(REPRESENTATIONS),
                    help="run only these representations (default: all)")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    if args.report:
        print(report(args.out))
    else:
        arms = [tuple(a.split("/")) for a in args.arms] if args.arms else None
        run(args.out, args.replicates, args.workers, arms, args.representations)


if __name__ == "__main__":
    main()
