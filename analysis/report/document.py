"""The report as a list of blocks, rendered to Markdown and to HTML.

A :class:`Doc` holds blocks (heading, paragraph, list, table, figure); the sections add to
it and the two renderers write it out, so the Markdown and the HTML report can never say
different things. Only the standard library is imported here: tables arrive as pandas
DataFrames but are read through their public methods.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Doc:
    """Blocks: ("h", level, text), ("p", text), ("text", user text, lead), ("ul", items),
    ("table", DataFrame, note), ("img", relative path, caption), ("begin", class) and
    ("end",) around a box (HTML only)."""

    blocks: list[tuple[Any, ...]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        """A heading (1 = the title)."""
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        """A paragraph; may use **bold** and `code`."""
        self.blocks.append(("p", text))

    def text(self, text: str, lead: str = "") -> None:
        """A paragraph of the user's own words (an experiment's description): shown as
        written, one paragraph, with no markup of its own taking effect; ``lead``, the
        report's own words before it (may use **bold**)."""
        self.blocks.append(("text", " ".join(str(text).split()), lead))

    def ul(self, items: list[str]) -> None:
        """A bulleted list; an empty one is left out."""
        if items:
            self.blocks.append(("ul", items))

    def table(self, df: Any, note: str = "") -> None:
        """A table with an optional note under it."""
        self.blocks.append(("table", df, note))

    def begin(self, css_class: str) -> None:
        """Start a box of blocks (HTML: a ``div`` of that class; Markdown: nothing)."""
        self.blocks.append(("begin", css_class))

    def end(self) -> None:
        """End the box :meth:`begin` started."""
        self.blocks.append(("end",))

    def img(self, path: Path, folder: Path, caption: str) -> None:
        """A figure, linked relative to the report's folder so the folder can be moved."""
        self.blocks.append(("img", path.relative_to(folder).as_posix(), caption))


# --- tables as text -------------------------------------------------------------------------
def pretty(df: Any, digits: dict[str, int]) -> Any:
    """A copy of ``df`` with the named columns as text with that many decimals."""
    out = df.copy()
    for col, d in digits.items():
        if col in out:
            out[col] = out[col].map(lambda v, d=d: _num(v, d))
    return out


def _num(v: Any, digits: int) -> str:
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "–"
    if math.isinf(f):
        return "∞" if f > 0 else "−∞"
    return f"{f:,.{digits}f}"


def _cells(df: Any) -> tuple[list[str], list[list[str]]]:
    head = [str(c) for c in df.columns]
    rows = [[_num(v, 3) if isinstance(v, float) else str(v) for v in row]
            for row in df.itertuples(index=False)]
    return head, rows


# --- rendering ----------------------------------------------------------------------------------
def render_markdown(doc: Doc) -> str:
    """The document as Markdown (GitHub tables, figures as image links)."""
    out: list[str] = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"{'#' * block[1]} {block[2]}")
        elif kind == "p":
            out.append(block[1])
        elif kind == "text":
            lead = f"{block[2]} " if len(block) > 2 and block[2] else ""
            out.append(lead + markdown_escape(block[1]))
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            head, rows = _cells(block[1])
            esc = [[c.replace("|", "\\|") for c in r] for r in [head, *rows]]
            lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
            if block[2]:
                lines += ["", f"*{block[2]}*"]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})")
    return "\n\n".join(out) + "\n"


def markdown_escape(text: str) -> str:
    """``text`` as literal Markdown: the characters that could add emphasis, code, links,
    tags or table cells are backslash-escaped, and so is a first character that would
    start a heading, list or quote; plain prose is left as it reads."""
    text = re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", text)
    text = re.sub(r"^(\d+)([.)])", r"\1\\\2", text)
    return re.sub(r"^([#+=-])", r"\\\1", text)


# Wide tables scroll sideways in their own box (cells never wrap; headers wrap within a
# width), so a table of ten arms by ten costs stays a table on a narrow page.
_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.45;color:#222}.scroll{overflow-x:auto;margin:.5rem 0;max-width:100%}
table{border-collapse:collapse;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}td{white-space:nowrap}
th{background:#f0f0f0;min-width:5rem;max-width:14rem;vertical-align:bottom}
td:first-child,th:first-child{text-align:left;position:sticky;left:0;background:#fff}
th:first-child{background:#f0f0f0}img{max-width:100%}figure{margin:1rem 0}
figcaption,.note{font-size:.85rem;color:#555}code{background:#f4f4f4;padding:0 .2rem}
.summary{border-left:4px solid #1f4e79;padding:.1rem 1rem;background:#f7f9fc}"""


def _inline(text: str) -> str:
    """Escape, then render the Markdown subset used here: **bold** and `code`."""
    t = html.escape(text, quote=False)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def render_html(doc: Doc, title: str) -> str:
    """The document as one HTML page with its own style (figures stay separate PNGs)."""
    out = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"]
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{_inline(block[2])}</h{block[1]}>")
        elif kind == "p":
            out.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "text":
            lead = f"{_inline(block[2])} " if len(block) > 2 and block[2] else ""
            out.append(f"<p>{lead}{html.escape(block[1], quote=False)}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            out.append(_html_table(block[1], block[2]))
        elif kind == "begin":
            out.append(f"<div class=\"{html.escape(block[1])}\">")
        elif kind == "end":
            out.append("</div>")
        elif kind == "img":
            out.append(f"<figure><img src=\"{html.escape(block[1])}\" alt=\""
                       f"{html.escape(block[2])}\"><figcaption>{_inline(block[2])}"
                       "</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_table(df: Any, note: str) -> str:
    head, rows = _cells(df)
    t = ["<div class=\"scroll\"><table><thead><tr>"
         + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    t += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows]
    t.append("</tbody></table></div>")
    if note:
        t.append(f"<p class=\"note\">{_inline(note)}</p>")
    return "".join(t)
