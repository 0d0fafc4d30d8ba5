"""Files written so that a reader never sees half of one: the one atomic write.

Every file goes to a hidden, unique temporary file next to its target, is flushed to disk, then
renamed over the target (``os.replace`` is atomic), so the target either exists whole or
not at all; if writing fails, the temporary file is removed. The results folder, its
manifest, the reference folders and the report all write through here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["copy_atomic", "replacing", "write_parquet_atomic", "write_record_atomic",
           "write_table_atomic", "write_text_atomic"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: os.umask can only be read by setting it


@contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A binary file to write that replaces ``path`` whole once the block ends.

    The temporary file is made by :func:`tempfile.mkstemp` in the target's folder: a
    fresh, unguessable name opened with ``O_EXCL``, so a planted file or symlink there
    is never written through. It gets the permissions a plain new file would have.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        if hasattr(os, "fchmod"):  # POSIX
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(text: str, path: Path) -> None:
    """Write ``text`` (UTF-8) to ``path``."""
    with replacing(path) as fh:
        fh.write(text.encode("utf-8"))


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write an Arrow table to ``path`` as Parquet."""
    with replacing(path) as fh:
        pq.write_table(table, fh)


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` (without its index) to ``path`` as Parquet."""
    write_table_atomic(pa.Table.from_pandas(df, preserve_index=False), path)


def write_record_atomic(record: dict[str, Any], path: Path) -> None:
    """One-row Parquet file from a dict; skips pandas, which costs more than the write."""
    write_table_atomic(pa.Table.from_pylist([record]), path)


def copy_atomic(source: Path, path: Path) -> None:
    """Copy ``source`` to ``path`` byte for byte (the copy has the same sha256)."""
    with replacing(path) as fh, Path(source).open("rb") as src:
        shutil.copyfileobj(src, fh)
