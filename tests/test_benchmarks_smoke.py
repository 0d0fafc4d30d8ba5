"""The benchmark script still runs end to end (its --quick path); no timing is asserted."""

import json
import shutil

import pytest

from benchmarks import invariance, run_benchmarks


def test_quick_benchmark_writes_all_four_parts(tmp_path, capsys):
    out = tmp_path / "quick.json"
    assert run_benchmarks.main(["--quick", "--workers", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["quick"] is True
    assert {"single_run", "sweep", "scaling", "growth", "targets", "machine"} <= set(result)
    phases = {p["phase"] for p in result["single_run"]["profile"]["phases"]}
    assert {"2 regeneration", "5 monitoring", "9 record (DataCollector)"} <= phases
    sweep = result["sweep"]
    assert sweep["same_results"], "runner and mesa.batch_run must run the very same runs"
    assert sweep["runner"]["runs"] == sweep["batch_run"]["runs"] == sweep["runs"] > 0
    assert [r["workers"] for r in result["scaling"]["rows"]] == [1, 2]
    yardstick = result["scaling"]["yardstick"]
    assert yardstick["workers"] == 2
    assert all(yardstick[k]["efficiency"] > 0 for k in ("loop", "model"))
    assert len(result["growth"]["cells"]["rows"]) == len(result["growth"]["units"]["rows"]) == 2
    assert len(result["targets"]) == 7
    assert "targets:" in capsys.readouterr().out


def test_invariance_benchmark_runs_chosen_arms_and_resumes(tmp_path):
    out = tmp_path / "inv.csv"
    arm = [("frozen_line", "unilateral")]
    invariance.run(out, 1, 1, arm)
    rows = out.read_text().splitlines()
    assert len(rows) == 1 + len(invariance.REPRESENTATIONS)  # header, one run per cell
    invariance.run(out, 1, 1, arm)  # everything is done: nothing is run again
    assert out.read_text().splitlines() == rows
    table = invariance.report(out)
    assert "frozen_line / unilateral" in table and "territory_first" not in table


def test_invariance_benchmark_runs_chosen_representations(tmp_path):
    out = tmp_path / "inv.csv"
    invariance.run(out, 1, 1, [("frozen_line", "unilateral")], ["default", "cell_3"])
    reps = [line.split(",")[0] for line in out.read_text().splitlines()[1:]]
    assert sorted(reps) == ["cell_3", "default"]
    table = invariance.report(out)
    assert "nan" not in table  # a family not run is shown as not measured
    assert "| – |" in table


def _fake_tree(root, namespaced: bool):
    """A tree with code of its own: a ``simulate`` that uses another of the tree's modules
    through the package, laid out as ``dmzsim`` by the tree's pyproject (``package-dir``),
    or as the older top-level ``model`` package."""
    (root / "model").mkdir(parents=True)
    (root / "model" / "__init__.py").write_text("")
    (root / "model" / "tree_only.py").write_text("WORK = 10\n")
    package = "dmzsim.model" if namespaced else "model"
    (root / "model" / "api.py").write_text(
        f"from {package}.tree_only import WORK\n\n"
        "def simulate(params, seed):\n    return sum(range(WORK))\n")
    if namespaced:
        (root / "dmzsim").mkdir()
        (root / "dmzsim" / "__init__.py").write_text("")
        (root / "pyproject.toml").write_text(
            '[tool.setuptools]\npackage-dir = { "dmzsim" = "dmzsim", '
            '"dmzsim.model" = "model" }\n')
    return root


def test_versus_commit_times_the_tree_it_names_not_the_installed_code(tmp_path):
    """Under the editable install, ``dmzsim.model`` is this checkout; each timed tree
    must load its own modules all the same (``tree_only`` exists only there)."""
    from benchmarks.versus_commit import _time

    arms = [("frozen_line", "unilateral")]
    for name, namespaced in (("a", True), ("b", True), ("old", False)):
        tree = _fake_tree(tmp_path / name, namespaced)
        source, seconds = _time(tree, [1], arms)
        assert source == str(tree / "model" / "api.py") and set(seconds) == {
            "frozen_line/unilateral"}


def test_collected_reads_callgrinds_count():
    from benchmarks.versus_commit import collected

    assert collected("==12== Events    : Ir\n==12== Collected : 8502686421\n") == 8502686421
    with pytest.raises(RuntimeError, match="counted nothing"):
        collected("valgrind: command not found")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_versus_commit_counts_the_instructions_of_the_runs_alone(tmp_path):
    """A tree whose run does 20,000 times the work counts many more instructions per
    run; the imports and the warm-up, the same in both, are taken out (in a fresh tree,
    whose modules have no bytecode yet, too)."""
    from benchmarks.versus_commit import _instructions

    light = _fake_tree(tmp_path / "light", True)
    heavy = _fake_tree(tmp_path / "heavy", True)
    (heavy / "model" / "tree_only.py").write_text("WORK = 200_000\n")
    arm = ("frozen_line", "unilateral")
    few, many = (_instructions(tree, [1, 2], arm, 730) for tree in (light, heavy))
    assert abs(few) < 2e5 and many > 1e7
