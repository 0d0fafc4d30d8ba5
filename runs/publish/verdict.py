"""What ``dmzsim verify`` prints: a verdict per experiment, then the evidence.

The verdict is one of: ``OK ... bit-identical`` (every value identical), ``OK ... equal
within 1e-9`` (only real numbers differ, all within the tolerance of
:mod:`runs.publish.compare`; how many and by how much is said) or ``DIFFERS`` (a discrete
output differs at all, a real one beyond the tolerance, runs are missing or failed).
Numbers are printed with ``repr``, i.e. every digit a float has, because a rounded print
could show two different numbers as the same.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd
from dmzsim.model import outputs
from dmzsim.runs.publish.compare import (
    REL_TOL,
    CellDifference,
    Difference,
    closeness,
    delta,
    short,
)
from dmzsim.runs.publish.verify import Verification

TOL = short(REL_TOL)  # 1e-9


def describe(v: Verification, max_shown: int = 5, strict_versions: bool = False
             ) -> list[str]:
    """The lines printed for one verified experiment."""
    mode = (f"quick check: {v.comparison.checked + len(v.failures)} of "
            f"{v.reference_runs:,} reference runs, same seeds" if v.quick
            else f"full re-run of all {v.reference_runs:,} reference runs")
    lines = [f"{v.name}: {mode} ({v.path})"]
    if v.simulate:
        lines.append(f"{v.name}: simulate function {v.simulate}")
    lines += _versions(v, strict_versions) + _config(v) + _new(v)
    if v.results_match():
        lines.append(f"{v.name}: OK: {v.comparison.checked} runs reproduce the reference, "
                     f"{_agreement(v)}")
        lines += _within(v.comparison.within, max_shown)
        lines += _headline(v.headline_within, max_shown, "within the tolerance")
        if v.versions and strict_versions:
            lines.append(f"{v.name}: FAILED: --strict-versions and the versions differ")
        return lines
    lines += _verdict(v) + _runs(v, max_shown) + _headline(v.headline or [], max_shown)
    lines += _within(v.comparison.within, max_shown)
    lines += _headline(v.headline_within, max_shown, "within the tolerance")
    lines.append(f"{v.name}: if the change is intended, update the reference in the same "
                 f"commit (dmzsim publish {v.path}) with a CHANGELOG \"Changed results\" "
                 "line saying which outputs moved and why")
    return lines


def _agreement(v: Verification) -> str:
    """How the runs (and in full mode the headline table) agree with the reference."""
    c = v.comparison
    runs = (f"bit-identical ({c.columns} values each)" if not c.within else
            f"equal within {TOL} ({_close(c.within)}; every count, day, yes/no and "
            "category identical)")
    if v.quick:
        return runs
    table = (f"equal within {TOL} ({_close(v.headline_within)})" if v.headline_within
             else "bit-identical")
    tables = "headline and robustness tables" if v.robust else "headline table"
    return f"{runs}; {tables} {table}"


def _close(diffs: list[Difference] | list[CellDifference]) -> str:
    return closeness((d.reference, d.now) for d in diffs)


def _versions(v: Verification, strict: bool) -> list[str]:
    if not v.versions:
        return []
    what = "; ".join(f"{name} {ref} (reference) vs {now} (now)" for name, ref, now in v.versions)
    tail = ("an error under --strict-versions" if strict else
            "results may differ for that reason alone")
    return [f"{v.name}: VERSIONS DIFFER from the reference's: {what}; {tail}"]


def _config(v: Verification) -> list[str]:
    lines = []
    if v.added_parameters:
        lines.append(f"{v.name}: note: {len(v.added_parameters)} parameters added to the "
                     "model since the reference, at their defaults: "
                     f"{', '.join(v.added_parameters)}")
    if not v.config_changes:
        return lines
    shown = "; ".join(v.config_changes[:8])
    more = f" (and {len(v.config_changes) - 8} more)" if len(v.config_changes) > 8 else ""
    lines.append(f"{v.name}: the experiment as the code reads it now differs from the one "
                 f"the reference was made with: {shown}{more}")
    return lines


def _new(v: Verification) -> list[str]:
    """Outputs the reference lacks: no result changed, so only a note."""
    lines = []
    if v.comparison.new_outputs:
        lines.append(f"{v.name}: note: outputs not in the reference, not compared: "
                     f"{', '.join(v.comparison.new_outputs)} (publishing again adds them)")
    if v.new_headline_columns:
        lines.append(f"{v.name}: note: headline columns not in the reference, not compared: "
                     f"{', '.join(v.new_headline_columns)}")
    return lines


def _verdict(v: Verification) -> list[str]:
    c = v.comparison
    parts = []
    if c.differences:
        outputs = list(dict.fromkeys(d.output for d in c.differences))
        parts.append(f"{len(c.runs_differing())} of {c.checked} runs differ in "
                     f"{len(outputs)} outputs ({', '.join(outputs)})")
    if v.failures:
        parts.append(f"{len(v.failures)} runs failed or could not be rebuilt")
    unexplained = [r for r in c.missing_runs if r not in v.failures]
    if unexplained:
        parts.append(f"{len(unexplained)} reference runs were not run")
    if c.extra_runs:
        parts.append(f"{len(c.extra_runs)} runs are not in the reference")
    if c.missing_outputs:
        parts.append(f"outputs gone: {', '.join(c.missing_outputs)}")
    if v.headline:
        parts.append(f"{len(v.headline)} headline numbers differ")
    return [f"{v.name}: DIFFERS from the reference: {'; '.join(parts)}"]


def _runs(v: Verification, max_shown: int) -> list[str]:
    lines = []
    by_output: dict[str, list[Difference]] = defaultdict(list)
    for d in v.comparison.differences:
        by_output[d.output].append(d)
    for output, diffs in by_output.items():
        lines.append(f"  {output}: {len(diffs)} runs differ ({_how(output)})")
        lines += _examples(diffs, max_shown)
    lines += _listed("failed now", [f"{r}: {e}" for r, e in v.failures.items()], max_shown)
    missing = [r for r in v.comparison.missing_runs if r not in v.failures]
    lines += _listed("in the reference but not run now", missing, max_shown)
    lines += _listed("run now but not in the reference", v.comparison.extra_runs, max_shown)
    return lines


def _within(within: list[Difference], max_shown: int) -> list[str]:
    """Real outputs that differ within the tolerance: no change of results, shown anyway."""
    lines = []
    by_output: dict[str, list[Difference]] = defaultdict(list)
    for d in within:
        by_output[d.output].append(d)
    for output, diffs in by_output.items():
        lines.append(f"  {output}: {len(diffs)} runs within {TOL} "
                     f"({_close(diffs)})")
        lines += _examples(diffs, max_shown)
    return lines


def _how(output: str) -> str:
    """How an output is compared, for the list of differences."""
    o = outputs.get(output)
    if o is None:
        return "compared exactly"
    if o.discrete:
        return f"{outputs.SCALE_WORDS[o.scale]}: compared exactly"
    return f"real: beyond {TOL} relative"


def _examples(diffs: list[Difference], max_shown: int) -> list[str]:
    lines = [f"    {_run(d)}: reference {d.reference!r}, now {d.now!r}{_by(d)}"
             for d in diffs[:max_shown]]
    if len(diffs) > max_shown:
        lines.append(f"    ... and {len(diffs) - max_shown} more")
    return lines


def _run(d: Difference) -> str:
    return f"{d.run_id} (arm {d.arm}, point {d.point}, replicate {d.replicate})"


def _by(d: Difference | CellDifference) -> str:
    change = delta(d.reference, d.now)
    if change is None:
        return ""
    diff, rel = change
    if math.isinf(rel):
        return f" ({diff:+.6g})"
    return f" ({diff:+.6g}, {rel:+.3%})" if abs(rel) >= 1e-5 else \
        f" ({diff:+.3g}, {'+' if rel >= 0 else '-'}{short(abs(rel))} relative)"


def _listed(title: str, items: list[str], max_shown: int) -> list[str]:
    if not items:
        return []
    lines = [f"  {title}: {len(items)} runs"] + [f"    {i}" for i in items[:max_shown]]
    if len(items) > max_shown:
        lines.append(f"    ... and {len(items) - max_shown} more")
    return lines


def _headline(diffs: list[CellDifference], max_shown: int, how: str = "differ"
              ) -> list[str]:
    if not diffs:
        return []
    lines = [f"  headline table: {len(diffs)} numbers {how}"]
    lines += [f"    {d.column} of {d.arm}: reference {d.reference!r}, now {d.now!r}{_by(d)}"
              for d in diffs[:max_shown * 4]]
    if len(diffs) > max_shown * 4:
        lines.append(f"    ... and {len(diffs) - max_shown * 4} more")
    return lines


def differences_frame(results: list[Verification]) -> pd.DataFrame:
    """Every run difference of every experiment as one table (for --diff-csv)."""
    frames = [v.comparison.to_frame().assign(experiment=v.name) for v in results]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return df[["experiment", *[c for c in df.columns if c != "experiment"]]] if len(
        df.columns) else df
