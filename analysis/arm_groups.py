"""Arms that are the same experiment by construction, and each arm's factors.

An experiment's arms are often a factorial: the sequencing crossed with the zone's shape
(``runs/sequencing.toml``). Where there is no zone -- ``no_deal`` (the war goes on) and
``frozen_line`` (a ceasefire on the line) -- the zone's parameters cannot matter, so
``no_deal-unilateral`` and ``no_deal-mirrored`` are one arm run twice. :func:`same_arms`
finds such groups from the arms' parameters alone (never from the numbers), and
:func:`merge_same_arms` shows each group once, but only after checking that the runs really
are identical seed by seed; a group whose runs differ stays apart and is reported.

:func:`arm_factors` reads each arm's sequencing and zone shape, which the figures use for
colour (sequencing) and line style or marker (zone shape).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dmzsim.model import outputs
from dmzsim.model.params import Params

# Sequencings under which no zone is ever drawn, and the parameters that only shape a zone.
NO_ZONE = frozenset({"no_deal", "frozen_line"})
ZONE_ONLY = ("dmz_shape", "dmz_width_km")
PAIR_KEY = ["point", "replicate"]


@dataclass(frozen=True)
class ArmGroup:
    """Arms identical by construction: ``arms`` (in the experiment's order) are shown as
    ``name``; ``identical`` says whether their runs were checked equal seed by seed;
    ``differing`` counts the pairs of runs that were not."""

    name: str
    arms: tuple[str, ...]
    ignored: tuple[str, ...]  # the parameters they differ in, which cannot matter
    identical: bool
    differing: int = 0


def _default(key: str) -> Any:
    field = Params.model_fields.get(key)
    return None if field is None else field.default


def same_arms(config: Mapping[str, Any]) -> list[list[str]]:
    """Groups of two or more arms whose parameters differ only in a zone's parameters
    while their sequencing draws no zone (in the experiment's order)."""
    base = config.get("base", {}) or {}
    groups: dict[Any, list[str]] = {}
    for arm, overrides in (config.get("arms", {}) or {}).items():
        p = {**base, **(overrides or {})}
        if p.get("sequencing", _default("sequencing")) in NO_ZONE:
            key: Any = tuple(sorted((k, repr(v)) for k, v in p.items() if k not in ZONE_ONLY))
        else:
            key = ("arm", arm)
        groups.setdefault(key, []).append(arm)
    return [g for g in groups.values() if len(g) > 1]


def _result_columns(summary: pd.DataFrame) -> list[str]:
    return [n for n in outputs.names("run") if n in summary.columns]


def differing_pairs(summary: pd.DataFrame, arms: Sequence[str]) -> int:
    """How many (point, replicate) pairs give different results in the arms (a run
    missing from one arm counts as different)."""
    cols = _result_columns(summary)
    first = summary[summary["arm"] == arms[0]].set_index(PAIR_KEY)[cols].sort_index()
    bad = 0
    for other in arms[1:]:
        o = summary[summary["arm"] == other].set_index(PAIR_KEY)[cols].sort_index()
        keys = first.index.union(o.index)
        a, b = first.reindex(keys), o.reindex(keys)
        same = pd.Series(True, index=keys)
        for c in cols:
            x, y = a[c], b[c]
            same &= (x == y) | (x.isna() & y.isna())
        bad += int((~same).sum())
    return bad


def _group_name(arms: Sequence[str], summary: pd.DataFrame, taken: set[str]) -> str:
    """``no_deal-unilateral`` + ``no_deal-mirrored`` -> ``no_deal`` (the name without the
    zone's shape), or the first arm's name when the names do not read that way."""
    heads = set()
    for arm in arms:
        head, _, tail = arm.partition("-")
        shape = summary.loc[summary["arm"] == arm, "dmz_shape"] if "dmz_shape" in summary \
            else pd.Series(dtype=object)
        if not tail or (len(shape) and tail != str(shape.iloc[0])):
            return arms[0]
        heads.add(head)
    name = heads.pop() if len(heads) == 1 else arms[0]
    return name if name not in taken else arms[0]


def merge_same_arms(summary: pd.DataFrame, config: Mapping[str, Any], arms: Sequence[str]
                    ) -> tuple[dict[str, str], list[ArmGroup]]:
    """Which arm is shown as which (``{arm: shown as}``, identity for the rest) and the
    groups found; only groups whose runs are identical are merged."""
    rename = {a: a for a in arms}
    found = []
    taken = set(arms)
    for group in same_arms(config):
        present = [a for a in group if a in arms]
        if len(present) < 2:
            continue
        bad = differing_pairs(summary, present)
        ignored = tuple(k for k in ZONE_ONLY if len({repr(
            {**config.get("base", {}), **config["arms"][a]}.get(k)) for a in present}) > 1)
        name = _group_name(present, summary, taken - set(present)) if not bad else present[0]
        found.append(ArmGroup(name, tuple(present), ignored, bad == 0, bad))
        if not bad:
            for a in present:
                rename[a] = name
    return rename, found


def arm_factors(summary: pd.DataFrame, arms: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Per arm: (sequencing, zone shape), with the shape "" where it cannot matter (no
    zone) or is not known; arms without a known sequencing are left out."""
    out = {}
    for arm in arms:
        sub = summary[summary["arm"] == arm]
        seq = str(sub["sequencing"].iloc[0]) if "sequencing" in sub and len(sub) else ""
        if not seq or seq == "nan":
            seq = arm.partition("-")[0]
        if seq not in Params.model_fields["sequencing"].annotation.__args__:
            continue
        shape = ""
        if seq not in NO_ZONE and "dmz_shape" in sub and len(sub):
            values = sub["dmz_shape"].dropna().unique()
            shape = str(values[0]) if len(values) == 1 else ""
        out[arm] = (seq, shape)
    return out
