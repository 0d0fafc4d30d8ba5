"""The report's robust-decision sections, for an experiment with ``[levers]`` and
``[uncertainties]`` (``dmzsim robust``): risk and cost per policy and world, the
robustness measures on paired replicates, the most robust policy under each, where each
policy fails (PRIM on the uncertainties), where the ranking flips, and sensitivity only
where it can be estimated. The measures are :mod:`analysis.robustness`, the map
:mod:`analysis.flip_map`, the data :mod:`analysis.robust_study`; docs/deep-uncertainty.md
explains them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from dmzsim.analysis import flip_map
from dmzsim.analysis.discovery import describe, discover
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc, pretty
from dmzsim.analysis.robust_headline import LABELS, N_BOOT, failing_distances
from dmzsim.analysis.robust_study import Study, by_world, flip_of, study_of
from dmzsim.analysis.robustness import (
    most_robust,
    robustness_table,
    satisfied,
)
from dmzsim.analysis.sensitivity import block_size, converged_sobol, samples_needed


def robust(doc: Doc, ctx: ReportContext) -> None:
    """Every robust-decision section; nothing for an experiment without levers."""
    if "levers" not in ctx.exp.config or ctx.summary.empty:
        return
    study = study_of(load_experiment(ctx.folder))  # every policy, none merged
    doc.h(2, "Policies under deep uncertainty")
    _intro(doc, study)
    _risk_and_cost(doc, study)
    for rank_by in study.robustness["rank_by"]:
        _robustness(doc, study, rank_by)
    _failures(doc, study)
    _flips(doc, ctx, study)
    _sensitivity(doc, ctx, study)


def _intro(doc: Doc, study: Study) -> None:
    n_rep = study.runs.groupby(["arm", "point"]).size()
    b = study.baseline_world
    doc.p(f"{len(study.policies)} policies ({', '.join(study.policies)}) x "
          f"{len(study.worlds)} states of the world over {', '.join(study.names)} x "
          f"{int(n_rep.min())}-{int(n_rep.max())} replicates. Replicate r of a world has "
          "the same seed under every policy, so policies are compared on paired runs. "
          f"The baseline world (regret type 1, satisficing distance) is world {b}: "
          f"{_world_text(study, b)}.")


def _world_text(study: Study, w: int) -> str:
    row = study.worlds.loc[w]
    return ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
                     for k, v in row.items())


def _risk_and_cost(doc: Doc, study: Study) -> None:
    doc.h(3, "Risk and Ukraine's whole cost, per policy and world")
    df = by_world(study)
    shown = pd.DataFrame({"policy": df["policy"], "world": df["world"]})
    for name in study.names:
        shown[name] = df[name]
    shown["runs"] = df["runs"]
    for col in [c for c in df.columns if c == "P" or (c.startswith("P_") and
                                                       not c.endswith(("_lo", "_hi")))]:
        shown[col] = [_iv(e, lo, hi, 2) for e, lo, hi in
                      zip(df[col], df[f"{col}_lo"], df[f"{col}_hi"], strict=True)]
    for name in ("ground_ceded_or_lost_km2", "belt_towns_ceded_or_lost"):
        if name in df:
            shown[name] = [_iv(e, lo, hi, 0 if "km2" in name else 2) for e, lo, hi in
                           zip(df[name], df[f"{name}_lo"], df[f"{name}_hi"], strict=True)]
    doc.table(pretty(shown, dict.fromkeys(study.names, 3)),
              f"P: P(resumption) by the horizon ({study.horizon:.0f} days); P_ky: by k "
              "years, shown where the horizon reaches them (Wilson 95% intervals). Costs: "
              "mean over replicates with a 95% bootstrap interval.")


def _iv(est: float, lo: float, hi: float, digits: int) -> str:
    if not math.isfinite(est):
        return "-"
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _robustness(doc: Doc, study: Study, rank_by: str) -> None:
    q = study.robustness["percentile"]
    doc.h(3, f"Robustness of each policy: {rank_by}")
    cubes = study.cubes(study.needed(rank_by))
    setting = study.setting(rank_by)
    paired = robustness_table(cubes, setting, paired=True, n_boot=N_BOOT)
    unpaired = robustness_table(cubes, setting, paired=False, n_boot=N_BOOT)
    wide = paired.assign(interval=[_iv(e, lo, hi, 3) for e, lo, hi in
                                   zip(paired.estimate, paired.low, paired.high, strict=True)])
    grid = wide.pivot(index="policy", columns="measure", values="interval")
    grid = grid.loc[study.policies, [m for m in LABELS if m in grid.columns]]
    grid = _with_distance(grid, study, cubes, setting)
    doc.table(grid.rename(columns=LABELS).reset_index(),
              f"Lower is better except the satisficing share. Worst percentile and regrets: "
              f"the {q:g}th percentile over worlds. Regret type 1: |value - value in the "
              "baseline world|; type 2: value - the best policy's value in that world. "
              "95% intervals: paired bootstrap over replicate seeds within worlds.")
    _pairing_gain(doc, paired, unpaired)
    _winners(doc, paired)


def _with_distance(grid: pd.DataFrame, study: Study, cubes: dict, setting) -> pd.DataFrame:
    dist = failing_distances(study, cubes, setting)
    if dist is None:
        return grid
    return grid.assign(**{"distance to nearest failing world":
                          ["none fails" if math.isinf(d) else f"{d:.2f}" for d in dist]})


def _pairing_gain(doc: Doc, paired: pd.DataFrame, unpaired: pd.DataFrame) -> None:
    sel = paired["measure"] == "regret2"
    w_p = float((paired.high - paired.low)[sel].mean())
    w_u = float((unpaired.high - unpaired.low)[sel].mean())
    if math.isfinite(w_p) and math.isfinite(w_u) and w_u > 0:
        doc.p(f"Pairing: the regret type 2 intervals are on average {w_p:.3f} wide; "
              f"resampling each policy's replicates on its own would make them {w_u:.3f} "
              f"({w_p / w_u:.0%} of that width).")


def _winners(doc: Doc, table: pd.DataFrame) -> None:
    best = most_robust(table)
    items = [f"{LABELS.get(r.measure, r.measure)}: **{r.best}** ({r.estimate:.3f})"
             for r in best.itertuples()]
    doc.p("The most robust policy under each measure:")
    doc.ul(items)
    disagree = best.loc[~best.get("agrees_with_mean", True), "measure"].tolist()
    doc.p("The measures agree." if not disagree else
          "Measures that disagree with the mean: "
          + ", ".join(LABELS.get(m, m) for m in disagree) + ".")


def _failures(doc: Doc, study: Study) -> None:
    """PRIM on the worlds: where each policy fails its thresholds (or, without them, has
    a value above the median of all its worlds)."""
    doc.h(3, "Where each policy fails")
    rank_by, x = study.robustness["rank_by"][0], study.worlds.reset_index(drop=True)
    cubes = study.cubes(study.needed(rank_by))
    means = {k: c.world_means() for k, c in cubes.items()}
    thresholds = study.thresholds()
    fails = ~satisfied(means, thresholds) if thresholds else \
        means[rank_by] > np.nanmedian(means[rank_by])
    what = "failing a threshold" if thresholds else f"{rank_by} above the median"
    items = []
    for i, policy in enumerate(study.policies):
        y = fails[i]
        if not y.any() or y.all():
            items.append(f"**{policy}**: {'never' if not y.any() else 'always'} {what}.")
            continue
        boxes = discover(x, y, alpha=0.1, min_support=0.1, min_coverage=0.5)
        lines = describe(boxes, x, y, f"the share of worlds {what}", f"worlds {what}")
        quasi = ["; ".join(f"quasi-p {k}: {v:.2g}" for k, v in b.quasi_p.items())
                 for b in boxes]
        text = " ".join(f"{line} ({qp})" if qp else line
                        for line, qp in zip(lines, quasi, strict=True))
        items.append(f"**{policy}** ({int(y.sum())} of {len(y)} worlds {what}): "
                     + (text or "PRIM finds no box beating the base rate."))
    doc.ul(items)
    doc.p("PRIM on the worlds (α = 0.1, minimum support 10%, coverage ≥ 50%); each box "
          "with its coverage and density, restrictions kept if quasi-p ≤ 0.05.")


def _flips(doc: Doc, ctx: ReportContext, study: Study) -> None:
    doc.h(3, "Where the ranking flips")
    flip = flip_of(study)
    if flip is None:
        doc.p("Fewer than two uncertainties vary: no plane to map.")
        return
    a, b, table = flip.a, flip.b, flip.table
    path = flip_map.draw(table, a, b, study.policies, ctx.figures / "flip_map.png")
    doc.p(f"The two uncertainties that most decide which policy is best ({flip.rank_by}; "
          f"feature scores, {flip.method}): "
          f"**{a}** and **{b}**. In each cell, the policy with the lowest mean over the "
          "worlds in it; the other uncertainties as sampled.")
    doc.img(path, ctx.folder, f"Best policy across {a} and {b}")
    doc.table(flip_map.as_grid(table, a, b).reset_index(), "Cells: best policy; '-': no "
              "world fell in the cell.")
    doc.table(pretty(table.drop(columns=[f"{a}_mid", f"{b}_mid"]), {"margin": 3}),
              "margin: the runner-up's mean minus the best's, in the cell.")


def _sensitivity(doc: Doc, ctx: ReportContext, study: Study) -> None:
    doc.h(3, "Sensitivity to the uncertainties")
    design = ctx.exp.design
    if design.method != "sobol" or design.problem is None:
        doc.p("Sobol' indices need the Sobol' sampler (`sampler = \"sobol\"`); the flip "
              "map's feature scores above rank the uncertainties instead.")
        return
    rows, notes = [], []
    for measure in ("p_resumption", "days_to_resumption"):
        m = study.cube(measure).world_means()
        for i, policy in enumerate(study.policies):
            conv = converged_sobol(design.problem, m[i])
            if conv.note is not None:
                n = len(m[i]) // block_size(design.problem["num_vars"])
                need = (f"; about N = {samples_needed(conv.table, n)} would do"
                        if conv.table is not None else "")
                notes.append(f"{measure}, {policy}: no indices: {conv.note}{need}.")
                continue
            rows += [{"output": measure, "policy": policy, **r}
                     for r in conv.table.to_dict("records")]
    if rows:
        doc.table(pretty(pd.DataFrame(rows), dict.fromkeys(
            ["S1", "S1_conf", "ST", "ST_conf", "ST_half"], 3)),
            "S1, ST: first and total Sobol' indices (± 95% half-widths); ST_half: the "
            "total index from the first half of the sample (a convergence check).")
    doc.ul(notes)
