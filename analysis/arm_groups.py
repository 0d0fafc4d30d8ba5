"""Arms that are the same experiment, by construction or in fact, and each arm's factors.

An experiment's arms are often a factorial: the sequencing crossed with the zone's shape
(``runs/sequencing.toml``). Where there is no zone -- ``no_deal`` (the war goes on) and
``frozen_line`` (a ceasefire on the line) -- the zone's parameters cannot matter, so
``no_deal-unilateral`` and ``no_deal-mirrored`` are one arm run twice. :func:`same_arms`
finds such groups from the arms' parameters alone (never from the numbers), and
:func:`merge_same_arms` shows each group once, but only after checking that the runs really
are identical seed by seed; a group whose runs differ stays apart and is reported.

Arms can also turn out identical although nothing in their parameters says they must
(a zone that is never drawn within the horizon, a parameter that no process reads under
that sequencing): :func:`merge_same_arms` then finds them from their runs, whatever their
parameters, and shows them once too, said so as a finding (``ArmGroup.by_construction``
is False).

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
    ignored: tuple[str, ...]  # the parameters they differ in (cannot, or did not, matter)
    identical: bool
    differing: int = 0
    by_construction: bool = True  # False: found identical from the runs alone


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


def _found_name(arms: Sequence[str], taken: set[str]) -> str:
    """Arms found identical from their runs, named after all of them (nothing says one
    stands for the others): ``guarantees_first-unilateral`` + ``guarantees_first-mirrored``
    -> ``guarantees_first-unilateral=mirrored``; arms of several sequencings are joined
    with ``+`` (``territory_first-unilateral=mirrored+simultaneous-mirrored``). The first
    arm's name if that one is taken."""
    by_head: dict[str, list[str]] = {}
    for arm in arms:
        head, _, tail = arm.partition("-")
        by_head.setdefault(head, []).append(tail)
    parts = []
    for head, tails in by_head.items():
        if all(tails):
            parts.append(f"{head}-{'='.join(tails)}")
        else:
            parts += [f"{head}-{t}" if t else head for t in tails]
    name = "+".join(parts)
    return name if name not in taken else arms[0]


def _differing_parameters(config: Mapping[str, Any], arms: Sequence[str]) -> tuple[str, ...]:
    """The parameters whose values differ between the arms, in the config's order."""
    base = config.get("base", {}) or {}
    values = [{**base, **((config.get("arms", {}) or {}).get(a) or {})} for a in arms]
    keys = list(dict.fromkeys(k for v in values for k in v))
    return tuple(k for k in keys if len({repr(v.get(k)) for v in values}) > 1)


def identical_arms(summary: pd.DataFrame, arms: Sequence[str]) -> list[list[str]]:
    """Groups of two or more arms whose runs are identical seed by seed (every result,
    every (point, replicate) pair), in the experiment's order; found from the runs only."""
    cols = _result_columns(summary)
    by_print: dict[Any, list[str]] = {}
    for arm in arms:
        runs = summary[summary["arm"] == arm].sort_values(PAIR_KEY, kind="stable")
        if runs.empty:
            continue
        keys = tuple(map(tuple, runs[PAIR_KEY].to_numpy().tolist()))
        values = pd.util.hash_pandas_object(runs[cols].reset_index(drop=True), index=False)
        by_print.setdefault((keys, tuple(values.tolist())), []).append(arm)
    # equal fingerprints are checked value by value, so a hash collision cannot merge arms
    return [g for g in by_print.values() if len(g) > 1 and not differing_pairs(summary, g)]


def merge_same_arms(summary: pd.DataFrame, config: Mapping[str, Any], arms: Sequence[str]
                    ) -> tuple[dict[str, str], list[ArmGroup]]:
    """Which arm is shown as which (``{arm: shown as}``, identity for the rest) and the
    groups found: first those the parameters say are one arm (merged only if their runs
    are identical), then any further arms whose runs are identical, whatever their
    parameters."""
    rename = {a: a for a in arms}
    found = []
    taken = set(arms)
    grouped: set[str] = set()
    for group in same_arms(config):
        present = [a for a in group if a in arms]
        if len(present) < 2:
            continue
        grouped |= set(present)
        bad = differing_pairs(summary, present)
        ignored = tuple(k for k in ZONE_ONLY if len({repr(
            {**config.get("base", {}), **config["arms"][a]}.get(k)) for a in present}) > 1)
        name = _group_name(present, summary, taken - set(present)) if not bad else present[0]
        found.append(ArmGroup(name, tuple(present), ignored, bad == 0, bad))
        if not bad:
            for a in present:
                rename[a] = name
            taken.add(name)
    for group in identical_arms(summary, [a for a in arms if a not in grouped]):
        name = _found_name(group, taken - set(group))
        taken.add(name)
        found.append(ArmGroup(name, tuple(group), _differing_parameters(config, group),
                              True, 0, by_construction=False))
        for a in group:
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
