"""Comparison of re-run results with a reference: which runs, which outputs, how much.

One rule decides whether two values, two records or two tables agree (:func:`agreement`,
:func:`compare_records`); ``dmzsim verify`` and the golden baseline test both use it:

* **discrete** outputs (counts, days, yes/no, categories: :attr:`model.outputs.Output.scale`),
  and the ids and seed of a run, must be **identical**: the same code with the same seeds
  makes the same decisions on any machine, so any difference is news;
* **real numbers** must be equal within :data:`REL_TOL` relative (or :data:`ABS_TOL`
  absolute, for values near 0): sums and transcendental functions may differ in their last
  bits between CPU generations, libm, NumPy and BLAS builds and SIMD code paths
  (measured: 4 units in the last place, 6.8e-16 relative, between an AMD EPYC and an
  Intel Xeon), which is no change of results. Infinity equals only the same infinity.

NaN (or a missing value) equals only NaN, and a number equals the same number whatever
its type (1 == 1.0 == True), because Parquet and pandas may store a column differently.
Values that are not identical but within the tolerance are kept (``within``) so that a
verdict can say how close they are. An output (or headline column) the reference does not
have is not a difference: adding an output changes no result, so it is reported as a note
and the reference stays valid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Number
from typing import Any, Literal

import pandas as pd
from dmzsim.model import outputs

REL_TOL = 1e-9  # real numbers: equal within this relative difference ...
ABS_TOL = 1e-12  # ... or this absolute one (values near 0, where relative means nothing)

Agreement = Literal["identical", "within", "differs"]


class _Absent:
    """Stands for a cell that one table does not have (unequal to everything else)."""

    def __repr__(self) -> str:
        return "absent"


ABSENT = _Absent()

def same(x: Any, y: Any) -> bool:
    """Exact equality with NaN equal to NaN."""
    try:
        if x is y or bool(x == y):  # the common case, without asking pandas about NaN
            return True
    except (TypeError, ValueError):
        pass
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


def exact_column(name: str) -> bool:
    """Whether a column of a run record is compared exactly: every one but a real-valued
    output (ids, the seed, and any column that names no output are exact)."""
    o = outputs.get(name)
    return o is None or o.discrete


def agreement(reference: Any, now: Any, exact: bool) -> Agreement:
    """``"identical"`` (:func:`same`), ``"within"`` the tolerance (two finite real numbers
    that are not ``exact``ly compared) or ``"differs"``."""
    if same(reference, now):
        return "identical"
    if exact or not (_finite(reference) and _finite(now)):
        return "differs"
    a, b = float(reference), float(now)
    return "within" if abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL) \
        else "differs"


def _finite(v: Any) -> bool:
    return isinstance(v, Number) and not isinstance(v, bool) and math.isfinite(float(v))


def relative(reference: Any, now: Any) -> float:
    """|now - reference| relative to the larger of the two (inf for non-numbers)."""
    if not (_finite(reference) and _finite(now)):
        return math.inf
    a, b = float(reference), float(now)
    return abs(a - b) / max(abs(a), abs(b)) if a != b else 0.0


def near_zero(reference: Any, now: Any) -> bool:
    """Within the tolerance only thanks to :data:`ABS_TOL` (both values near 0)."""
    return relative(reference, now) > REL_TOL


@dataclass(frozen=True)
class ValueDifference:
    """One value of a record that is not identical to the reference's."""

    name: str
    reference: Any
    now: Any
    within: bool  # a real number within the tolerance: no change of results


def compare_records(reference: Mapping[str, Any], now: Mapping[str, Any],
                    exact: Callable[[str], bool] = exact_column
                    ) -> list[ValueDifference]:
    """Every value of ``reference`` that ``now`` does not have identically (one ``now``
    lacks differs from it), each marked whether it is within the tolerance; decided by
    :func:`agreement` with ``exact(name)``."""
    out = []
    for name, x in reference.items():
        y = now.get(name, ABSENT)
        verdict = agreement(x, y, exact(name))
        if verdict != "identical":
            out.append(ValueDifference(name, _plain(x), _plain(y), verdict == "within"))
    return out


def closeness(pairs: Iterable[tuple[Any, Any]]) -> str:
    """How close values within the tolerance are, e.g. ``42 values differ by at most
    7.7e-14 relative`` (those near 0, within only :data:`ABS_TOL`, counted apart)."""
    pairs = list(pairs)
    rel = [relative(a, b) for a, b in pairs if not near_zero(a, b)]
    near = [abs(float(b) - float(a)) for a, b in pairs if near_zero(a, b)]
    parts = []
    if rel:
        parts.append(f"{len(rel)} {_values(len(rel))} differ by at most {short(max(rel))} "
                     "relative")
    if near:
        parts.append(f"{len(near)} {_values(len(near))} near 0 differ by at most "
                     f"{short(max(near))}")
    return "; ".join(parts)


