"""The benchmark script still runs end to end (its --quick path); no timing is asserted."""

import json

from benchmarks import run_benchmarks


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
