"""The report of one experiment folder: Markdown, HTML and figures (where each goes:
:class:`analysis.results_layout.ResultsLayout`).

* :mod:`.build`: :func:`write_report` and the order of the sections;
* :mod:`.context`: what every section reads, and the tables they share;
* :mod:`.arms`, :mod:`.design`, :mod:`.record`: the sections;
* :mod:`.document`: the report as blocks, rendered to Markdown and HTML;
* :mod:`.key_figure`: the one figure a published experiment is known by.
"""

from dmzsim.analysis.report.build import build, write_report

__all__ = ["build", "write_report"]
