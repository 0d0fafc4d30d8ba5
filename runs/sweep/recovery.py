"""Stores that recover: unreadable result files are set aside and their runs run again.

Every file is written atomically, so a healthy run never leaves half a file; a full disk,
a copy cut short or a bad sector still can. Before a resume, every summary record, part
file, failure record and series file of the folder is read; one that cannot be read is
moved into ``quarantine/<time>/`` (same relative path, nothing deleted) and its runs are
no longer finished, so the resume runs them again. A run whose series file is missing or
unreadable, while the experiment keeps series, counts as unfinished too.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from dmzsim.analysis.results_layout import ResultsLayout, records


def checked(layout: ResultsLayout) -> list[tuple[Path, str]]:
    """The folders of records and how much of a file must be read to trust it: summary
    and failure records are small and read whole; series files are many, their footer is
    read."""
    return [(layout.runs, "table"), (layout.parts, "table"), (layout.failures, "table"),
            (layout.series, "footer")]


def readable(path: Path, how: str = "table") -> bool:
    """True if ``path`` is a Parquet file pyarrow can read (whole, or its footer)."""
    try:
        if how == "footer":
            pq.read_metadata(path)
        else:
            pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError):
        return False
    return True


def unreadable_files(folder: Path) -> list[Path]:
    """The result files of ``folder`` that cannot be read, in a stable order."""
    bad = []
    for store, how in checked(ResultsLayout(folder)):
        for path in records(store):
            if not readable(path, how):
                bad.append(path)
    return bad


def quarantine(folder: Path, files: list[Path]) -> Path:
    """Move ``files`` (inside ``folder``) into a fresh ``quarantine/<time>-*/`` folder,
    keeping their relative paths; returns that folder."""
    root = ResultsLayout(folder).quarantine
    root.mkdir(exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=root))
    for path in files:
        dest = target / path.relative_to(folder)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
    return target


def recover(folder: Path) -> list[str]:
    """Set the unreadable files of ``folder`` aside; returns notes naming them."""
    bad = unreadable_files(folder)
    if not bad:
        return []
    target = quarantine(folder, bad)
    names = ", ".join(str(p.relative_to(folder)) for p in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return [f"{len(bad)} unreadable result files ({names}{more}) moved to {target}; "
            "their runs will run again"]
