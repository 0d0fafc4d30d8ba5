"""The headline of a robust-decision experiment: how robust each policy is, and at what cost.

A published robust study (``dmzsim publish`` on a file with ``[levers]`` and
``[uncertainties]``) is quoted by its robustness, not by P at one set of values: for each
ranking measure (``[robustness] rank_by``) and policy, every robustness measure of
:mod:`analysis.robustness` with its paired-bootstrap interval, the distance to the
nearest failing world where thresholds are set, and Ukraine's whole cost under that
policy (ground and fortress-belt towns ceded by the deal or lost after resumption, the
mean over worlds). The report's robustness sections compute the same numbers with the
same seeded bootstrap (:data:`N_BOOT`), so the reference and the report agree.

Like :mod:`analysis.headline`, the table is a pure function of the runs, so recomputing
it from re-run runs gives the same digits, which is what ``dmzsim verify`` checks; its
rows are keyed by :data:`KEY` (``"<rank_by> | <policy>"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from dmzsim.analysis.robust_study import COSTS, Study
from dmzsim.analysis.robustness import (
    MEASURES,
    Cube,
    Setting,
    failing_distance,
    most_robust,
    robustness_table,
    satisfied,
    scaled_worlds,
)
from dmzsim.analysis.tables import arm_label

N_BOOT = 500  # bootstrap resamples of a robustness table (seeded: a table repeats)
KEY = "row"
DISTANCE = "failing_distance"
LABELS = {"mean": "mean over worlds", "worst": "worst percentile",
          "regret1": "regret type 1", "regret2": "regret type 2",
          "satisficing": "satisficing share"}
MEASURE_NAMES = {"p_resumption": "P(resumption)",
                 "ground_ceded_or_lost_km2": "ground ceded or lost",
                 "belt_towns_ceded_or_lost": "belt towns ceded or lost",
                 "days_to_resumption": "days to resumption"}


def failing_distances(study: Study, cubes: Mapping[str, Cube], setting: Setting
                      ) -> np.ndarray | None:
    """Per policy, the distance from the baseline world to the nearest world where it
    fails a threshold (inf: none fails); None without thresholds."""
    if not setting.thresholds:
        return None
    ok = satisfied({k: c.world_means() for k, c in cubes.items()}, setting.thresholds)
    return failing_distance(ok, scaled_worlds(study.worlds), study.baseline_world)


def robust_headline(study: Study, n_boot: int = N_BOOT) -> pd.DataFrame:
    """One row per ranking measure and policy: each robustness measure (estimate,
    ``_lo``, ``_hi``: 95% paired bootstrap), the distance to the nearest failing world,
    and the policy's whole cost (mean over worlds) where the runs record it."""
    costs = {name: study.cube(name).world_means().mean(axis=1)
             for name in COSTS if name in study.runs}
    rows = []
    for rank_by in study.robustness["rank_by"]:
        cubes = study.cubes(study.needed(rank_by))
        setting = study.setting(rank_by)
        table = robustness_table(cubes, setting, paired=True, n_boot=n_boot)
        by = table.set_index(["policy", "measure"])
        distance = failing_distances(study, cubes, setting)
        for i, policy in enumerate(study.policies):
            row: dict[str, Any] = {KEY: f"{rank_by} | {policy}", "rank_by": rank_by,
                                   "policy": policy}
            for m in MEASURES:
                if (policy, m) in by.index:
                    r = by.loc[(policy, m)]
                    row.update({m: r["estimate"], f"{m}_lo": r["low"], f"{m}_hi": r["high"]})
            if distance is not None:
                row[DISTANCE] = float(distance[i])
            row.update({name: float(v[i]) for name, v in costs.items()})
            rows.append(row)
    return pd.DataFrame(rows)


def winners(table: pd.DataFrame, rank_by: str) -> pd.DataFrame:
    """The most robust policy under each measure of one ranking
    (:func:`analysis.robustness.most_robust`), read from :func:`robust_headline`'s table."""
    part = table[table["rank_by"] == rank_by]
    long = [{"policy": r["policy"], "measure": m, "estimate": r[m]}
            for r in part.to_dict("records") for m in MEASURES if m in part]
    return most_robust(pd.DataFrame(long))


def _measure_name(rank_by: str) -> str:
    return MEASURE_NAMES.get(rank_by, rank_by)


