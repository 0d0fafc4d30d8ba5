"""Exact comparison of re-run results with a reference: which runs, which outputs, how much.

Equality is exact, digit for digit: the same code with the same seeds must give the same
numbers on any machine with the same versions, so any difference at all is news. An output
(or headline column) the reference does not have is not a difference: adding an output
changes no result, so it is reported as a note and the reference stays valid. Only
NaN (or a missing value) equals NaN, and a number equals the same number whatever its
type (1 == 1.0 == True), because Parquet and pandas may store a column differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Number
from typing import Any

import pandas as pd


class _Absent:
    """Stands for a cell that one table does not have (unequal to everything else)."""

    def __repr__(self) -> str:
        return "absent"


ABSENT = _Absent()

def same(x: Any, y: Any) -> bool:
    """Exact equality with NaN equal to NaN."""
    x_na, y_na = _is_na(x), _is_na(y)
    if x_na or y_na:
        return x_na and y_na
    try:
        return bool(x == y)
    except (TypeError, ValueError):
        return False


def _is_na(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # a list or array is a value, never "missing"
        return False


def delta(reference: Any, now: Any) -> tuple[float, float] | None:
    """(now - reference, relative to |reference|) for two numbers, else None."""
    numbers = all(isinstance(v, Number) and not isinstance(v, bool) for v in (reference, now))
    if not numbers or _is_na(reference) or _is_na(now):
        return None
    d = float(now) - float(reference)
    rel = d / abs(float(reference)) if reference else (0.0 if d == 0 else math.inf)
    return d, rel


@dataclass(frozen=True)
class Difference:
    """One output of one run that is not what the reference says."""

    run_id: str
    arm: str
    point: int
    replicate: int
    output: str
    reference: Any
    now: Any


@dataclass
class RunComparison:
    """The outcome of comparing re-run records with the reference, run by run."""

    checked: int
    columns: int = 0  # values compared per run (ids, seed and outputs)
    differences: list[Difference] = field(default_factory=list)
    missing_runs: list[str] = field(default_factory=list)  # in the reference, not re-run
    extra_runs: list[str] = field(default_factory=list)  # re-run, not in the reference
    missing_outputs: list[str] = field(default_factory=list)  # the model no longer has
    new_outputs: list[str] = field(default_factory=list)  # the reference lacks: a note

    @property
    def ok(self) -> bool:
        """Every reference value reproduced (outputs the reference lacks do not count)."""
        return not (self.differences or self.missing_runs or self.extra_runs
                    or self.missing_outputs)

    def runs_differing(self) -> list[str]:
        return list(dict.fromkeys(d.run_id for d in self.differences))

    def to_frame(self) -> pd.DataFrame:
        """Every difference as a row (for --diff-csv)."""
        rows = [{**d.__dict__, "delta": (delta(d.reference, d.now) or (None,))[0]}
                for d in self.differences]
        cols = ["run_id", "arm", "point", "replicate", "output", "reference", "now", "delta"]
        return pd.DataFrame(rows, columns=cols)


def compare_runs(reference: pd.DataFrame, now: pd.DataFrame) -> RunComparison:
    """Compare every column of ``reference`` (keyed by run_id) with ``now``."""
    ref, cur = reference.set_index("run_id"), now.set_index("run_id")
    common = [r for r in ref.index if r in cur.index]
    result = RunComparison(
        checked=len(common),
        missing_runs=[r for r in ref.index if r not in cur.index],
        extra_runs=[r for r in cur.index if r not in ref.index],
        missing_outputs=[c for c in ref.columns if c not in cur.columns],
        new_outputs=[c for c in cur.columns if c not in ref.columns])
    ids = ref.loc[common, ["arm", "point", "replicate"]]
    shared = [c for c in ref.columns if c in cur.columns]
    result.columns = len(shared)
    for col in shared:
        a, b = ref.loc[common, col].tolist(), cur.loc[common, col].tolist()
        for rid, x, y, (arm, point, rep) in zip(common, a, b, ids.itertuples(index=False),
                                                strict=True):
            if not same(x, y):
                result.differences.append(Difference(rid, arm, int(point), int(rep), col,
                                                     _plain(x), _plain(y)))
    return result


@dataclass(frozen=True)
class CellDifference:
    """One number of the headline table that is not what the reference says."""

    arm: str
    column: str
    reference: Any
    now: Any


def compare_table(reference: pd.DataFrame, now: pd.DataFrame, key: str = "arm"
                  ) -> list[CellDifference]:
    """Cell-by-cell differences of two tables keyed by ``key`` in the reference's columns
    (a row missing on either side, or a column missing now, shows as a difference against
    :data:`ABSENT`; columns only ``now`` has are :func:`new_columns`)."""
    ref, cur = reference.set_index(key), now.set_index(key)
    rows = list(dict.fromkeys([*ref.index, *cur.index]))
    cols = list(ref.columns)
    out = []
    for row in rows:
        for col in cols:
            x = ref.at[row, col] if row in ref.index and col in ref.columns else ABSENT
            y = cur.at[row, col] if row in cur.index and col in cur.columns else ABSENT
            if not same(x, y):
                out.append(CellDifference(str(row), str(col), _plain(x), _plain(y)))
    return out


def new_columns(reference: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    """Columns of ``now`` that the reference does not have (a note, not a difference)."""
    return [c for c in now.columns if c not in reference.columns]


def _plain(v: Any) -> Any:
    """numpy scalars as Python values, so messages print 0.5 and not np.float64(0.5)."""
    return v.item() if hasattr(v, "item") and not isinstance(v, (list, dict)) else v
