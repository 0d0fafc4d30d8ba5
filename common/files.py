"""Files written so that a reader never sees half of one: the one atomic write.

Every file goes to a hidden, unique temporary file next to its target, is flushed to disk, then
renamed over the target (``os.replace`` is atomic), so the target either exists whole or
not at all; if writing fails, the temporary file is removed. The results folder, its
manifest, the reference folders and the report all write through here.

Only a regular file is ever replaced. A target that is a folder, a FIFO, a socket or a
device is refused and left as it is, and so is a symbolic link: the writer does not follow
links (the link is neither replaced by a file nor written through to its target), so a
link planted in a results folder cannot redirect a write elsewhere. Every refusal and every
failed write (a full disk, a read-only folder) is an :class:`OutputError`, one line naming
the path and what is wrong. :func:`check_writable` and :func:`check_writable_folder` make
the same checks up front, before a command spends time on work it could not save.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["OutputError", "check_writable", "check_writable_folder", "copy_atomic",
           "describe", "replacing", "write_parquet_atomic", "write_record_atomic",
           "write_table_atomic", "write_text_atomic"]


class OutputError(OSError):
    """A file cannot be written where asked: the path is not a regular file (a folder, a
    FIFO, a socket, a device, a symbolic link), its folder cannot be written, or the write
    failed (a full disk). ``str()`` is one line naming the path."""

    def __init__(self, path: str | Path, reason: str, code: int = 0) -> None:
        super().__init__(code, reason, str(path))
        self.path = Path(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable, for worker processes
        return type(self), (self.path, self.reason, self.errno)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISREG, "a file"))


def describe(path: str | Path, follow: bool = False) -> str | None:
    """What is at ``path``: "a file", "a folder", "a FIFO (named pipe)", "a socket", "a
    character device", "a block device", "a symbolic link to T" (unless ``follow``: then
    what the link points to); None if nothing is there."""
    path = Path(path)
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(st.st_mode):
        return f"a symbolic link to {os.readlink(path)}"
    return next((what for test, what in _KINDS if test(st.st_mode)), "not a regular file")


def _refuse_non_file(path: Path, option: str) -> None:
    """An :class:`OutputError` unless ``path`` is absent or a regular file (or cannot be
    looked at: then the write itself fails and says why)."""
    try:
        what = describe(path)
    except OSError:
        return
    if what is None or what == "a file":
        return
    where = f"{option} {path}" if option else path
    if what.startswith("a symbolic link"):
        raise OutputError(where, f"is {what}; dmzsim does not write through links (give "
                                 "the file's own path, or remove the link)", errno.ELOOP)
    raise OutputError(where, f"is {what}, not a regular file; left as it is (give a file "
                             "name)", errno.EISDIR if what == "a folder" else errno.EINVAL)


def _nearest_folder(path: Path, where: str | Path) -> Path:
    """``path`` if it is a folder, else its nearest existing ancestor (where a
    ``mkdir(parents=True)`` would start); an :class:`OutputError` naming ``where`` if
    that is not a folder."""
    for folder in (path, *path.parents):
        what = describe(folder, follow=True)
        if what is None:
            continue
        if what != "a folder":
            raise OutputError(where, f"{folder} is {what}, not a folder", errno.ENOTDIR)
        return folder
    return Path.cwd()  # pragma: no cover - a relative path whose every part is missing


def _probe(folder: Path, where: str | Path) -> None:
    """Create and remove a temporary file in ``folder``: the one sure test that a file
    can be written there (permissions, ACLs, a read-only file system, root or not)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".dmzsim-probe.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise OutputError(where, f"cannot be written: {folder} takes no new file "
                                 f"({err.strerror})", err.errno or 0) from None
    os.close(fd)
    os.unlink(name)


def check_writable(path: str | Path, option: str = "") -> None:
    """Refuse now what writing ``path`` later would: a target that is not a regular file
    (or is a link), a parent that is not a folder, a folder that takes no new file.
    ``option`` (e.g. ``--series-out``) is named in the message. Changes nothing."""
    path = Path(path)
    where = f"{option} {path}" if option else path
    _refuse_non_file(path, option)
    _probe(_nearest_folder(path.parent, where), where)


def check_writable_folder(folder: str | Path, option: str = "") -> None:
    """Refuse now a folder that cannot be written into: ``folder`` (or, if it does not
    exist yet, its nearest existing ancestor) must be a folder that takes a new file."""
    folder = Path(folder)
    where = f"{option} {folder}" if option else folder
    _probe(_nearest_folder(folder, where), where)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: os.umask can only be read by setting it


@contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A binary file to write that replaces ``path`` whole once the block ends.

    ``path`` must be absent or a regular file (checked before writing and again just
    before the rename); anything else, a symbolic link included, is refused and left as
    it is. The temporary file is made by :func:`tempfile.mkstemp` in the target's folder:
    a fresh, unguessable name opened with ``O_EXCL``, so a planted file or symlink there
    is never written through. It gets the permissions a plain new file would have. Any
    failure to write (a full disk, a folder that takes no file) is an
    :class:`OutputError`, and the temporary file is removed.
    """
    path = Path(path)
    _refuse_non_file(path, "")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise OutputError(path, f"cannot be written ({err.strerror})", err.errno or 0) \
            from err
    tmp = Path(name)
    try:
        if hasattr(os, "fchmod"):  # POSIX
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _refuse_non_file(path, "")  # again: something may have taken its place meanwhile
        os.replace(tmp, path)
    except OutputError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as err:
        tmp.unlink(missing_ok=True)
        reason = err.strerror or str(err)
        raise OutputError(path, f"cannot be written ({reason})", err.errno or 0) from err
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
    with Path(source).open("rb") as src, replacing(path) as fh:  # an unreadable source
        shutil.copyfileobj(src, fh)  # is the source's error, not an OutputError
