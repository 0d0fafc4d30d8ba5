"""``--resume --replicates N``: more replicates into a finished folder, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.experiment import tomlout
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec
from dmzsim.runs.sweep.results import ResultsError

from tests import fake_model
from tests.fake_model import comparable, tiny_config

SERIAL = ExecutorSpec("serial")
SEEDS_RUN: list[int] = []
FLAKY: set[str] = set()  # {"on"}: fail the odd seeds (a bug, fixed before the resume)


def counting_simulate(params: Any, seed: int, **kwargs: Any) -> fake_model.RunResult:
    """The fake model, noting every seed it runs (serial executor: same process)."""
    SEEDS_RUN.append(seed)
    if FLAKY and seed % 2:
        raise ZeroDivisionError(f"fake model failure for seed {seed}")
    return fake_model.simulate(params, seed, **kwargs)


def sweep(out: Path, replicates: int, *, resume: bool = False) -> Any:
    exp = experiment.from_dict(tiny_config(replicates=replicates))
    return run_experiment(exp, out, executor=SERIAL, resume=resume,
                          simulate=counting_simulate, progress=False)


def test_resuming_from_2_to_4_replicates_equals_a_fresh_4_replicate_run(tmp_path: Path
                                                                        ) -> None:
    SEEDS_RUN.clear()
    sweep(tmp_path / "grown", 2)
    old_seeds = list(SEEDS_RUN)
    SEEDS_RUN.clear()
    report = sweep(tmp_path / "grown", 4, resume=True)
    assert not set(SEEDS_RUN) & set(old_seeds)  # the 8 old runs were not run again
    assert (report.ran_ok, report.skipped, report.planned) == (8, 8, 16)
    assert any("replicates 2 -> 4" in note for note in report.notes)
    sweep(tmp_path / "fresh", 4)
    grown = load_experiment(tmp_path / "grown" / "tiny")
    fresh = load_experiment(tmp_path / "fresh" / "tiny")
    assert comparable(grown.summary).equals(comparable(fresh.summary))
    manifest = json.loads((tmp_path / "grown" / "tiny" / "manifest.json").read_text())
    fresh_manifest = json.loads((tmp_path / "fresh" / "tiny" / "manifest.json").read_text())
    assert manifest["config_hash"] == fresh_manifest["config_hash"]
    assert manifest["replicates"] == 4 and manifest["counts"]["ok"] == 16
    assert manifest["changes"][0]["replicates"] == [2, 4]
    assert [r["seed"] for r in manifest["runs"]] == [r["seed"] for r in fresh_manifest["runs"]]


def test_resume_refuses_fewer_replicates_than_on_disk(tmp_path: Path) -> None:
    sweep(tmp_path, 3)
    with pytest.raises(ResultsError, match=r"set up for 3 replicates .* cannot go down to 2"):
        sweep(tmp_path, 2, resume=True)
    assert len(load_experiment(tmp_path / "tiny").summary) == 12  # untouched


def test_resume_refuses_more_replicates_with_any_other_change(tmp_path: Path) -> None:
    sweep(tmp_path, 2)
    changed = experiment.from_dict(tiny_config(replicates=4, horizon_days=90))
    with pytest.raises(ResultsError, match=r"different config .*horizon_days"):
        run_experiment(changed, tmp_path, executor=SERIAL, resume=True,
                       simulate=counting_simulate, progress=False)


def test_cli_adds_replicates_and_refuses_fewer_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    toml = tmp_path / "tiny.toml"
    toml.write_text(tomlout.dumps(tiny_config(replicates=2, quick={"replicates": 1})))
    base = ["run", str(toml), "--out", str(tmp_path), "--serial", "--no-progress",
            "--no-report", "--simulate", "tests.fake_model:simulate"]
    assert main(base) == 0
    assert main([*base, "--resume", "--replicates", "3"]) == 0
    out = capsys.readouterr().out
    assert "replicates 2 -> 3" in out and "12 runs planned, 12 ok" in out
    assert "4 were already done" not in out and "8 were already done" in out
    assert main([*base, "--resume"]) == 2  # the file's 2 is fewer than the 3 on disk
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(tmp_path / "tiny") in err[0]
    assert "set up for 3 replicates" in err[0] and "down to 2" in err[0]


def test_dry_run_of_a_resume_counts_what_is_done_and_estimates_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    toml = tmp_path / "tiny.toml"
    toml.write_text(tomlout.dumps(tiny_config(replicates=2)))
    base = ["run", str(toml), "--out", str(tmp_path), "--serial", "--no-progress",
            "--no-report", "--simulate", "tests.fake_model:simulate"]
    assert main(base) == 0
    before = sorted(p.name for p in (tmp_path / "tiny").rglob("*"))
    capsys.readouterr()
    assert main([*base, "--resume", "--replicates", "4", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "16 runs = 2 arms (tf, gf) x 2 design points (grid) x 4 replicates" in out
    assert "8 already in the folder, 8 to run" in out
    assert "estimated time: about" in out and "on 1 worker(s) (an estimate: 3 timed" in out
    assert main([*base, "--resume", "--replicates", "1", "--dry-run"]) == 2
    assert "cannot go down to 1" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "tiny").rglob("*")) == before


def test_a_partly_finished_folder_grows_too(tmp_path: Path) -> None:
    """Runs that failed in the first session are retried along with the new replicates."""
    FLAKY.add("on")
    try:
        first = sweep(tmp_path / "grown", 2)
    finally:
        FLAKY.clear()
    grown = sweep(tmp_path / "grown", 4, resume=True)
    assert first.failed > 0 and grown.skipped == first.ok and grown.failed == 0
    sweep(tmp_path / "fresh", 4)
    assert comparable(load_experiment(tmp_path / "grown" / "tiny").summary).equals(
        comparable(load_experiment(tmp_path / "fresh" / "tiny").summary))
