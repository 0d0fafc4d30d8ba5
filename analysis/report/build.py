"""``dmzsim report FOLDER``: tables, figures and plain-words headlines for one experiment.

:func:`write_report` reads an experiment folder written by ``dmzsim run`` (through
:mod:`analysis.loader` only) and writes into it the report as Markdown, as HTML (the same
content, self-contained apart from the PNGs) and its figures, where
:class:`~analysis.results_layout.ResultsLayout` puts them. ``dmzsim run`` calls it
when a sweep ends; run it again at any time, e.g. on a folder that is still filling up.

The report is built as a list of blocks (:mod:`analysis.report.document`) and rendered
twice, so the Markdown and the HTML can never say different things. :func:`build` gives
the order of the sections; they live in :mod:`analysis.report.arms` (comparing the
arms), :mod:`analysis.report.design` (depending on the design and outputs),
:mod:`analysis.report.discovery` (scenario discovery and feature scores),
:mod:`analysis.report.why` (Russia's decision read back),
:mod:`analysis.report.robust` (policies under deep uncertainty, for ``dmzsim robust``) and
:mod:`analysis.report.record` (what was run, provenance, methods); the report opens with
:mod:`analysis.report.summary` (the question, the answer with its conditions, the cost).

The tables several sections show are computed once by the
:class:`~analysis.report.context.ReportContext`, so the sections can come in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dmzsim.analysis import figures
from dmzsim.analysis.loader import ExperimentResults, load_experiment
from dmzsim.analysis.report import arms, design, discovery, record, robust, summary, why
from dmzsim.analysis.report.context import ReportContext, experiment_name
from dmzsim.analysis.report.document import Doc, render_html, render_markdown
from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.common.files import write_text_atomic

# The sections after the overview, in the order the report shows them (any order works).
SECTIONS = (robust.robust, arms.headlines, arms.risk, arms.survival, arms.outcomes, why.why,
            design.by_parameter, design.fan_charts, design.attack_map, design.sensitivity,
            discovery.discovery, discovery.feature_scoring)


# --- the report -----------------------------------------------------------------------------
def write_report(folder: str | Path, left_out: dict[Path, str] | None = None,
                 baseline: str | None = None,
                 contrasts: Sequence[tuple[str, str]] = (), workers: int = 0) -> Path:
    """Write the report (Markdown, HTML, figures) into ``folder``; returns the Markdown's
    path.

    Result files that cannot be read or that dmzsim did not write are left out, said so
    in the report and added to ``left_out`` (path: why) if given (``dmzsim run --resume``
    sets them aside and re-runs their runs). ``baseline`` and ``contrasts``: as
    :class:`ReportContext` takes them (an unknown arm is a
    :class:`~analysis.report.context.ReportOptionError`). ``workers`` other processes
    draw the figures while the report is built (:func:`figures.drawn_in_background`;
    0: this one draws them); on two cores, two take some fifth off a report's time.
    """
    exp = load_experiment(folder)
    with figures.drawn_in_background(workers):
        doc = build(exp, baseline, contrasts)
    if left_out is not None:
        left_out.update(exp.left_out)
    layout = ResultsLayout(Path(folder))
    write_text_atomic(render_markdown(doc), layout.report)
    write_text_atomic(render_html(doc, f"Report: {experiment_name(exp)}"), layout.report_html)
    return layout.report


def build(exp: ExperimentResults, baseline: str | None = None,
          contrasts: Sequence[tuple[str, str]] = ()) -> Doc:
    """The whole report of one experiment as blocks."""
    ctx = ReportContext(exp, baseline=baseline, contrasts=contrasts)
    doc = Doc()
    doc.h(1, f"Experiment `{ctx.name}`: report")
    if exp.config_mismatch is not None:
        doc.p(f"**Warning:** {exp.config_mismatch}. The arms, parameters and design below "
              "are read from that file and may not be those the runs were made with.")
    summary.summary(doc, ctx)
    record.overview(doc, ctx)
    if ctx.summary.empty:
        doc.p("No run has finished yet, so there is nothing to estimate.")
    else:
        for section in SECTIONS:
            section(doc, ctx)
    record.failures(doc, ctx)
    record.manifest(doc, ctx)
    record.methods(doc, ctx)
    if exp.left_out:  # known only once the sections above have read the files
        names = "; ".join(f"`{p.relative_to(exp.folder)}` ({why})"
                          for p, why in exp.left_out.items())
        doc.p(f"Left out: {len(exp.left_out)} result files that cannot be read or that "
              f"dmzsim did not write: {names}. `dmzsim run --resume` sets them aside in "
              "`quarantine/` and runs again the runs they stood for.")
    return doc
