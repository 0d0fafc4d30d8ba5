"""Stores that recover: result files that cannot be read, or that dmzsim did not write,
are set aside, and the runs they stood for run again.

Every file is written atomically, so a healthy run never leaves half a file; a full disk,
a copy cut short or a bad sector still can, and a results folder can receive files that
no dmzsim wrote (a file copied in from elsewhere, a Parquet file of another schema, a
link, a FIFO: :mod:`analysis.result_files` says what the writer writes). Before a resume,
every summary record, part file and failure record of the folder is read, and every
series file's schema; a file that cannot be read or is not the writer's is moved into
``quarantine/<time>/`` (same relative path, nothing deleted), so its runs are no longer
finished and the resume runs them again, and nothing foreign is merged into a part file.
A run whose series file is missing or set aside, while the experiment keeps series,
counts as unfinished too.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from dmzsim.analysis.result_files import (
    SchemaMerge,
    Store,
    records_of,
    rows_problem,
    schema_problem,
    stores,
    strays,
)
from dmzsim.analysis.results_layout import ResultsLayout

ID_COLUMNS = ("run_id", "arm", "point", "replicate")


def problem(path: Path, store: Store, merge: SchemaMerge) -> str | None:
    """Why the record file ``path`` of ``store`` must be set aside (None: it is sound).
    Summary and failure records are small and read whole; of a series file (there are
    many, and large) the footer's schema is read."""
    try:
        if store.whole:
            table = pq.read_table(path)
            schema = table.schema
        else:
            schema = pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError):
        return "cannot be read"
    why = schema_problem(schema, store)
    if why is None and store.whole:
        columns = {c: table.column(c).to_pylist() for c in ID_COLUMNS if c in store.columns}
        why = rows_problem(columns, store, path)
    return why or merge.add(schema)


def bad_files(folder: Path) -> dict[Path, str]:
    """The entries of ``folder``'s record folders to set aside, with why, in a stable
    order: what cannot be read, and what dmzsim did not write."""
    layout, bad = ResultsLayout(folder), {}
    merges: dict[str, SchemaMerge] = {}
    for store in stores(layout):
        bad.update(strays(store, layout))
        merge = merges.setdefault(store.group, SchemaMerge())
        for path in records_of(store, layout):
            why = problem(path, store, merge)
            if why is not None:
                bad[path] = why
    return bad


def quarantine(folder: Path, files: list[Path]) -> Path:
    """Move ``files`` (inside ``folder``) into a fresh ``quarantine/<time>-*/`` folder,
    keeping their relative paths; returns that folder. A link is moved as a link, a
    FIFO as a FIFO: nothing is opened or followed."""
    root = ResultsLayout(folder).quarantine
    root.mkdir(exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=root))
    for path in files:
        dest = target / path.relative_to(folder)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
    return target


def recover(folder: Path) -> list[str]:
    """Set aside the result files of ``folder`` that cannot be read or that dmzsim did
    not write; returns a note naming each, with why."""
    bad = bad_files(folder)
    if not bad:
        return []
    target = quarantine(folder, list(bad))
    names = "; ".join(f"{p.relative_to(folder)} ({why})" for p, why in list(bad.items())[:8])
    more = f"; and {len(bad) - 8} more" if len(bad) > 8 else ""
    return [f"{len(bad)} result files that cannot be read or that dmzsim did not write were "
            f"moved to {target}: {names}{more}; the runs they stood for run again"]
