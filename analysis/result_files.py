"""Which files in a results folder's record folders the writer wrote, and which it did not.

The runner writes four kinds of record, each in its own folder of the layout
(:mod:`analysis.results_layout`): summary records ``runs/<run_id>.parquet``, part files
``runs/parts/part-<time>-<token>.parquet`` that merge them, series ``series/<run_id>.parquet``
and failure records ``failures/<run_id>.parquet``. Each starts with the columns that name
its run (``run_id``, ``arm``, ``point``, ``replicate``, ``seed``; a series file only
``run_id`` and ``day``), and a run's id is ``<arm>.p<point>.r<replicate>``.

Anything else in those folders was not written by dmzsim and is *foreign*: a file of
another name, a Parquet file of another schema (a missing or mistyped column, a run id
that is not its name or not its arm, point and replicate, a column whose type no other
record's type merges with), a folder, a link, a FIFO. The loader leaves foreign files out
and names them, and a resume moves them into ``quarantine/`` with the unreadable ones
(:mod:`runs.sweep.recovery`), so one dropped file can neither break the folder nor slip
rows into it. The writer's own temporary files (``.<name>.<random>.tmp``) are not foreign:
the next session of the writer removes them.

Only paths and Parquet schemas are looked at here; each reader reads the data itself and
hands its columns to :func:`rows_problem`.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from dmzsim.analysis.results_layout import RECORD_SUFFIX, ResultsLayout

RUN_ID = re.compile(r"(?P<arm>[^./]+)\.p(?P<point>\d{4,})\.r(?P<replicate>\d{4,})")
PART = re.compile(r"part-\d{14}(\d{6})?-[0-9a-f]{8}")  # the time, to the s (older) or µs
TEMPORARY = re.compile(r"\..+\.tmp")  # the atomic writer's, see common.files

TypeTest = Callable[[pa.DataType], bool]
TEXT: TypeTest = lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)  # noqa: E731
WHOLE: TypeTest = pa.types.is_integer
NUMBER: TypeTest = lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)  # noqa: E731

IDS: dict[str, TypeTest] = {"run_id": TEXT, "arm": TEXT, "point": WHOLE, "replicate": WHOLE,
                            "seed": WHOLE}
TYPE_NAMES = {TEXT: "text", WHOLE: "an integer", NUMBER: "a number"}


@dataclass(frozen=True)
class Store:
    """One folder of records: which kind, the columns each of its files has, and whether
    a file holds one run (named by its id) or many (a part file)."""

    folder: Path
    kind: str
    group: str  # the stores whose files readers put in one table: "summary", ...
    columns: dict[str, TypeTest]
    one_run: bool = True
    whole: bool = True  # readers read the file whole (a series file: its footer only)

    def name_ok(self, stem: str) -> bool:
        """Whether ``stem`` is a name the writer gives a file of this store."""
        return bool((RUN_ID if self.one_run else PART).fullmatch(stem))


def stores(layout: ResultsLayout) -> list[Store]:
    """The record folders of a results folder, parts first (the order readers use)."""
    summary = {**IDS, "status": TEXT, "wall_s": NUMBER, "worker": TEXT}
    return [Store(layout.parts, "part file", "summary", summary, one_run=False),
            Store(layout.runs, "summary record", "summary", summary),
            Store(layout.failures, "failure record", "failure",
                  {**IDS, "error_type": TEXT, "message": TEXT, "traceback": TEXT}),
            Store(layout.series, "series file", "series", {"run_id": TEXT, "day": WHOLE},
                  whole=False)]


def strays(store: Store, layout: ResultsLayout) -> list[tuple[Path, str]]:
    """The entries of ``store``'s folder that no reader should open, with why: not a
    regular file (a folder other than ``runs/parts``, a link, a FIFO ...) or a name the
    writer does not give; or the store's folder itself, if it is not a folder (a link
    to one elsewhere included). The writer's temporary files are left out."""
    if not _real_folders_above(store.folder, layout):  # runs/ is a link: runs/parts too,
        return []  # and runs/ itself is the stray
    what = _kind(store.folder)
    if what is None:
        return []
    if what != "a folder":
        return [(store.folder, f"{what}, not the folder dmzsim writes")]
    out = []
    for entry in sorted(store.folder.iterdir()):
        if TEMPORARY.fullmatch(entry.name) or entry == layout.parts:  # parts: its own store
            continue
        what = _kind(entry)
        if what != "a file":
            out.append((entry, f"{what}, not a file dmzsim writes"))
        elif entry.suffix != RECORD_SUFFIX or not store.name_ok(entry.stem):
            out.append((entry, f"not a name dmzsim gives a {store.kind}"))
    return out


