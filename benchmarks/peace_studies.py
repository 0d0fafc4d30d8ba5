"""Peace studies: the model at its defaults, measured on paired seeds.

What it measures, and why: the chance that Russia resumes the war (regrouping risk) in
each arm of the flagship (runs/sequencing.toml) under six changes of the question, so
that the flagship's ranking can be read against what it depends on:

1. ``aims``: Russia's aims scenario (oblast ... maximal), P by 1, 2 and 5 years per arm;
2. ``monitoring``: the zone's daily monitoring coverage, P and the warning days;
3. ``width``: the mirrored zone's width, P and the warning days;
4. ``border``: a line along an oblast border moved 3 km (synthetic border map): with a
   declared stretch (``front = "between"``) the front and every P must hold;
5. ``frozen_hazard``: the frozen line's hazard by half-year, the last failure, the
   distinct end states, the resumption days mod 14 and what decided the held runs;
6. ``mechanisms_off``: the mechanisms of the last refit switched off
   (``dmzsim.model.params.MECHANISMS_OFF``) against the defaults.

Every cell runs the seeds 20251127 + i (i = 0..N-1), the same in every cell (common random
numbers), so two cells are compared seed by seed (discordant pairs, McNemar's exact test);
intervals are Wilson 95%. Runs stop on the day the war resumes (``until_resumption``):
nothing after it changes whether or when it did, and held runs still run to the horizon.

    nice -n 10 .venv/bin/python -m benchmarks.peace_studies [--only STUDY ...]
    .venv/bin/python -m benchmarks.peace_studies --report      # the .md from the JSON
    .venv/bin/python -m benchmarks.peace_studies --follow ARM SCENARIO SEED

Results: one JSON per study in benchmarks/peace_studies/ (a study already written is
skipped, so a crash loses one study only) and the tables in benchmarks/peace_studies.md.
"""

from __future__ import annotations

# isort: off
import dmzsim  # noqa: F401  (first: it keeps NumPy off its AVX-512 code paths)
# isort: on
import argparse
import hashlib
import itertools
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
from dmzsim.model.api import simulate
from dmzsim.model.params import MECHANISMS_OFF, Params
from scipy.stats import binomtest

from benchmarks.run_benchmarks import machine

HERE = Path(__file__).resolve().parent
OUT = HERE / "peace_studies"
REPORT = HERE / "peace_studies.md"
FOLLOWED = OUT / "followed.md"
ROOT = HERE.parent
BORDER_MAP = ROOT / "model" / "maps" / "synthetic_border.toml"
ROOT_SEED = 20251127
HORIZON = 1825
FLAGSHIP_AIMS = "claimed_oblasts"
ARMS = ["frozen_line-unilateral", "territory_first-unilateral", "territory_first-mirrored",
        "guarantees_first-unilateral", "guarantees_first-mirrored",
        "simultaneous-unilateral", "simultaneous-mirrored"]
FOUR_ARMS = ["territory_first-mirrored", "simultaneous-mirrored",
             "guarantees_first-unilateral", "frozen_line-unilateral"]
SCENARIOS = ["oblast", "donetsk", "donetsk_only", "claimed_oblasts", "maximal"]
COVERAGES = [0.0, 0.02, 0.1, 0.5, 1.0]
WIDTHS = [1.0, 5.0, 10.0, 40.0]
FIELDS = ["resumed", "day_resumed", "warning_days", "ru_personnel_end", "ua_personnel_end",
          "decided_by", "area_ceded_km2", "belt_towns_ceded", "belt_towns_lost",
          "ua_area_km2_end", "guarantees_delivered", "days_run"]
CHECK_SEEDS = 30  # seeds on which two arms are checked for identical runs
# The border map's last stretch runs along the oblast's southern border (47.60 N); moved
# 3 km south it leaves the oblast (tests/test_whole_front.py).
ALONG = "    [47.60, 35.50],\n    [47.60, 36.30],\n]"
OUTSIDE = "    [47.573, 35.50],\n    [47.573, 36.30],\n]"
ENDS = "front_ends = [[47.85, 35.02], [47.60, 35.98]]\n"
POINTS = "[line_of_contact]\n"