def _cost_text(table: pd.DataFrame, policy: str) -> str:
    """`` (ceded or lost: 5,100 km², 4.00 belt towns)`` for one policy, mean over worlds."""
    row = table[table["policy"] == policy].iloc[0]
    parts = []
    if "ground_ceded_or_lost_km2" in row and math.isfinite(row["ground_ceded_or_lost_km2"]):
        parts.append(f"{row['ground_ceded_or_lost_km2']:,.0f} km²")
    if "belt_towns_ceded_or_lost" in row and math.isfinite(row["belt_towns_ceded_or_lost"]):
        parts.append(f"{row['belt_towns_ceded_or_lost']:.2f} belt towns")
    return f" (ceded or lost: {', '.join(parts)})" if parts else ""


def robust_sentence(table: pd.DataFrame, runs: int, horizon: float) -> str:
    """One line for the README: for each ranking, the most robust policy under each
    measure with its value, and what it costs Ukraine (mean over worlds)."""
    parts = []
    n_policies = table["policy"].nunique()
    for rank_by in dict.fromkeys(table["rank_by"]):
        groups: dict[str, list[str]] = {}
        for r in winners(table, rank_by).itertuples():
            tied = str(r.best).split(" = ")
            who = "all policies tie" if len(tied) == n_policies > 1 else str(r.best)
            groups.setdefault(who, []).append(
                f"{LABELS.get(r.measure, r.measure)} {r.estimate:,.3g}")
        items = []
        for who, measures in groups.items():
            if who == "all policies tie":
                items.append(f"all policies tie on {', '.join(measures)}")
                continue
            names = " = ".join(arm_label(p) for p in who.split(" = "))
            cost = _cost_text(table, who.split(" = ")[0])
            items.append(f"{names} by {', '.join(measures)}{cost}")
        parts.append(f"by {_measure_name(rank_by)}: {'; '.join(items)}")
    return (f"most robust policy over the worlds (within {horizon:g} days) "
            f"{' — '.join(parts)}; {n_policies} policies, {runs:,} runs")


def robust_markdown(table: pd.DataFrame, settings: Mapping[str, Any] | None = None) -> str:
    """The table for reading: per ranking, a table of policies x measures with their
    intervals, then the most robust policy under each measure; ``settings`` (the
    experiment's ``[robustness]``) says which thresholds and percentile they used."""
    out = []
    if settings:
        holds = " and ".join(f"`{t}`" for t in settings.get("thresholds", [])) or "none set"
        out += [f"Thresholds (satisficing: all hold in a world): {holds}; worst percentile "
                f"and regrets: the {float(settings.get('percentile', 90.0)):g}th percentile "
                "over worlds.", ""]
    for rank_by in dict.fromkeys(table["rank_by"]):
        part = table[table["rank_by"] == rank_by]
        shown = [m for m in MEASURES if m in part]
        head = ["policy", *(LABELS[m] for m in shown)]
        if DISTANCE in part:
            head.append("distance to nearest failing world")
        lines = [f"**Robustness by {_measure_name(rank_by)}** (`{rank_by}`)", "",
                 "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        for r in part.to_dict("records"):
            cells = [arm_label(r["policy"]),
                     *(f"{r[m]:.3g} ({r[f'{m}_lo']:.3g}–{r[f'{m}_hi']:.3g})" for m in shown)]
            if DISTANCE in part:
                cells.append("none fails" if math.isinf(r[DISTANCE]) else f"{r[DISTANCE]:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
        best = winners(table, rank_by)
        lines += ["", "Most robust: " + "; ".join(
            f"{LABELS.get(r.measure, r.measure)}: **"
            f"{' = '.join(arm_label(p) for p in str(r.best).split(' = '))}** "
            f"({r.estimate:.3g})" for r in best.itertuples()) + ".", ""]
        out += lines
    out.append("*Lower is better except the satisficing share. Worst percentile and regrets: "
               "the configured percentile over worlds; regret type 1 from the baseline "
               "world, type 2 from each world's best policy; brackets: 95% paired bootstrap "
               "over replicate seeds within worlds (docs/deep-uncertainty.md). Ceded or "
               "lost: each policy's whole cost to Ukraine, the mean over worlds.*")
    return "\n".join(out) + "\n"