def records_of(store: Store, layout: ResultsLayout) -> list[Path]:
    """The files of ``store`` a reader may open (a regular file with a name the writer
    gives), in name order, so that every reader sees them in the same order."""
    if _kind(store.folder) != "a folder" or not _real_folders_above(store.folder, layout):
        return []
    stray = {p for p, _ in strays(store, layout)}
    return sorted(p for p in store.folder.glob(f"*{RECORD_SUFFIX}")
                  if p not in stray and not TEMPORARY.fullmatch(p.name))


def _real_folders_above(path: Path, layout: ResultsLayout) -> bool:
    """Whether every folder between the results folder and ``path`` is a folder of its
    own, not a link (so nothing read or moved under ``path`` lies outside the folder)."""
    return all(_kind(p) == "a folder" for p in path.parents if layout.root in p.parents)


def _kind(path: Path) -> str | None:
    """What ``path`` is, without following a link (None: nothing)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    for test, what in ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO")):
        if test(mode):
            return what
    return "not a regular file"


def schema_problem(schema: pa.Schema, store: Store) -> str | None:
    """Why a file of ``schema`` is not a record of ``store`` (None: it may be)."""
    for name, test in store.columns.items():
        index = schema.get_field_index(name)
        if index < 0:
            return f"another schema: no column {name!r}"
        kind = schema.field(index).type
        if not test(kind):
            return f"another schema: column {name!r} is {kind}, not {TYPE_NAMES[test]}"
    return None


def rows_problem(columns: dict[str, Sequence[Any]], store: Store, path: Path) -> str | None:
    """Why the rows of a file are not the writer's: a one-run file holds one row (one
    run, for a series) whose id is its name; every id is the row's arm, point and
    replicate. ``columns`` holds at least ``run_id`` (and the other id columns, except
    for a series)."""
    ids = list(columns["run_id"])
    if store.one_run and set(ids) != {path.stem}:
        return f"holds run ids other than its name ({_some(ids, path.stem)})"
    if store.one_run and store.whole and len(ids) != 1:
        return f"holds {len(ids)} rows, not one"
    if "arm" not in columns:
        return None
    for rid, arm, point, rep in zip(ids, columns["arm"], columns["point"],
                                    columns["replicate"], strict=True):
        if rid != f"{arm}.p{int(point):04d}.r{int(rep):04d}":
            return (f"run id {rid!r} is not its arm, point and replicate "
                    f"({arm!r}, {point}, {rep})")
    return None


def _some(ids: list[Any], name: str) -> str:
    others = sorted({str(i) for i in ids} - {name})
    return ", ".join(others[:3]) + (" ..." if len(others) > 3 else "") or "none"


class SchemaMerge:
    """The schemas of a store's accepted files so far; a file whose columns cannot be
    merged with them (as compaction and the loader merge them) is foreign."""

    def __init__(self) -> None:
        self.schema: pa.Schema | None = None

    def add(self, schema: pa.Schema) -> str | None:
        """Merge ``schema`` in; why it cannot be (None: it was)."""
        if self.schema is None:
            self.schema = schema
            return None
        try:
            self.schema = pa.unify_schemas([self.schema, schema],
                                           promote_options="permissive")
        except (pa.ArrowException, TypeError, ValueError) as err:
            return f"another schema: {str(err).splitlines()[0]}"
        return None
