"""pydantic's validation errors in the project's words: one translator for every schema.

pydantic names neither the value nor, for an unknown key, what was probably meant; most
unknown keys are typos, so :func:`issues` adds "did you mean" with the nearest known key.
The experiment file's schema and checks read errors through here, and so can any other
schema (the model parameters, the map file).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

__all__ = ["Issue", "closest", "did_you_mean", "issues"]


def closest(key: str, known: Iterable[str], aliases: Mapping[str, str] | None = None
            ) -> str | None:
    """The known key nearest to a misspelt one (``aliases``: other names people use)."""
    if aliases and key in aliases:
        return aliases[key]
    match = difflib.get_close_matches(key, list(known), n=1)
    return match[0] if match else None


def did_you_mean(key: str, known: Iterable[str], aliases: Mapping[str, str] | None = None
                 ) -> str:
    """``"; did you mean 'x'?"``, or "" when no known key is near."""
    hint = closest(key, known, aliases)
    return f"; did you mean {hint!r}?" if hint else ""


@dataclass(frozen=True)
class Issue:
    """One problem: where (the key path), the value found, and what is wrong with it."""

    loc: tuple[str | int, ...]
    value: Any
    message: str
    missing: bool = False  # a required key is absent: there is no value to show

    @property
    def path(self) -> str:
        return ".".join(str(p) for p in self.loc)


def issues(err: ValidationError, known: Iterable[str], *, unknown: str = "unknown key",
           aliases: Mapping[str, str] | None = None) -> list[Issue]:
    """Every error of ``err``; an unknown key is ``unknown`` plus a "did you mean" from
    ``known`` (and ``aliases``)."""
    known = list(known)
    found = []
    for e in err.errors():
        loc = tuple(e["loc"])
        if e["type"] == "missing":
            found.append(Issue(loc, None, "required key is missing", missing=True))
        elif e["type"] == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            found.append(Issue(loc, e.get("input"), unknown + did_you_mean(key, known,
                                                                            aliases)))
        else:
            found.append(Issue(loc, e.get("input"), e["msg"]))
    return found
