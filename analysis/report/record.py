"""The report's record of the experiment: what was run, what failed, provenance, methods.

These open and close every report, finished or not, so a reader can always tell which
runs the numbers rest on and how to reproduce them.
"""

from __future__ import annotations

import time

import pandas as pd
from dmzsim.analysis.report.context import ReportContext
from dmzsim.analysis.report.document import Doc
from dmzsim.analysis.tables import arm_label

# What ``dmzsim run --quick`` appends to the experiment's description.
QUICK_SUFFIX = "(quick subset)"


def overview(doc: Doc, ctx: ReportContext) -> None:
    """What was run: counts of runs, arms, design points and replicates, the horizon,
    and where the results come from."""
    exp, s = ctx.exp, ctx.summary
    n_points = len(exp.design.points) if exp.design.points is not None else 1
    reps = s.groupby(["arm", "point"]).size() if len(s) else None
    rep_text = ("no finished runs" if reps is None else
                f"{reps.min()} replicates per cell" if reps.min() == reps.max() else
                f"{reps.min()}–{reps.max()} replicates per cell (adaptive or unfinished)")
    description = str(exp.config.get("description") or "")
    doc.h(2, "What was run")
    if description.endswith(QUICK_SUFFIX):
        # the file's description counts the full experiment's replicates, not these
        doc.p(f"**Quick subset** (`dmzsim run --quick`) of the experiment "
              f"`{ctx.name.removesuffix('_quick')}`, with {rep_text}; the experiment "
              "file describes the full experiment as:")
        doc.text(description.removesuffix(QUICK_SUFFIX).strip())
    elif description:
        doc.text(description)
    declared = len(dict.fromkeys(ctx.rename))
    shown = (f"{len(ctx.arms)} arms" if declared == len(ctx.arms) else
             f"{len(ctx.arms)} arms as shown ({declared} run, some identical)")
    doc.p(f"{ctx.finished} finished runs, {len(exp.failures)} failed; {shown} × "
          f"{n_points} design points ({exp.design.method}), {rep_text}; horizon "
          f"{ctx.h} days. Generated {time.strftime('%Y-%m-%d %H:%M')} from "
          f"`{ctx.folder}`; config hash `{ctx.stamp.config_hash[:12]}`, dmzsim "
          f"{ctx.stamp.version}, git `{ctx.stamp.commit}`.")
    same_arms(doc, ctx)
    if exp.config.get("map"):
        doc.p(f"Every run used the experiment's own map, `{exp.config['map']}` (copied to "
              f"`{ctx.layout.map_copy.name}` in this folder), not the model's default map.")
    calibration = exp.config.get("design", {}).get("from_calibration")
    if calibration:
        doc.p(f"The base parameters vary over {n_points} accepted parameter sets of the "
              f"calibration `{calibration}` (one design point each, every point with the "
              "same seeds): numbers pooled over the points carry the calibration's "
              "uncertainty as well as the runs' own.")
    if reps is not None and reps.min() != reps.max():
        doc.p("Replicate counts differ between cells, so numbers pooled over design points "
              "weight each cell by its number of runs.")


def same_arms(doc: Doc, ctx: ReportContext) -> None:
    """Which arms are one arm by construction, shown once, and any that should be but
    are not."""
    items, found = [], []
    for g in ctx.groups:
        names = " and ".join(f"`{a}`" for a in g.arms)
        params = ", ".join(f"`{k}`" for k in g.ignored) or "the zone's parameters"
        if not g.by_construction:
            differ = (f"although they differ in {params}" if g.ignored else
                      "with the same parameters")
            found.append(f"{names} gave identical runs seed by seed, {differ}: shown once, "
                         f"as **{arm_label(g.name)}**, in every table and figure.")
        elif g.identical:
            items.append(f"{names} do not depend on {params} (their sequencing draws no "
                         f"zone) and gave identical runs seed by seed: shown once, as "
                         f"**{arm_label(g.name)}**.")
        else:
            items.append(f"{names} should not depend on {params} (their sequencing draws "
                         f"no zone), but {g.differing} pairs of runs with the same seed "
                         "differ: shown separately. This is worth a look.")
    if items:
        doc.p("Arms that are the same by construction:")
        doc.ul(items)
    if found:
        doc.p("Arms found identical from their runs (every output of every pair of runs "
              "with the same seed is equal; nothing in their parameters says it must be):")
        doc.ul(found)


def failures(doc: Doc, ctx: ReportContext) -> None:
    """Failed runs counted by arm and error type."""
    f = ctx.exp.failures
    if f is None or f.empty:
        return
    doc.h(2, "Failed runs")
    counts = f.groupby(["arm", "error_type"]).size().reset_index(name="runs")
    doc.table(counts, "Details (message, traceback) are in failures/; `dmzsim run --resume` "
              "retries them.")


def manifest(doc: Doc, ctx: ReportContext) -> None:
    """The provenance of the results: seeds, commit, versions, sessions."""
    m, layout = ctx.exp.manifest, ctx.layout
    env = m.get("environment") or {}
    git = m.get("git") or {}
    rows = [("experiment", m.get("experiment")), ("source", m.get("source")),
            ("config hash", m.get("config_hash")), ("root seed", m.get("root_seed")),
            ("seed scheme", m.get("seed_scheme")), ("git commit", git.get("commit")),
            ("git dirty", git.get("dirty")), ("created", m.get("created")),
            ("updated", m.get("updated")), ("python", env.get("python")),
            ("platform", env.get("platform"))]
    if m.get("map"):
        rows.append(("map", f"{m['map'].get('file')} (sha256 {m['map'].get('sha256')}; "
                            f"copied to {layout.map_copy.name})"))
    rows += [(name, v) for name, v in (env.get("versions") or {}).items() if v]
    for s in m.get("sessions") or []:
        rows.append((f"session {s.get('started')}",
                     f"{s.get('status')}; {s.get('ran_ok', '?')} ok, "
                     f"{s.get('ran_failed', '?')} failed; {s.get('wall_s', '?')} s; "
                     f"executor {(s.get('executor') or {}).get('kind')}"))
    doc.h(2, "Manifest")
    doc.table(pd.DataFrame([(k, "" if v is None else str(v)) for k, v in rows],
                           columns=["field", "value"]),
              f"Full record: {layout.manifest.name}; resolved config: {layout.config.name}.")


def methods(doc: Doc, ctx: ReportContext) -> None:
    """The estimators behind the numbers, in one list."""
    doc.h(2, "Methods")
    doc.ul([
        f"A run that did not resume by day {ctx.h} is censored there. Arms share replicate "
        "seeds (common random numbers), so arm differences are computed over pairs of runs "
        "with the same (design point, replicate).",
        "P(resumption): Wilson score interval. Paired difference of P: Tango's score "
        "interval (its test at zero difference is McNemar's).",
        "Continuous costs: mean with a BCa (bias-corrected and accelerated) bootstrap "
        "interval, over all runs and over the runs that resumed; paired differences: BCa "
        "bootstrap over pairs (scipy.stats.bootstrap, 2,000 resamples, seeded).",
        "Survival: Kaplan–Meier with Greenwood variance and log-log bands; median with the "
        "Brookmeyer–Crowley interval; restricted mean survival to the horizon with its "
        "Greenwood-type variance; P(resumption) by an earlier day: 1 − S there, with that "
        "band.",
        "Details and references: docs/analysis.md.",
    ])
