"""Ctrl-C, SIGTERM and SIGHUP all stop a sweep the same way: cleanly.

A scheduler's time-out sends SIGTERM, a closed terminal SIGHUP; by default either kills
the command on the spot, leaving the manifest at "running" and worker processes behind.
:func:`handled` turns them into :class:`Interrupted` (a ``KeyboardInterrupt``), so the
sweep stops its workers, closes the manifest as "interrupted" and exits with 128 + the
signal number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).

SIGINT gets Python's handler even when the command inherited it as ignored (a background
job of a non-interactive shell does): an interrupt sent on purpose must work however the
command was started. An ignored SIGHUP stays ignored: that is what ``nohup`` asks for.

:func:`deferred` holds signals off while the sweep writes its closing records, so a
second Ctrl-C cannot leave the manifest half-closed; the caller acts on it afterwards.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Interrupted(KeyboardInterrupt):
    """A stop asked for by a signal; ``signum`` sets the exit status (128 + signum)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(err: BaseException) -> int:
    """128 + the signal that stopped the command (130 for a plain KeyboardInterrupt)."""
    return 128 + int(getattr(err, "signum", signal.SIGINT))


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _can_set() -> bool:
    """Handlers can only be set from the main thread (the visual run sweeps in another)."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def handled(then_ignore: bool = False) -> Iterator[None]:
    """Route SIGINT, SIGTERM and SIGHUP (unless ignored) to :class:`Interrupted` for the
    block, then put the previous handlers back; ``then_ignore`` (for a block the process
    exits after) ignores them instead, so that a signal that comes once the command has
    ended (a second Ctrl-C while it closes) does not cut the interpreter's exit short: the
    command's status already says how it ended."""
    if not _can_set():
        yield
        return
    wanted = [signal.SIGINT, signal.SIGTERM]
    hup = getattr(signal, "SIGHUP", None)
    if hup is not None and signal.getsignal(hup) is not signal.SIG_IGN:
        wanted.append(hup)
    previous = {signum: signal.signal(signum, _raise) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_IGN if then_ignore else handler)


@contextlib.contextmanager
def deferred() -> Iterator[list[int]]:
    """Hold SIGINT/SIGTERM/SIGHUP off for the block; yields the list of those that came,
    for the caller to act on once its closing records are written."""
    caught: list[int] = []
    if not _can_set():
        yield caught
        return
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None or signal.getsignal(signum) in (signal.SIG_IGN, None):
            continue
        previous[signum] = signal.signal(signum, lambda n, _f: caught.append(n))
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