# --- running cells --------------------------------------------------------------------------

def arm_params(arm: str, **changes: Any) -> dict[str, Any]:
    """The parameters of an arm ("sequencing-shape") with the flagship's base and changes."""
    sequencing, shape = arm.split("-")
    return {"sequencing": sequencing, "dmz_shape": shape, "aims_scenario": FLAGSHIP_AIMS,
            "horizon_days": HORIZON, **changes}


def cell_key(params: dict[str, Any], map_name: str | None) -> str:
    """A cell's identity: its map and the parameters that differ from the defaults."""
    chosen = {k: v for k, v in params.items() if v != Params.model_fields[k].default}
    return f"{map_name or 'default'}|{json.dumps(chosen, sort_keys=True)}"


def _nice() -> None:
    os.nice(10)


def _clean(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    return None if isinstance(v, float) and math.isnan(v) else v


def _run(task: tuple[str, dict[str, Any], str | None, int]) -> tuple[str, int, dict]:
    """One run: its record (FIELDS) and a digest of its whole summary."""
    key, params, map_path, seed = task
    s = simulate(params, seed=seed, until_resumption=True, map_path=map_path).summary
    full = {k: _clean(v) for k, v in s.items()}
    rec = {f: full[f] for f in FIELDS}
    rec["digest"] = hashlib.sha1(json.dumps(full, sort_keys=True, default=str).encode()
                                 ).hexdigest()[:12]
    return key, seed, rec


class Runner:
    """Runs cells on a pool of two nice workers, reusing every run already measured."""

    def __init__(self) -> None:
        self.pool = Pool(2, initializer=_nice)
        self.cache: dict[str, dict[int, dict]] = {}
        self.n_new = 0
        for path in sorted(OUT.glob("*.json")):
            for key, cell in json.loads(path.read_text())["cells"].items():
                self.cache.setdefault(key, {}).update(zip(cell["seeds"], cell["records"],
                                                          strict=True))

    def run(self, cells: dict[str, tuple[dict, str | None, str | None]],
            n: int) -> dict[str, dict]:
        """Runs {name: (params, map_name, map_path)} on seeds 0..n-1; {name: cell}."""
        seeds = [ROOT_SEED + i for i in range(n)]
        keys = {name: cell_key(p, m) for name, (p, m, _) in cells.items()}
        todo = [(keys[name], p, path, s) for name, (p, _, path) in cells.items()
                for s in seeds if s not in self.cache.get(keys[name], {})]
        todo = list({(t[0], t[3]): t for t in todo}.values())
        t0 = time.time()
        for i, (key, seed, rec) in enumerate(self.pool.imap_unordered(_run, todo, 8)):
            self.cache.setdefault(key, {})[seed] = rec
            if (i + 1) % 250 == 0:
                print(f"  {i + 1}/{len(todo)} runs, {time.time() - t0:.0f} s", flush=True)
        self.n_new += len(todo)
        return {name: {"key": keys[name], "params": cells[name][0], "map": cells[name][1],
                       "seeds": seeds, "records": [self.cache[keys[name]][s] for s in seeds]}
                for name in cells}


# --- statistics -----------------------------------------------------------------------------

def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson 95% interval of k successes in n."""
    if n == 0:
        return (math.nan, math.nan)
    p, z2 = k / n, z * z
    mid, half = (p + z2 / (2 * n)) / (1 + z2 / n), z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (mid - half / (1 + z2 / n), mid + half / (1 + z2 / n))


def resumed_by(cell: dict, day: float) -> np.ndarray:
    """Per seed: did the war resume by ``day``."""
    return np.array([bool(r["resumed"]) and r["day_resumed"] is not None
                     and r["day_resumed"] <= day for r in cell["records"]])


def p_cell(cell: dict, day: float = HORIZON) -> dict[str, float]:
    """P(resumed by day) with its Wilson interval."""
    x = resumed_by(cell, day)
    lo, hi = wilson(int(x.sum()), x.size)
    return {"k": int(x.sum()), "n": int(x.size), "p": float(x.mean()), "lo": lo, "hi": hi}


def paired(a: dict, b: dict, day: float = HORIZON) -> dict[str, Any]:
    """Discordant pairs (a only, b only) and McNemar's exact p."""
    xa, xb = resumed_by(a, day), resumed_by(b, day)
    only_a, only_b = int((xa & ~xb).sum()), int((xb & ~xa).sum())
    pv = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    return {"only_a": only_a, "only_b": only_b, "p_mcnemar": float(pv),
            "delta": float(xb.mean() - xa.mean())}


def same_runs(a: dict, b: dict, n: int | None = None) -> int:
    """How many of the first n seeds give identical whole summaries in a and b."""
    ra, rb = a["records"][:n], b["records"][:n]
    return sum(x["digest"] == y["digest"] for x, y in zip(ra, rb, strict=True))


def warning(cell: dict) -> dict[str, Any]:
    """Mean warning days among the runs that resumed by the horizon."""
    w = [r["warning_days"] for r, x in zip(cell["records"], resumed_by(cell, HORIZON),
                                           strict=True) if x and r["warning_days"] is not None]
    return {"n": len(w), "mean": float(np.mean(w)) if w else None}


def warning_paired(a: dict, b: dict) -> dict[str, Any]:
    """Warning days b − a on the seeds that resumed in both: mean and 95% normal interval."""
    both = resumed_by(a, HORIZON) & resumed_by(b, HORIZON)
    d = np.array([rb["warning_days"] - ra["warning_days"] for ra, rb, x
                  in zip(a["records"], b["records"], both, strict=True) if x])
    if d.size < 2:
        return {"n": int(d.size), "mean": float(d.mean()) if d.size else None, "half": None}
    return {"n": int(d.size), "mean": float(d.mean()),
            "half": float(1.96 * d.std(ddof=1) / math.sqrt(d.size))}


# --- the studies ----------------------------------------------------------------------------

def distinct_arms(runner: Runner, arms: list[str], changes: dict[str, Any], n: int,
                  map_name: str | None = None, map_path: str | None = None
                  ) -> tuple[list[str], dict[str, str]]:
    """The arms that differ: each guarantees_first-mirrored is checked against its
    unilateral twin on CHECK_SEEDS seeds and dropped if every run is identical."""
    twins = {"guarantees_first-mirrored": "guarantees_first-unilateral"}
    keep, same = list(arms), {}
    for arm, twin in twins.items():
        if arm in arms and twin in arms:
            cells = runner.run({a: (arm_params(a, **changes), map_name, map_path)
                                for a in (arm, twin)}, min(n, CHECK_SEEDS))
            if same_runs(cells[arm], cells[twin]) == min(n, CHECK_SEEDS):
                keep.remove(arm)
                same[arm] = twin
    return keep, same


def study_aims(runner: Runner, n: int = 200) -> dict[str, Any]:
    """Every distinct arm x aims scenario: P by 1, 2 and 5 years."""
    out: dict[str, Any] = {"cells": {}, "same": {}, "table": {}}
    for sc in SCENARIOS:
        arms, same = distinct_arms(runner, ARMS, {"aims_scenario": sc}, n)
        out["same"][sc] = same
        cells = runner.run({f"{a}|{sc}": (arm_params(a, aims_scenario=sc), None, None)
                            for a in arms}, n)
        out["cells"].update(cells)
        out["table"][sc] = {a: {str(d): p_cell(cells[f"{a}|{sc}"], d) for d in (365, 730, 1825)}
                            for a in arms}
    return out


def _levels(runner: Runner, name: str, levels: list[float], far: tuple[float, float],
            n: int) -> dict[str, Any]:
    """The four arms at each level of one parameter: P, warning days, paired contrasts
    between neighbouring levels and the pair ``far``."""
    cells = runner.run({f"{a}|{v}": (arm_params(a, **{name: v}), None, None)
                        for a in FOUR_ARMS for v in levels}, n)
    pairs = [*itertools.pairwise(levels), far]
    table = {}
    for a in FOUR_ARMS:
        c = {v: cells[f"{a}|{v}"] for v in levels}
        table[a] = {"p": {str(v): p_cell(c[v]) for v in levels},
                    "warning": {str(v): warning(c[v]) for v in levels},
                    "pairs": [{"lo": lo, "hi": hi, **paired(c[lo], c[hi]),
                               "warning": warning_paired(c[lo], c[hi])}
                              for lo, hi in dict.fromkeys(pairs)]}
    return {"parameter": name, "levels": levels, "cells": cells, "table": table}


def study_monitoring(runner: Runner, n: int = 200) -> dict[str, Any]:
    """monitoring_coverage x four arms."""
    return _levels(runner, "monitoring_coverage", COVERAGES, (0.1, 1.0), n)


def study_width(runner: Runner, n: int = 200) -> dict[str, Any]:
    """dmz_width_km x four arms."""
    return _levels(runner, "dmz_width_km", WIDTHS, (1.0, 40.0), n)


def border_maps(folder: Path) -> dict[str, Path]:
    """The border map along / 3 km outside the border, with front "between" (and its
    ENDS) and, as the control, "in_oblast"."""
    text = BORDER_MAP.read_text(encoding="utf-8")
    assert ALONG in text and POINTS in text
    maps = {}
    for front in ("between", "in_oblast"):
        for moved in (False, True):
            t = text.replace(ALONG, OUTSIDE) if moved else text
            ends = ENDS if front == "between" else ""
            t = t.replace(POINTS, f'{POINTS}front = "{front}"\n{ends}')
            name = f"border-{front}-{'moved' if moved else 'along'}"
            maps[name] = folder / f"{name}.toml"
            maps[name].write_text(t, encoding="utf-8")
    return maps


def study_border(runner: Runner, n: int = 200) -> dict[str, Any]:
    """Sectors and every distinct arm's P on the four border maps; |ΔP| along vs moved."""
    from dmzsim.model.model import CeasefireModel
    with tempfile.TemporaryDirectory() as tmp:
        maps = border_maps(Path(tmp))
        sectors = {m: int(CeasefireModel(rng=0, map_path=p).theatre.n_sectors)
                   for m, p in maps.items()}
        base = {"aims_scenario": "oblast"}
        first = "border-between-along"
        arms, same = distinct_arms(runner, ARMS, base, n, first, str(maps[first]))
        cells = runner.run({f"{a}|{m}": (arm_params(a, **base), m, str(p))
                            for a in arms for m, p in maps.items()}, n)
    table = {a: {m: p_cell(cells[f"{a}|{m}"]) for m in maps} for a in arms}
    delta = {front: {a: paired(cells[f"{a}|border-{front}-along"],
                               cells[f"{a}|border-{front}-moved"]) for a in arms}
             for front in ("between", "in_oblast")}
    return {"sectors": sectors, "same": same, "cells": cells, "table": table, "delta": delta}


def hazard(cell: dict, bins: int = 10, width: float = HORIZON / 10) -> list[dict[str, Any]]:
    """Resumed / at risk per half-year."""
    days = [r["day_resumed"] for r in cell["records"] if r["resumed"]]
    h = Counter(min(bins, max(1, math.ceil(d / width))) for d in days)
    at_risk, rows = len(cell["records"]), []
    for b in range(1, bins + 1):
        rows.append({"bin": b, "resumed": h[b], "at_risk": at_risk,
                     "hazard": h[b] / at_risk if at_risk else None})
        at_risk -= h[b]
    return rows


def held_states(cell: dict) -> dict[str, Any]:
    """Among held runs: distinct (ru, ua) personnel pairs and what decided the last review."""
    held = [r for r in cell["records"] if not r["resumed"]]
    pairs = Counter((round(r["ru_personnel_end"]), round(r["ua_personnel_end"])) for r in held)
    top = [[ru, ua, k] for (ru, ua), k in pairs.most_common(3)]
    return {"held": len(held), "distinct": len(pairs),
            "share": len(pairs) / len(held) if held else None, "top": top,
            "decided_by": dict(Counter(r["decided_by"] for r in held).most_common())}


def mod14(cells: list[dict]) -> dict[str, int]:
    """Resumption days mod 14 (counts per residue)."""
    c = Counter(int(r["day_resumed"]) % 14 for cell in cells for r in cell["records"]
                if r["resumed"])
    return {str(i): c[i] for i in range(14)}


def study_frozen_hazard(runner: Runner, n: int = 300, n_arms: int = 200) -> dict[str, Any]:
    """The frozen line's hazard and end states; every study-1 arm's end states."""
    frozen = runner.run({"frozen_line-unilateral": (arm_params("frozen_line-unilateral"),
                                                    None, None)}, n)["frozen_line-unilateral"]
    arms, same = distinct_arms(runner, ARMS, {}, n_arms)
    cells = runner.run({a: (arm_params(a), None, None) for a in arms}, n_arms)
    days = [r["day_resumed"] for r in frozen["records"] if r["resumed"]]
    return {"cells": {f"frozen_line-unilateral|{n}": frozen, **cells}, "same": same,
            "hazard": hazard(frozen), "last_day": max(days) if days else None,
            "median_day": float(np.median(days)) if days else None,
            "frozen_held": held_states(frozen),
            "held": {a: held_states(c) for a, c in cells.items()},
            "mod14_frozen": mod14([frozen]),
            "mod14_deal_arms": mod14([c for a, c in cells.items() if a != ARMS[0]])}


def study_mechanisms_off(runner: Runner, n: int = 200) -> dict[str, Any]:
    """Three arms with MECHANISMS_OFF against the defaults: P by 2 and 5 years."""
    arms = ["frozen_line-unilateral", "territory_first-unilateral",
            "guarantees_first-unilateral"]
    cells = runner.run({f"{a}|{v}": (arm_params(a, **(MECHANISMS_OFF if v == "off" else {})),
                                     None, None) for a in arms for v in ("on", "off")}, n)
    table = {a: {str(d): {"on": p_cell(cells[f"{a}|on"], d), "off": p_cell(cells[f"{a}|off"], d),
                          **paired(cells[f"{a}|on"], cells[f"{a}|off"], d)}
                 for d in (730, 1825)} for a in arms}
    return {"mechanisms_off": MECHANISMS_OFF, "cells": cells, "table": table}


STUDIES = {"aims": study_aims, "monitoring": study_monitoring, "width": study_width,
           "border": study_border, "frozen_hazard": study_frozen_hazard,
           "mechanisms_off": study_mechanisms_off}
#: The order they run in: the cheap ones that reuse study 1's runs first.
ORDER = ["aims", "frozen_hazard", "mechanisms_off", "monitoring", "width", "border"]


# --- the report -----------------------------------------------------------------------------

def _pct(c: dict[str, float], ci: bool = True) -> str:
    s = f"{c['p']:.3f}"
    return f"{s} [{c['lo']:.2f}–{c['hi']:.2f}]" if ci else s


def _rows(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(str(x) for x in r) + " |" for r in rows] + [""]


def report_aims(d: dict) -> list[str]:
    out = []
    for sc, arms in d["table"].items():
        same = "; ".join(f"{a} = {b} (all {CHECK_SEEDS} checked seeds identical, run once)"
                         for a, b in d["same"][sc].items())
        out.append(f"**{sc}**" + (f" ({same})" if same else ""))
        out.append("")
        out += _rows(["arm", "P by 1 y", "P by 2 y", "P by 5 y [95%]"],
                     [[a, _pct(t["365"], False), _pct(t["730"], False), _pct(t["1825"])]
                      for a, t in arms.items()])
        rank = sorted(arms, key=lambda a: arms[a]["1825"]["p"])
        out += ["Ranking by P at 5 years, lowest risk first: " + " < ".join(
            f"{a} ({arms[a]['1825']['k']})" for a in rank), ""]
    return out


def _level_checks(d: dict) -> list[str]:
    out, name = [], d["parameter"]
    for a, t in d["table"].items():
        for pr in t["pairs"]:
            lo, hi = pr["lo"], pr["hi"]
            if pr["delta"] > 0:
                noise = "within noise" if pr["p_mcnemar"] >= 0.05 else "NOT within noise"
                out.append(f"- P rises, {a}, {name} {lo} → {hi}: +{pr['delta']:.3f} "
                           f"({pr['only_a']} vs {pr['only_b']} discordant, McNemar p = "
                           f"{pr['p_mcnemar']:.3f}; {noise})")
            wa, wb, wp = t["warning"][str(lo)], t["warning"][str(hi)], pr["warning"]
            if wa["mean"] is not None and wb["mean"] is not None and wb["mean"] < wa["mean"]:
                ci = (f"paired on {wp['n']} seeds: {wp['mean']:+.2f} ± {wp['half']:.2f}"
                      if wp["half"] is not None else f"paired on {wp['n']} seeds")
                noise = ("within noise" if wp["half"] is None
                         or abs(wp["mean"]) <= wp["half"] else "NOT within noise")
                out.append(f"- warning days fall, {a}, {name} {lo} → {hi}: "
                           f"{wa['mean']:.2f} → {wb['mean']:.2f} ({ci}; {noise})")
    return out or ["- none: warning days never fall and P never rises."]


def report_levels(d: dict) -> list[str]:
    lv, name = [str(v) for v in d["levels"]], d["parameter"]
    t = d["table"]
    out = [f"P by 1,825 days [95%], by `{name}`:", ""]
    out += _rows(["arm", *lv], [[a, *(_pct(t[a]["p"][v]) for v in lv)] for a in t])
    out += ["Mean warning days among runs that resumed (runs):", ""]
    out += _rows(["arm", *lv], [[a, *(f"{w['mean']:.2f} ({w['n']})" if w["mean"] is not None
                                      else "– (0)" for w in (t[a]["warning"][v] for v in lv))]
                                for a in t])
    out += ["Paired: discordant pairs (resumed at the lower level only / at the higher only), "
            "McNemar exact p, ΔP, and Δ warning days on seeds that resumed at both:", ""]
    out += _rows(["arm", "levels", "lower only", "higher only", "McNemar p", "ΔP", "Δ warning"],
                 [[a, f"{pr['lo']} → {pr['hi']}", pr["only_a"], pr["only_b"],
                   f"{pr['p_mcnemar']:.3f}", f"{pr['delta']:+.3f}",
                   "–" if pr["warning"]["mean"] is None else
                   f"{pr['warning']['mean']:+.2f} (n {pr['warning']['n']})"]
                  for a in t for pr in t[a]["pairs"]])
    out += [f"Check (warning days never fall, P never rises with `{name}`); failures:", ""]
    return [*out, *_level_checks(d), ""]


def report_border(d: dict) -> list[str]:
    maps = list(d["sectors"])
    out = _rows(["map", "sectors"], [[m, d["sectors"][m]] for m in maps])
    if d["same"]:
        out += [f"{', '.join(d['same'])} gave the same runs as its unilateral twin on "
                f"{CHECK_SEEDS} seeds (on border-between-along) and was run once.", ""]
    out += ["P by 1,825 days [95%], aims `oblast`:", ""]
    out += _rows(["arm", *maps], [[a, *(_pct(t[m]) for m in maps)]
                                  for a, t in d["table"].items()])
    out += ["|P(along) − P(moved)| with discordant pairs (along only / moved only):", ""]
    out += _rows(["arm", "between", "in_oblast (control)"],
                 [[a, *(f"{abs(d['delta'][f][a]['delta']):.3f} ({d['delta'][f][a]['only_a']}"
                        f"/{d['delta'][f][a]['only_b']})" for f in ("between", "in_oblast"))]
                  for a in d["table"]])
    s = d["sectors"]
    ok_s = abs(s["border-between-along"] - s["border-between-moved"]) <= 1
    worst = max(abs(v["delta"]) for v in d["delta"]["between"].values())
    out += [f"Target with `between`: sectors within one: **{'met' if ok_s else 'NOT met'}**; "
            f"every |ΔP| < 0.05: **{'met' if worst < 0.05 else 'NOT met'}** "
            f"(largest {worst:.3f}).", ""]
    return out


def report_frozen(d: dict) -> list[str]:
    hz = d["hazard"]
    nf = d["hazard"][0]["at_risk"]
    na = len(d["cells"][next(iter(d["held"]))]["seeds"]) if d["held"] else 0
    out = [f"The frozen line's hazard by half-year ({nf} seeds; resumed / at risk):", ""]
    out += _rows(["half-year", *(h["bin"] for h in hz)],
                 [["resumed / at risk", *(f"{h['resumed']}/{h['at_risk']}" for h in hz)],
                  ["hazard", *("–" if h["hazard"] is None else f"{h['hazard']:.3f}" for h in hz)]])
    out += [f"Median day of a failure {d['median_day']}; the last on day {d['last_day']}.", ""]
    rows = [[f"frozen_line-unilateral ({nf} seeds)", d["frozen_held"]], *d["held"].items()]
    out += [f"Held runs at day 1,825 (claimed_oblasts; {na} seeds unless said): distinct "
            "(ru, ua) personnel pairs, the commonest pairs, and what decided the last review:",
            ""]
    out += _rows(["arm", "held", "distinct pairs", "share", "commonest (ru, ua, runs)",
                  "decided_by"],
                 [[a, h["held"], h["distinct"], "–" if h["share"] is None else f"{h['share']:.3f}",
                   "; ".join(f"{ru:,}/{ua:,} ×{k}" for ru, ua, k in h["top"]),
                   ", ".join(f"{k or '(none)'}: {v}" for k, v in h["decided_by"].items())]
                  for a, h in rows])
    if d["same"]:
        out += [f"({', '.join(d['same'])}: the same runs as its unilateral twin, counted once.)",
                ""]
    out += ["Resumption days mod 14 (residue: count):", ""]
    out += _rows(["runs", *range(14)],
                 [[f"frozen line ({nf} seeds)", *d["mod14_frozen"].values()],
                  [f"every deal arm ({na} seeds each)", *d["mod14_deal_arms"].values()]])
    return out


def report_mechanisms(d: dict) -> list[str]:
    rows = []
    for a, t in d["table"].items():
        for day, c in t.items():
            rows.append([a, day, _pct(c["on"]), _pct(c["off"]), f"{c['only_a']}/{c['only_b']}",
                         f"{c['p_mcnemar']:.3f}"])
    out = [f"`MECHANISMS_OFF` = `{json.dumps(d['mechanisms_off'])}`", ""]
    return out + _rows(["arm", "by day", "defaults", "MECHANISMS_OFF",
                        "discordant (defaults only / off only)", "McNemar p"], rows)


RENDER = {"aims": ("1. Aims scenarios", report_aims),
          "monitoring": ("2. Monitoring coverage", report_levels),
          "width": ("3. Width of the mirrored zone", report_levels),
          "border": ("4. A line along an oblast border, moved 3 km", report_border),
          "frozen_hazard": ("5. The frozen line's hazard and end states", report_frozen),
          "mechanisms_off": ("6. The mechanisms switched off", report_mechanisms)}


def write_report() -> None:
    """benchmarks/peace_studies.md from the JSON files (and followed.md)."""
    out = ["# Peace studies: the model at its defaults on paired seeds", "",
           "Generated by `benchmarks/peace_studies.py` from `benchmarks/peace_studies/*.json` "
           "(do not edit by hand; the section \"Followed on a seed\" is "
           "`benchmarks/peace_studies/followed.md`).", "",
           "Command: `nice -n 10 .venv/bin/python -m benchmarks.peace_studies` (a Pool of 2 "
           "workers at nice 10, chunksize 8). Seeds 20251127 + i, the same in every cell; "
           "runs stopped at resumption (`until_resumption=True`); arms as in "
           "`runs/sequencing.toml` (`aims_scenario = \"claimed_oblasts\"`, "
           "`horizon_days = 1825`) unless a study varies them. Wilson 95% intervals; paired "
           "comparisons by discordant pairs and McNemar's exact test.", ""]
    meta = []
    for name in RENDER:
        path = OUT / f"{name}.json"
        if path.exists():
            m = json.loads(path.read_text())["meta"]
            meta.append([name, m["commit"], m["date"], m["runs"], m["new_runs"],
                         f"{m['wall_s'] / 60:.1f}"])
    out += _rows(["study", "commit measured", "date (UTC)", "runs (cells × seeds)",
                  "runs made", "wall time (min)"], meta)
    for name, (title, render) in RENDER.items():
        path = OUT / f"{name}.json"
        out += [f"## {title}", ""]
        out += render(json.loads(path.read_text())) if path.exists() else ["Not run yet.", ""]
    out += ["## Followed on a seed", ""]
    out += [FOLLOWED.read_text().strip(), ""] if FOLLOWED.exists() else ["Not written yet.", ""]
    REPORT.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


# --- following one seed ---------------------------------------------------------------------

def follow(arm: str, scenario: str, seed: int) -> None:
    """Print Russia's reviews on one seed (seed = i, run as 20251127 + i)."""
    from dmzsim.model.model import CeasefireModel
    m = CeasefireModel(Params.build(arm_params(arm, aims_scenario=scenario)),
                       rng=ROOT_SEED + seed)
    last = None
    print("day sector ratio/required frontage gain losses guarantor ending value_now "
          "value_wait decided_by")
    while m.running and not m.at_war:
        m.run_for(1)
        r = m.record.review
        if r is not None and r is not last:
            last = r
            fr = "-" if r.frontage is None else f"{r.frontage[0]:.0f}"
            print(f"{m.day} {int(r.sector[0])} {r.ratio[0]:.2f}/{r.required:.1f} {fr} "
                  f"{r.gain[0]:.0f} {r.losses[0]:.0f} {r.guarantor[0]:.0f} {r.ending[0]:.0f} "
                  f"{r.value_now:.0f} {r.value_wait:.0f} {r.deciding_term()}")
    print("end", m.day, "at war" if m.at_war else "held", simulate(
        arm_params(arm, aims_scenario=scenario), seed=ROOT_SEED + seed,
        until_resumption=True).summary["day_resumed"])


# --- main -----------------------------------------------------------------------------------

def run_study(runner: Runner, name: str) -> None:
    """Run one study and write its JSON (with the commit, date, run counts and wall time)."""
    t0, before = time.time(), runner.n_new
    print(f"{name}: start", flush=True)
    data = STUDIES[name](runner)
    data["meta"] = {"study": name, "commit": machine()["git_commit"][:7],
                    "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                    "runs": sum(len(c["seeds"]) for c in data["cells"].values()),
                    "new_runs": runner.n_new - before, "wall_s": time.time() - t0,
                    "command": "python -m benchmarks.peace_studies " + " ".join(sys.argv[1:])}
    OUT.mkdir(exist_ok=True)
    tmp = OUT / f"{name}.json.tmp"
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    tmp.replace(OUT / f"{name}.json")
    print(f"{name}: {data['meta']['new_runs']} runs in {data['meta']['wall_s']:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", choices=ORDER, default=ORDER)
    ap.add_argument("--report", action="store_true", help="only regenerate the .md")
    ap.add_argument("--follow", nargs=3, metavar=("ARM", "SCENARIO", "SEED_INDEX"))
    args = ap.parse_args()
    if args.follow:
        follow(args.follow[0], args.follow[1], int(args.follow[2]))
        return
    if not args.report:
        runner = Runner()
        for name in args.only:
            if not (OUT / f"{name}.json").exists():
                run_study(runner, name)
                write_report()
        runner.pool.close()
    write_report()


if __name__ == "__main__":
    main()
