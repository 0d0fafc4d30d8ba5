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


def test_the_step_walks_its_processes_in_the_order_of_its_docstring():
    """``CeasefireModel.processes`` holds one process for each of steps 2-9 of the
    numbered list (step 1, the agreement's events, runs before the step), in order."""
    from tests.helpers import SMALL_MAP, small

    m = CeasefireModel(small(), rng=0, map_path=SMALL_MAP)
    steps = [process.STEP for process in m.processes]
    assert steps == sorted(steps)
    assert set(steps) == set(range(2, len(_numbered(CeasefireModel.step.__doc__)) + 1))


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


ROOT = DOCS.parent
USER_DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]
# A results folder an example reads: load_experiment("results/X"), report results/X, --from
READS = re.compile(r"""load_experiment\(["']results/(\w+)|report results/(\w+)"""
                   r"""|--from results/(\w+)""")
# A command that writes results/<name>[_quick]: dmzsim run/publish EXP [options]
WRITES = re.compile(r"dmzsim (?:run|publish) (\S+)([^\n`#]*)")


def _written(text: str) -> set[str]:
    """Results folders the ``dmzsim run`` and ``dmzsim publish`` commands in ``text``
    write (into the default --out)."""
    out = set()
    for m in WRITES.finditer(text):
        target, options = m.group(1), m.group(2)
        if target.startswith("-") or "--from" in options or "--out" in options:
            continue
        name = Path(target).stem
        out.add(f"{name}_quick" if "--quick" in options else name)
    return out


def test_examples_read_the_results_folders_the_commands_write():
    """An example that reads results/X follows a command in the same page that writes X,
    or ``make run`` (whose folder comes from the Makefile's own command)."""
    make_run = _written((ROOT / "Makefile").read_text())
    assert make_run == {"sequencing_quick"}
    wrong = []
    for f in USER_DOCS:
        text = f.read_text(encoding="utf-8")
        written = make_run | _written(text)
        for m in READS.finditer(text):
            folder = next(g for g in m.groups() if g)
            if folder not in written:
                wrong.append(f"{f.relative_to(ROOT)}: results/{folder} (written here: "
                             f"{sorted(written)})")
    assert not wrong, wrong


def test_how_long_make_run_takes_is_stated_in_one_place():
    """Only docs/experiments.md §8 gives ``make run``'s time; other places point there."""
    duration = re.compile(r"\d\s*(?:s|sec|seconds?|min|minutes?)\b|\bminutes?\b|\bhalf a minute"
                          r"|\bseconds\b", re.IGNORECASE)
    places = []
    for f in [*USER_DOCS, *sorted((ROOT / "runs").glob("*.toml")), ROOT / "Makefile"]:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if ("make run" in line or "quick size" in line or "[quick]" in line
                    or "sequencing_quick" in line) and duration.search(line):
                places.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()}")
    assert len(places) == 1 and places[0].startswith("docs/experiments.md"), places


def test_every_option_of_dmzsim_run_is_in_the_experiment_guide():
    """docs/experiments.md §2 has a row for every option ``dmzsim run`` takes."""
    from dmzsim.runs.cli import run as run_command
    from dmzsim.runs.cli.dispatch import build_parser

    parser = build_parser("run", run_command)
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")
    options = {o for a in sub.choices["run"]._actions for o in a.option_strings
               if o.startswith("--") and o != "--help"}
    text = (DOCS / "experiments.md").read_text()
    table = text[text.index("Every option of `dmzsim run"):text.index("The progress bar shows")]
    rows = set(re.findall(r"^\| `(--[a-z-]+)", table, re.MULTILINE))
    assert options - rows == set() and rows - options == {"--debug"}