def short(x: float) -> str:
    """A small number in two digits, e.g. ``1e-9``, ``7.7e-14`` (not ``1e-09``)."""
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{x:.2g}").replace("e+", "e")


def _values(n: int) -> str:
    return "value" if n == 1 else "values"


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
    within: bool = False  # a real number within the tolerance: no change of results


@dataclass
class RunComparison:
    """The outcome of comparing re-run records with the reference, run by run."""

    checked: int
    columns: int = 0  # values compared per run (ids, seed and outputs)
    differences: list[Difference] = field(default_factory=list)  # beyond the tolerance
    within: list[Difference] = field(default_factory=list)  # reals within it, not identical
    missing_runs: list[str] = field(default_factory=list)  # in the reference, not re-run
    extra_runs: list[str] = field(default_factory=list)  # re-run, not in the reference
    missing_outputs: list[str] = field(default_factory=list)  # the model no longer has
    new_outputs: list[str] = field(default_factory=list)  # the reference lacks: a note

    @property
    def ok(self) -> bool:
        """Every reference value reproduced (outputs the reference lacks do not count)."""
        return not (self.differences or self.missing_runs or self.extra_runs
                    or self.missing_outputs)

    @property
    def identical(self) -> bool:
        """Every reference value reproduced bit for bit."""
        return self.ok and not self.within

    def runs_differing(self) -> list[str]:
        return list(dict.fromkeys(d.run_id for d in self.differences))

    def to_frame(self) -> pd.DataFrame:
        """Every value that is not identical as a row (for --diff-csv), those within the
        tolerance marked in ``within_tolerance``."""
        rows = [{**d.__dict__, "delta": (delta(d.reference, d.now) or (None,))[0],
                 "within_tolerance": d.within}
                for d in self.differences + self.within]
        cols = ["run_id", "arm", "point", "replicate", "output", "reference", "now", "delta",
                "within_tolerance"]
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
    shared = [c for c in ref.columns if c in cur.columns]
    result.columns = len(shared)
    ids = ref.loc[common, ["arm", "point", "replicate"]].itertuples(index=False)
    before = ref.loc[common, shared].to_dict("records")
    after = cur.loc[common, shared].to_dict("records")
    exact = {c: exact_column(c) for c in shared}
    for rid, (arm, point, rep), x, y in zip(common, ids, before, after, strict=True):
        for d in compare_records(x, y, exact.__getitem__):
            diff = Difference(rid, arm, int(point), int(rep), d.name, d.reference, d.now,
                              d.within)
            (result.within if d.within else result.differences).append(diff)
    order = {c: i for i, c in enumerate(shared)}  # output by output, runs in order
    for found in (result.differences, result.within):
        found.sort(key=lambda d: order[d.output])
    return result


@dataclass(frozen=True)
class CellDifference:
    """One number of the headline table that is not what the reference says."""

    arm: str
    column: str
    reference: Any
    now: Any
    within: bool = False  # a real number within the tolerance: no change of results


def compare_table(reference: pd.DataFrame, now: pd.DataFrame, key: str = "arm"
                  ) -> list[CellDifference]:
    """Cells of two tables keyed by ``key`` that are not identical, in the reference's
    columns (a row missing on either side, or a column missing now, shows as a difference
    against :data:`ABSENT`; columns only ``now`` has are :func:`new_columns`).

    A table of statistics has no output kinds: a float cell is a real number (compared
    within the tolerance), any other cell (a count of runs, a label) exactly.
    """
    ref, cur = reference.set_index(key), now.set_index(key)
    rows = list(dict.fromkeys([*ref.index, *cur.index]))
    cols = list(ref.columns)
    out = []
    for row in rows:
        for col in cols:
            x = ref.at[row, col] if row in ref.index and col in ref.columns else ABSENT
            y = cur.at[row, col] if row in cur.index and col in cur.columns else ABSENT
            verdict = agreement(x, y, exact=not isinstance(x, float))
            if verdict != "identical":
                out.append(CellDifference(str(row), str(col), _plain(x), _plain(y),
                                          verdict == "within"))
    return out


def new_columns(reference: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    """Columns of ``now`` that the reference does not have (a note, not a difference)."""
    return [c for c in now.columns if c not in reference.columns]


def _plain(v: Any) -> Any:
    """numpy scalars as Python values, so messages print 0.5 and not np.float64(0.5)."""
    return v.item() if hasattr(v, "item") and not isinstance(v, (list, dict)) else v
