"""Values a process keeps for reuse across its runs, each only once it is asked for a
second time: the runs of a sweep cut the theatre along the same few lines and build the
same things on them, while a war's cuts seldom repeat and would push those out."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


class KeptAcrossRuns:
    """Up to ``size`` values by key (the least recently used dropped first), each kept
    once its key comes a second time; ``seen`` keys are remembered without their value.

    A value is kept with the object it was made from (``owner``, e.g. the map's raster)
    and reused only for that very object, so a key whose ``id`` is reused by another
    object is never mistaken for it."""

    def __init__(self, size: int, seen: int) -> None:
        self.size, self.seen_size = size, seen
        self._values: OrderedDict[Hashable, tuple[object, Any]] = OrderedDict()
        self._seen: OrderedDict[Hashable, None] = OrderedDict()

    def get(self, key: Hashable, owner: object, make: Callable[[], T]) -> T:
        """The value kept for ``key`` and ``owner``, else ``make()`` (kept if ``key`` was
        seen before)."""
        hit = self._values.get(key)
        if hit is not None and hit[0] is owner:
            self._values.move_to_end(key)
            return hit[1]
        value = make()
        if key in self._seen:
            self._values[key] = (owner, value)
            if len(self._values) > self.size:
                self._values.popitem(last=False)
        self._seen[key] = None
        self._seen.move_to_end(key)
        if len(self._seen) > self.seen_size:
            self._seen.popitem(last=False)
        return value


def read_only[V](value: V) -> V:
    """``value`` with every array in it made read-only (itself, or in the tuples, lists and
    dataclasses it is made of): a value shared between runs must not be written by any,
    and with this a write fails where it is made rather than changing another run."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple | list):
        for item in value:
            read_only(item)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            read_only(getattr(value, f.name))
    return value


def kept_in[V](store: OrderedDict[Hashable, V], key: Hashable, make: Callable[[], V],
               size: int) -> V:
    """``store[key]``, made by ``make()`` the first time it is asked for, in a store of at
    most ``size`` values, the least recently used dropped first: values asked for once (a
    war's lines, which seldom come again) push out only each other, not those a sweep's
    runs ask for again and again."""
    value = store.get(key)
    if value is None:
        value = store[key] = make()
        if len(store) > size:
            store.popitem(last=False)
    else:
        store.move_to_end(key)
    return value
