"""The documentation says what the code does."""

import re
from pathlib import Path

from dmzsim.model.model import CeasefireModel
from dmzsim.model.params import Params

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _numbered(text: str) -> list[str]:
    items, current = [], None
    for line in text.splitlines():
        m = re.match(r"\s*(\d+)\.\s+(.*)", line)
        if m:
            current = [m.group(2).strip()]
            items.append(current)
        elif current is not None and line.strip():
            current.append(line.strip())
        else:
            current = None
    return [" ".join(i) for i in items]


def test_odd_step_order_matches_the_step_docstring():
    doc_steps = _numbered(CeasefireModel.step.__doc__)
    odd = (DOCS / "ODD.md").read_text()
    section = odd.split("## 3. Process overview and scheduling")[1].split("**Phases.**")[0]
    assert _numbered(section) == doc_steps
    assert len(doc_steps) == 9


def test_odd_mentions_every_parameter():
    odd = (DOCS / "ODD.md").read_text() + (DOCS / "parameters.md").read_text()
    missing = [n for n in Params.model_fields if f"`{n}`" not in odd and n not in odd]
    assert not missing


def test_parameter_table_is_current(capsys):
    import argparse

    from dmzsim.runs.cli import params as cmd_params

    cmd_params.run(argparse.Namespace(markdown=True, outputs=False))
    table = capsys.readouterr().out.strip()
    text = (DOCS / "parameters.md").read_text()
    assert text[text.index("| name"):].strip() == table, "regenerate: dmzsim params --markdown"


def test_output_table_is_current(capsys):
    import argparse

    from dmzsim.runs.cli import params as cmd_params

    cmd_params.run(argparse.Namespace(markdown=False, outputs=True))
    table = capsys.readouterr().out.strip()
    text = (DOCS / "outputs.md").read_text()
    assert text[text.index("| name"):].strip() == table, "regenerate: dmzsim params --outputs"


def test_relative_links_in_the_docs_lead_somewhere():
    """Every relative Markdown link in the README, CONTRIBUTING, CHANGELOG and docs/ names
    a file that exists (anchors are not checked)."""
    import re

    root = DOCS.parent
    files = [root / "README.md", root / "CONTRIBUTING.md", root / "CHANGELOG.md",
             *sorted(DOCS.glob("*.md"))]
    broken = []
    for f in files:
        for m in re.finditer(r"\]\(([^)\s]+)\)", f.read_text(encoding="utf-8")):
            target = m.group(1)
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            if not (f.parent / target.split("#")[0]).exists():
                broken.append(f"{f.relative_to(root)}: {target}")
    assert not broken, broken
