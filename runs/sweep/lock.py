"""One writer per results folder: an exclusive OS lock held for a command's whole life.

Two commands writing into one folder mix their runs (both run everything, or one moves
the other's live folder aside while it keeps writing), and nothing afterwards can tell.
So ``dmzsim run`` takes an exclusive ``flock`` on ``<out>/.<name>.lock`` before it reads
or changes anything in ``<out>/<name>/``, and holds it until it has written its report.
A second command on the same folder stops at once (exit 2) with a message naming the
holder's PID and start time.

The lock file sits next to the folder, not in it, so it is not moved when the folder is
moved aside. The OS releases an ``flock`` when its holder dies, even by ``kill -9``, so a
lock file left by a dead process is taken over without anyone having to delete it; the
holder removes the file when it is done. Acquiring checks that the file locked is still
the one at the path, so a holder removing it in between cannot let two commands in.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.common.files import describe
from dmzsim.runs.sweep.manifest import now
from dmzsim.runs.sweep.results import ResultsError

try:
    import fcntl
except ImportError:  # Windows: no flock; the folder is then not protected
    fcntl = None  # type: ignore[assignment]

_HELD: dict[Path, int] = {}  # folders this process holds, with a nesting count


class FolderBusyError(ResultsError):
    """Another live command holds the results folder."""


@contextlib.contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder`` exclusively for the block; re-entrant within one process.

    Raises :class:`FolderBusyError` at once (it does not wait) when another live process
    holds it. Creates the parent folder if needed and removes it again if it is left empty.
    """
    key = Path(folder).resolve()
    if key in _HELD or fcntl is None:
        _HELD[key] = _HELD.get(key, 0) + 1
        try:
            yield
        finally:
            _release_nested(key)
        return
    created = _make_parents(key)
    try:
        fh = _acquire(ResultsLayout(key).lock)
    except BaseException:
        _remove_empty(created)
        raise
    _HELD[key] = 1
    try:
        yield
    finally:
        del _HELD[key]
        ResultsLayout(key).lock.unlink(missing_ok=True)
        fh.close()  # closing releases the flock
        _remove_empty(created)


def _make_parents(folder: Path) -> list[Path]:
    """Create the folder's parent (for the lock file); returns the folders created,
    deepest first, so that they can be removed again if they stay empty."""
    for path in (folder.parent, folder):
        what = describe(path, follow=True)
        if what not in (None, "a folder"):
            raise ResultsError(f"{path} is {what}, not a folder; choose another --out")
    missing = [p for p in [folder.parent, *folder.parent.parents] if not p.exists()]
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ResultsError(f"cannot create {folder.parent}: {err.strerror}") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for path in folders:
        try:
            path.rmdir()
        except OSError:  # not empty (results were written): keep it and its parents
            return


def _release_nested(key: Path) -> None:
    _HELD[key] -= 1
    if not _HELD[key]:
        del _HELD[key]


def _acquire(path: Path) -> TextIO:
    """Lock ``path`` (creating it) and write this process's identity into it."""
    while True:
        fh = _open(path)
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            fh.close()
            raise FolderBusyError(_busy_message(path, holder)) from None
        if _same_file(fh, path):
            break
        fh.close()  # the holder removed the file between our open and our lock: retry
    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps({"pid": os.getpid(), "started": now(), "argv": sys.argv}) + "\n")
    fh.flush()
    return fh


def _open(path: Path) -> TextIO:
    """The lock file, opened for writing: only ever a regular file, never through a
    symbolic link (a link planted there would otherwise have its target truncated), and
    never a FIFO or a device (opening one can block or act on the device)."""
    what = describe(path)
    if what not in (None, "a file"):
        raise ResultsError(f"the lock file {path} is {what}, not a regular file; remove it "
                           "(no dmzsim command made it) or use another --out")
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as err:
        if err.errno == errno.ELOOP:  # a link planted between the check and the open
            raise ResultsError(f"the lock file {path} is a symbolic link; remove it") from None
        raise ResultsError(f"{path.parent} cannot be written ({err.strerror}): the lock "
                           f"file {path.name} cannot be made there; choose another "
                           "--out") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ResultsError(f"the lock file {path} is not a regular file; remove it")
    return os.fdopen(fd, "r+", encoding="utf-8")


def _same_file(fh: TextIO, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fh.fileno()), path.stat())
    except FileNotFoundError:
        return False


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _busy_message(path: Path, holder: dict[str, Any]) -> str:
    folder = ResultsLayout.of_lock(path).root
    who = f"PID {holder.get('pid', '?')}, started {holder.get('started', '?')}"
    return (f"results folder {folder} is in use by another dmzsim command ({who}); wait "
            f"for it to end, or use another --out (lock file {path})")
