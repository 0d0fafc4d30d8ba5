"""The benchmark script still runs end to end (its --quick path); no timing is asserted."""

import json

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
