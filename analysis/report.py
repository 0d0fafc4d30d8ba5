"""``dmzsim report FOLDER``: tables, figures and plain-words headlines for one experiment.

:func:`write_report` reads an experiment folder written by ``dmzsim run`` (through
:mod:`analysis.loader` only) and writes into it ``report.md``, ``report.html`` (the same
content, self-contained apart from the PNGs) and ``figures/*.png``. ``dmzsim run`` calls it
when a sweep ends; run it again at any time, e.g. on a folder that is still filling up.

The report is built as a list of blocks (:mod:`analysis.report_document`) and rendered
twice, so the Markdown and the HTML can never say different things. :func:`build` gives
the order of the sections; they live in :mod:`analysis.report_arms` (comparing the
arms), :mod:`analysis.report_design` (depending on the design and outputs) and
:mod:`analysis.report_record` (what was run, provenance, methods).

Imports of pandas, matplotlib and SciPy happen inside the functions, so that importing this
module (as the CLI does to build its parser) stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dmzsim.analysis import report_arms, report_design, report_record
from dmzsim.analysis.report_context import ReportContext, experiment_name
from dmzsim.analysis.report_document import Doc, render_html, render_markdown


# --- the report -----------------------------------------------------------------------------
def write_report(folder: str | Path) -> Path:
    """Write report.md, report.html and figures/ into ``folder``; returns report.md's path."""
    from dmzsim.analysis.loader import load_experiment

    folder = Path(folder)
    exp = load_experiment(folder)
    doc = build(exp)
    md_path = folder / "report.md"
    _write(md_path, render_markdown(doc))
    _write(folder / "report.html", render_html(doc, f"Report: {experiment_name(exp)}"))
    return md_path


def _write(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def build(exp: Any) -> Doc:
    """The whole report of one experiment as blocks."""
    from dmzsim.analysis.figures import Stamp

    ctx = ReportContext(exp, Stamp.from_manifest(exp.manifest, exp.config))
    doc = Doc()
    doc.h(1, f"Experiment `{ctx.name}`: report")
    report_record.overview(doc, ctx)
    if ctx.summary.empty:
        doc.p("No run has finished yet, so there is nothing to estimate.")
    else:
        # headlines first: it computes the tables the later arm sections show
        for section in (report_arms.headlines, report_arms.risk, report_arms.survival,
                        report_arms.outcomes, report_design.by_parameter,
                        report_design.fan_charts, report_design.attack_map,
                        report_design.sensitivity, report_design.discovery):
            section(doc, ctx)
    report_record.failures(doc, ctx)
    report_record.manifest(doc, ctx)
    report_record.methods(doc, ctx)
    return doc
