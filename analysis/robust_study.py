"""A robust-decision experiment's results, arranged for the measures.

Reads what :func:`analysis.loader.load_experiment` gives (the resolved config holds
``[levers]``, ``[uncertainties]`` and ``[robustness]`` beside the arms and design they
became): the policies are the arms, the worlds the design points, and each outcome a
:class:`~analysis.robustness.Cube` ``[policy, world, replicate]``. Also here: the
per-world table of risk and cost (its Sobol' indices' convergence check is
:mod:`analysis.sensitivity`'s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from dmzsim.analysis import flip_map
from dmzsim.analysis.estimators import CONFIDENCE, mean_interval, wilson
from dmzsim.analysis.loader import ExperimentResults
from dmzsim.analysis.robustness import Cube, Setting, cube, nearest_world, parse_threshold
from dmzsim.analysis.tables import with_derived

#: measure name -> the column of the runs it is the mean of
COLUMN_OF = {"p_resumption": "resumed", "days_to_resumption": "ceasefire_days"}
COSTS = ("ground_ceded_or_lost_km2", "belt_towns_ceded_or_lost")
YEARS = (1, 2, 5)


@dataclass
class Study:
    """Policies, worlds (one row per world, the uncertainties' values) and outcomes."""

    policies: list[str]
    worlds: pd.DataFrame
    runs: pd.DataFrame  # the finished runs with derived outputs and ``by_<k>y`` columns
    robustness: dict[str, Any]
    horizon: float
    baseline_world: int

    @property
    def names(self) -> list[str]:
        return list(self.worlds.columns)

    def cube(self, measure: str) -> Cube:
        """``[policy, world, replicate]`` of one measure's run-level values."""
        return cube(self.runs, COLUMN_OF.get(measure, measure), self.policies)

    def cubes(self, measures: list[str]) -> dict[str, Cube]:
        return {m: self.cube(m) for m in dict.fromkeys(measures)}

    def thresholds(self) -> list[tuple[str, str, float]]:
        return [parse_threshold(t) for t in self.robustness.get("thresholds", [])]

    def setting(self, rank_by: str) -> Setting:
        return Setting(rank_by, self.thresholds(), float(self.robustness["percentile"]),
                       self.baseline_world)

    def needed(self, rank_by: str) -> list[str]:
        """The measures one ranking's table needs (its own and the thresholds')."""
        return [rank_by, *(t[0] for t in self.thresholds())]


def study_of(exp: ExperimentResults) -> Study:
    """The study in ``exp`` (a folder of a robust experiment: its config has levers)."""
    names = list(exp.design.names)
    return study_from(exp.config, exp.summary, exp.design.points[names])


def study_from(config: dict[str, Any], summary: pd.DataFrame, worlds: pd.DataFrame
               ) -> Study:
    """The study of a robust experiment's resolved ``config``, its run records and its
    worlds (the design's points, one row per world, in point order): what a results
    folder holds, and what ``dmzsim verify`` has after re-running the runs."""
    horizon = float(config.get("horizon_days") or config["base"]["horizon_days"])
    runs = with_derived(summary, horizon)
    day = pd.to_numeric(runs["day_resumed"], errors="coerce")
    for k in YEARS:
        runs[f"by_{k}y"] = (runs["resumed"].astype(bool) & (day <= 365 * k)).astype(float)
    worlds = worlds.reset_index(drop=True)
    worlds = worlds.loc[sorted(runs["point"].unique())]
    robustness = {"thresholds": [], "rank_by": ["p_resumption"], "percentile": 90.0,
                  "flip_bins": 4, **(config.get("robustness") or {})}
    given = robustness.get("baseline_world")
    base = {n: config["base"].get(n) for n in worlds.columns}
    baseline = int(given) if given is not None else nearest_world(worlds, base)
    return Study(list(config["arms"]), worlds, runs, robustness, horizon, baseline)


def by_world(study: Study, conf: float = CONFIDENCE) -> pd.DataFrame:
    """Per policy and world: P(resumption) by the horizon and by 1, 2 and 5 years (where
    the horizon reaches them; Wilson intervals) and the mean whole cost (bootstrap)."""
    rows = []
    years = [k for k in YEARS if 365 * k <= study.horizon]
    for (arm, point), grp in study.runs.groupby(["arm", "point"], sort=False):
        row: dict[str, Any] = {"policy": arm, "world": int(point),
                               **study.worlds.loc[point].to_dict(), "runs": len(grp)}
        r = grp["resumed"].astype(bool)
        p = wilson(int(r.sum()), len(r), conf)
        row.update({"P": p.estimate, "P_lo": p.lo, "P_hi": p.hi})
        for k in years:
            w = wilson(int(grp[f"by_{k}y"].sum()), len(grp), conf)
            row.update({f"P_{k}y": w.estimate, f"P_{k}y_lo": w.lo, f"P_{k}y_hi": w.hi})
        for name in COSTS:
            if name in grp:
                iv = mean_interval(grp[name].to_numpy(dtype=float), conf)
                row.update({name: iv.estimate, f"{name}_lo": iv.lo, f"{name}_hi": iv.hi})
        rows.append(row)
    order = {p: i for i, p in enumerate(study.policies)}
    df = pd.DataFrame(rows)
    return df.sort_values(["policy", "world"], key=lambda s: s.map(order)
                          if s.name == "policy" else s, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Flip:
    """The flip map of a study: its cells (:func:`analysis.flip_map.flip_table`) over the
    two uncertainties ``a`` and ``b`` that most decide which policy is best by
    ``rank_by``, found by feature scoring (``method``)."""

    table: pd.DataFrame
    a: str
    b: str
    rank_by: str
    method: str


def flip_of(study: Study) -> Flip | None:
    """The flip map by the study's first ranking measure, or None when fewer than two
    uncertainties vary. One function, so the report and the published key figure draw
    the same map."""
    rank_by = study.robustness["rank_by"][0]
    m = study.cube(rank_by).world_means()
    worlds = study.worlds.reset_index(drop=True)
    top = flip_map.influential(worlds, m)
    if len(top) < 2:
        return None
    a, b = str(top["name"].iloc[0]), str(top["name"].iloc[1])
    table = flip_map.flip_table(worlds, m, study.policies, a, b,
                                int(study.robustness["flip_bins"]))
    method = str(top["method"].iloc[0]) if "method" in top else "-"
    return Flip(table, a, b, rank_by, method)
