"""The benchmark's verdicts on the targets, and its results as a plain-text table."""

from __future__ import annotations

from typing import Any

# Performance targets, checked against the measured numbers.
DEFAULT_RUN_MAX_S = 0.25
THROUGHPUT_RATIO_MIN = 2.0
MEMORY_RATIO_MAX = 0.5
EFFICIENCY_MIN = 0.95
# "Linear": a straight line explains the costs (R² >= 0.98) and, between the two largest
# sizes, cost grows no faster than size (log-log slope <= 1.15, leaving room for noise).
LINEAR_R2_MIN = 0.98
LINEAR_SLOPE_MAX = 1.15


def is_linear(fit: dict[str, float]) -> bool:
    return fit["r2"] >= LINEAR_R2_MIN and fit["loglog_slope_last"] <= LINEAR_SLOPE_MAX


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    t = r["single_run"]["timing"]
    sw = r["sweep"]
    eff = [row for row in r["scaling"]["rows"] if row["workers"] == 2]
    cells, units = r["growth"]["cells"]["fit"]["total_s"], r["growth"]["units"]["fit"]["total_s"]
    out = [
        {"target": f"default run <= {DEFAULT_RUN_MAX_S} s (grid built new)",
         "measured": round(t["new_grid_s"], 4), "met": t["new_grid_s"] <= DEFAULT_RUN_MAX_S},
        {"target": f"default run <= {DEFAULT_RUN_MAX_S} s (as a sweep runs it)",
         "measured": round(t["summary_only_s"], 4),
         "met": t["summary_only_s"] <= DEFAULT_RUN_MAX_S},
        {"target": f"runner throughput >= {THROUGHPUT_RATIO_MIN}x batch_run",
         "measured": round(sw["throughput_ratio"], 3),
         "met": sw["throughput_ratio"] >= THROUGHPUT_RATIO_MIN and sw["same_results"]},
        {"target": f"runner peak memory (PSS) <= {MEMORY_RATIO_MAX}x batch_run",
         "measured": None if sw["memory_ratio_pss"] is None else round(sw["memory_ratio_pss"], 3),
         "met": sw["memory_ratio_pss"] is not None and sw["memory_ratio_pss"] <= MEMORY_RATIO_MAX},
        {"target": f"parallel efficiency 1 -> 2 workers >= {EFFICIENCY_MIN:.0%}",
         "measured": round(eff[0]["efficiency"], 3) if eff else None,
         "met": bool(eff) and eff[0]["efficiency"] >= EFFICIENCY_MIN,
         "yardstick": _yardstick_text(r["scaling"].get("yardstick"))},
        {"target": "run cost linear in cells", "measured": _fit_text(cells),
         "met": is_linear(cells)},
        {"target": "run cost linear in units", "measured": _fit_text(units),
         "met": is_linear(units)},
    ]
    return out


def _fit_text(fit: dict[str, float]) -> str:
    return f"R2={fit['r2']:.3f}, log-log slope {fit['loglog_slope_last']:.2f}"


def _ms(s: float) -> str:
    return f"{s * 1e3:8.1f} ms"


def table(r: dict[str, Any]) -> str:
    """Everything in one plain-text table (also what docs/performance.md shows)."""
    m = r["machine"]
    lines = [f"dmzsim benchmarks{' (QUICK: numbers not meaningful)' if r['quick'] else ''}"
             f" -- {r['started']}",
             f"machine: {m.get('cpu')} x{m['cores']} cores, {m.get('ram_gb')} GB; "
             f"Python {m['python']}, numpy {m['numpy']}, mesa {m['mesa']}; "
             f"commit {m['git_commit'][:10]}{' (dirty)' if m['git_dirty'] else ''}",
             f"load average before {r['load_before']}, after {r['load_after']}", ""]
    lines += _single(r["single_run"])
    lines += _sweep(r["sweep"])
    lines += _scaling(r["scaling"])
    lines += _growth(r["growth"])
    lines += ["", "targets:"]
    for t in r["targets"]:
        lines.append(f"  [{'met' if t['met'] else 'NOT met':7s}] {t['target']}: {t['measured']}"
                     + (f" (the same cores: {t['yardstick']})" if t.get("yardstick") else ""))
    return "\n".join(lines)


