"""``dmzsim params``: the parameter table (name, default, unit, range, source); with
``--outputs``, the output table instead (:mod:`model.outputs`)."""

from __future__ import annotations

import argparse
from typing import Any

from dmzsim.model import outputs
from dmzsim.model.params import parameter_table

COLUMNS = ("name", "default", "unit", "range", "source")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--outputs", action="store_true",
                   help="list the model's outputs instead (name, kind, unit, meaning, flags; "
                        "Markdown)")


def run(args: argparse.Namespace) -> int:
    if args.outputs:
        print(outputs.markdown_table())
        return 0
    rows = [_cells(r) for r in parameter_table()]
    print(_markdown(rows) if args.markdown else _text(rows))
    return 0


def _cells(row: dict[str, Any]) -> dict[str, str]:
    lo, hi = row.get("min"), row.get("max")
    span = "" if lo is None and hi is None else f"{_num(lo)} .. {_num(hi)}"
    return {"name": row["name"], "default": _num(row["default"]),
            "unit": str(row.get("unit") or ""), "range": span,
            "source": str(row.get("source") or "")}


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return f"{value:,.0f}"
    return str(value)


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
