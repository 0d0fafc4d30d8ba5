"""``dmzsim params [NAME ...]``: the parameter table (name, default, unit, range, source);
``--long`` adds each one's meaning and allowed choices; with ``--outputs``, the output
table instead (:mod:`model.outputs`). Defaults print as TOML values, so a line can be
pasted into a scenario or an experiment's ``base``."""

from __future__ import annotations

import argparse
import fnmatch
import typing
from typing import Any

from dmzsim.common import validation
from dmzsim.model import outputs
from dmzsim.model.params import Params, parameter_table
from dmzsim.runs.cli.options import UsageError

COLUMNS = ("name", "default", "unit", "range", "source")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="only these parameters: names, parts of names or patterns such as "
                        "'guarantee*'")
    p.add_argument("--long", action="store_true",
                   help="also each parameter's meaning and allowed choices")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--outputs", action="store_true",
                   help="list the model's outputs instead (name, kind, unit, meaning, flags; "
                        "Markdown)")


def run(args: argparse.Namespace) -> int:
    if args.outputs:
        print(outputs.markdown_table())
        return 0
    table = _select(parameter_table(), getattr(args, "names", []))
    if getattr(args, "long", False):
        print(_long(table))
        return 0
    rows = [_cells(r) for r in table]
    print(_markdown(rows) if args.markdown else _text(rows))
    return 0


def _select(table: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """The rows whose name matches one of ``names`` (a pattern, or a part of the name)."""
    if not names:
        return table
    out = []
    for pattern in names:
        glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
        found = [r for r in table if fnmatch.fnmatchcase(r["name"], glob)]
        if not found:
            hint = validation.did_you_mean(pattern, [r["name"] for r in table])
            raise UsageError(f"no parameter matches {pattern!r}{hint}")
        out += [r for r in found if r not in out]
    return out


def choices(name: str) -> list[str]:
    """The allowed values of a choice parameter (empty for others)."""
    ann = Params.model_fields[name].annotation
    return [str(a) for a in typing.get_args(ann)] if typing.get_origin(ann) is typing.Literal \
        else []


def _long(table: list[dict[str, Any]]) -> str:
    blocks = []
    for r in table:
        c = _cells(r)
        lines = [f"{c['name']} = {_toml(r['default'])}  # {c['unit']}".rstrip(" #"),
                 f"    {r.get('doc') or ''}".rstrip()]
        if choices(r["name"]):
            lines.append(f"    choices: {', '.join(choices(r['name']))}")
        if c["range"]:
            lines.append(f"    range: {c['range']}")
        lines.append(f"    source: {c['source']}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _toml(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else (
        str(value).lower() if isinstance(value, bool) else _num(value))


def _cells(row: dict[str, Any]) -> dict[str, str]:
    lo, hi = row.get("min"), row.get("max")
    span = "" if lo is None and hi is None else f"{_num(lo)} .. {_num(hi)}"
    return {"name": row["name"], "default": _num(row["default"]),
            "unit": str(row.get("unit") or ""), "range": span,
            "source": str(row.get("source") or "")}


def _num(value: Any) -> str:
    if value is None:
        return ""
    return str(value)  # as TOML writes it: 1825, 0.5, 300000.0


def _text(rows: list[dict[str, str]]) -> str:
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in COLUMNS[:-1]}
    head = "  ".join(f"{c:<{widths[c]}}" for c in COLUMNS[:-1]) + "  source"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append("  ".join(f"{r[c]:<{widths[c]}}" for c in COLUMNS[:-1])
                     + f"  {r['source']}")
    return "\n".join(lines)


def _markdown(rows: list[dict[str, str]]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(esc(r[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)