def _single(s: dict[str, Any]) -> list[str]:
    t, mem, prof = s["timing"], s["memory"], s["profile"]
    out = [f"1. one default run ({t['horizon_days']} days, fastest of {t['repeats']})",
           f"   as a sweep runs it (summary only, grid reused) {_ms(t['summary_only_s'])}"
           f"   (median {_ms(t['summary_only_median_s']).strip()})",
           f"   with the daily series kept                     {_ms(t['with_daily_series_s'])}",
           f"   first run of a process (grid built new)        {_ms(t['new_grid_s'])}"
           f"   (build {_ms(t['new_grid_build_s']).strip()}, of which the grid "
           f"{_ms(t['grid_build_new_s']).strip()})",
           f"   memory: process after imports {mem['rss_after_imports_mb']:.0f} MB, peak RSS "
           f"{mem['peak_rss_mb']:.0f} MB after two runs (the first rasterises the map)",
           f"   allocated at the peak of a run (tracemalloc): grid built new "
           f"{mem['new_grid_run_peak_allocated_mb']:.1f} MB, grid reused "
           f"{mem['run_peak_allocated_mb']:.1f} MB",
           f"   where the time goes (one profiled run, {_ms(prof['total_s']).strip()}):"]
    for p in prof["phases"]:
        if p["share"] >= 0.005:
            out.append(f"     {p['phase']:40s} {_ms(p['seconds'])} {p['share']:6.1%}")
    return [*out, ""]


def _sweep(sw: dict[str, Any]) -> list[str]:
    out = [f"2. sweep: {sw['runs']} runs x {sw['horizon_days']} days, {sw['workers']} "
           f"processes, fastest of {sw['repeats']}; same results: {sw['same_results']}",
           f"   {'':10s} {'wall s':>8s} {'runs/s':>8s} {'peak PSS MB':>12s} "
           f"{'peak RSS MB':>12s} {'procs':>6s}"]
    names = {"runner": "runner", "batch_run": "batch_run",
             "batch_run_summary": "batch_run*"}
    for k, name in names.items():
        x = sw[k]
        out.append(f"   {name:10s} {x['wall_s']:8.2f} {x['runs_per_s']:8.2f} "
                   f"{x['peak_pss_mb']:12.0f} {x['peak_rss_mb']:12.0f} {x['processes']:6d}")
    pss = sw["memory_ratio_pss"]
    out.append(f"   runner / batch_run: throughput x{sw['throughput_ratio']:.2f}, memory "
               f"x{pss:.2f} (PSS), x{sw['memory_ratio_rss']:.2f} (RSS)" if pss is not None else
               f"   runner / batch_run: throughput x{sw['throughput_ratio']:.2f}")
    out.append("   batch_run* = batch_run given the model recording its series on the last day "
               f"only, as the runner's runs do: runner / batch_run* = "
               f"x{sw['throughput_ratio_vs_summary_model']:.2f}")
    return [*out, ""]


def _yardstick_text(ys: dict[str, Any] | None) -> str | None:
    """What the same cores give without the runner (``scaling_yardstick``)."""
    if not ys:
        return None
    return (f"a pure loop {ys['loop']['efficiency']:.1%}, the model without the runner "
            f"{ys['model']['efficiency']:.1%}")


def _scaling(sc: dict[str, Any]) -> list[str]:
    out = [f"3. runner scaling ({sc['runs']} runs)",
           f"   {'workers':>7s} {'runs/s':>8s} {'speed-up':>9s} {'efficiency':>11s}"]
    for row in sc["rows"]:
        out.append(f"   {row['workers']:7d} {row['runs_per_s']:8.2f} {row['speedup']:9.2f} "
                   f"{row['efficiency']:11.1%}")
    ys = sc.get("yardstick")
    if ys:
        out.append(f"   the same {ys['workers']} cores, median of {ys['pairs']} alternating "
                   f"pairs: a pure loop {ys['loop']['efficiency']:.1%}, the model without "
                   f"the runner {ys['model']['efficiency']:.1%} (pairs "
                   + ", ".join(f"{e:.0%}" for e in ys["model"]["each"]) + ")")
    return [*out, ""]


def _growth(g: dict[str, Any]) -> list[str]:
    out = ["4. cost of one run against size (grid built new; fastest of repeats)"]
    for kind in ("cells", "units"):
        x = g[kind]
        out.append(f"   varying {x['varied']}:")
        out.append(f"   {x['varied']:>15s} {'cells':>8s} {'units':>6s} {'build':>11s} "
                   f"{'steps':>11s} {'total':>11s}")
        for row in x["rows"]:
            out.append(f"   {row[x['varied']]:15g} {row['cells']:8d} {row['units']:6d} "
                       f"{_ms(row['build_s'])} {_ms(row['steps_s'])} {_ms(row['total_s'])}")
        for part, fit in x["fit"].items():
            per = fit["per_item_s"] * (1000 if kind == "cells" else 1)
            unit = "per 1,000 cells" if kind == "cells" else "per unit"
            out.append(f"     {part:8s} = {fit['intercept_s'] * 1e3:7.1f} ms + "
                       f"{per * 1e3:7.3f} ms {unit}; {_fit_text(fit)}; "
                       f"{'linear' if is_linear(fit) else 'NOT linear'}")
    return out