# --- numbers the docs state about the published experiments and the map ------------------------
def _planned_runs(name: str, quick: bool = False) -> tuple[int, bool]:
    """(runs the experiment file plans: arms x design points x replicates, or with
    adaptive replicates their cap; whether it is adaptive)."""
    from dmzsim.runs import experiment
    from dmzsim.runs.experiment.checks import design_size

    spec = experiment.load(ROOT / "runs" / f"{name}.toml", quick=quick).spec
    per_cell = spec.adaptive.max_replicates if spec.adaptive else int(spec.replicates)
    return max(len(spec.arms), 1) * design_size(spec) * per_cell, spec.adaptive is not None


def _reference_runs(name: str) -> int:
    """Runs the reference holds, by its index and by its runs.parquet."""
    import json

    import pandas as pd

    ref = ROOT / "runs" / "reference" / name
    stated = json.loads((ref / "reference.json").read_text())["runs"]
    assert stated == len(pd.read_parquet(ref / "runs.parquet", columns=["run_id"])), name
    return stated


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def test_run_counts_in_the_docs_match_the_references():
    """Every published experiment's run count in docs/experiments.md is what its file
    plans and its reference holds (an adaptive one: its cap, with the reference at or
    under it); the totals and design sizes in docs/publishing.md and the quick size in
    the README and docs/experiments.md add up the same way."""
    from dmzsim.runs.experiment.published import published_names

    text = (DOCS / "experiments.md").read_text()
    table = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|$", text, re.MULTILINE))
    assert set(table) == set(published_names()), "one row per published experiment"
    caps, held = {}, {}
    for name, cell in table.items():
        caps[name], adaptive = _planned_runs(name)
        held[name] = _reference_runs(name)
        if adaptive:
            m = re.fullmatch(r"≤ ([\d,]+) \(([\d,]+) in the reference\)", cell.strip())
            assert m, cell
            assert (_count(m[1]), _count(m[2])) == (caps[name], held[name]), name
            assert held[name] <= caps[name]
        else:
            assert _count(cell.strip()) == caps[name] == held[name], name
    publishing = (DOCS / "publishing.md").read_text()
    m = re.search(r"up to ([\d,]+) runs, of which `guarantee_delay` is\s+adaptive and may "
                  r"stop below its ([\d,]+)-run cap: the references hold ([\d,]+) runs, "
                  r"([\d,]+) of\s+them", publishing)
    assert m, "the totals of docs/publishing.md §2"
    assert [_count(g) for g in m.groups()] == [
        sum(caps.values()), caps["guarantee_delay"], sum(held.values()),
        held["guarantee_delay"]]
    assert f"spread over the {held['sensitivity']:,} Sobol' points" in publishing
    quick, _ = _planned_runs("sequencing", quick=True)
    for page in (ROOT / "README.md", DOCS / "experiments.md"):
        stated = re.findall(r"quick (?:size|subset of `sequencing`) \(([\d,]+) runs",
                            page.read_text())
        assert stated and all(_count(s) == quick for s in stated), page.name


def test_grid_sizes_in_the_docs_are_the_default_maps():
    """Every "N × M cells of 2 km" in the docs is the default map's raster at 2 km, as
    ``dmzsim map`` prints it; the map-format table gives the same shape."""
    from dmzsim.model.theatre import cached_raster
    from dmzsim.model.theatre_map import default_map_path

    nx, ny = cached_raster(default_map_path(), 2.0).shape
    found = []
    for f in USER_DOCS:
        for m in re.finditer(r"(\d+) × (\d+) cells\s+of\s+2 km", f.read_text(encoding="utf-8")):
            found.append(f.name)
            assert (int(m[1]), int(m[2])) == (nx, ny), f"{f.name}: {m[0]}"
    assert {"ODD.md", "visual-run.md"} <= set(found)
    row = re.search(r"^\| grid shape \(nx, ny\) \| (\d+) × (\d+) \|",
                    (DOCS / "map-format.md").read_text(), re.MULTILINE)
    assert row and (int(row[1]), int(row[2])) == (nx, ny)
