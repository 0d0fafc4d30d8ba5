"""The sweep: results independent of the executor, failure isolation, adaptive replication,
series, manifest and progress reporting."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.runs import experiment
from dmzsim.runs.experiment.seeds import run_seed
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.adaptive import wilson_half_width
from dmzsim.runs.sweep.executors import ExecutorSpec

from tests import fake_model
from tests.fake_model import comparable, tiny_config

SERIAL = ExecutorSpec("serial")
TWO_PROCS = ExecutorSpec("processes", 2)


def sweep(tmp_path: Path, config: dict, executor: ExecutorSpec = SERIAL,
          simulate: object = fake_model.simulate, **kwargs: object) -> object:
    exp = experiment.from_dict(config)
    return run_experiment(exp, tmp_path, executor=executor, simulate=simulate,
                          progress=False, **kwargs)


def test_sweep_writes_one_record_per_run_with_parameters(tmp_path: Path) -> None:
    report = sweep(tmp_path, tiny_config())
    assert (report.status, report.planned, report.ok, report.failed) == ("completed", 12, 12, 0)
    assert report.exit_code == 0
    exp = load_experiment(tmp_path / "tiny")
    df = exp.summary
    assert len(df) == 12 and df["run_id"].is_unique
    assert list(df.columns[:8]) == ["run_id", "arm", "point", "replicate", "seed", "status",
                                    "sequencing", "guarantee_credibility"]
    assert set(fake_model.SUMMARY_FIELDS) <= set(df.columns)
    assert df["arm"].unique().tolist() == ["tf", "gf"]  # config order
    assert df.groupby("point")["guarantee_credibility"].first().tolist() == [0.2, 0.8]
    assert exp.series is None and exp.failures.empty


def test_results_identical_serial_and_two_processes(tmp_path: Path) -> None:
    config = tiny_config(replicates=8)
    sweep(tmp_path / "serial", config, SERIAL, fake_model.simulate_slow)
    sweep(tmp_path / "procs", config, TWO_PROCS, fake_model.simulate_slow)
    serial = load_experiment(tmp_path / "serial" / "tiny").summary
    procs = load_experiment(tmp_path / "procs" / "tiny").summary
    assert procs["worker"].nunique() == 2  # really ran in two processes
    pd.testing.assert_frame_equal(comparable(serial), comparable(procs))


def test_values_follow_the_arm_point_and_seed(tmp_path: Path) -> None:
    sweep(tmp_path, tiny_config())
    df = load_experiment(tmp_path / "tiny").summary
    row = df[(df.arm == "gf") & (df.point == 1) & (df.replicate == 2)].iloc[0]
    from dmzsim.model.params import Params

    params = Params.build({"sequencing": "guarantees_first", "guarantee_credibility": 0.8,
                           "horizon_days": 60})
    direct = fake_model.simulate(params, run_seed(7, 1, 2)).summary
    assert row["seed"] == run_seed(7, 1, 2)
    assert row["resumed"] == direct["resumed"]
    assert row["ru_losses"] == direct["ru_losses"]


def test_a_failing_run_is_recorded_and_the_rest_go_on(tmp_path: Path) -> None:
    report = sweep(tmp_path, tiny_config(replicates=10), simulate=fake_model.simulate_flaky)
    exp = load_experiment(tmp_path / "tiny")
    bad = {r["seed"] for r in exp.manifest["runs"] if fake_model.is_bad_seed(r["seed"])}
    assert bad, "the test needs some bad seeds"
    assert report.status == "completed" and report.exit_code == 1
    assert report.failed == len(exp.failures) > 0
    assert report.ok + report.failed == report.planned == 40
    assert set(exp.failures["seed"]) == bad
    assert not set(exp.summary["seed"]) & bad
    first = exp.failures.iloc[0]
    assert first["error_type"] == "ZeroDivisionError"
    assert "fake model failure" in first["message"]
    assert "Traceback" in first["traceback"] and "simulate_flaky" in first["traceback"]
    assert report.error_types == {"ZeroDivisionError": report.failed}


@pytest.mark.slow
def test_a_run_that_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    config = tiny_config(replicates=12)
    report = sweep(tmp_path, config, TWO_PROCS, fake_model.simulate_crashy)
    exp = load_experiment(tmp_path / "tiny")
    seeds = {r["seed"] for r in exp.manifest["runs"]}
    culprits = {s for s in seeds if s % 17 == 0}
    assert culprits, "the test needs a seed that crashes the worker"
    assert report.pool_restarts >= 1
    assert set(exp.failures["seed"]) == culprits, (report, exp.failures.to_dict("records"))
    assert set(exp.failures["error_type"]) == {"WorkerDied"}
    assert len(exp.summary) + len(exp.failures) == 48


@pytest.mark.slow
def test_chunked_runs_give_the_same_results_and_a_crash_still_fails_alone(
        tmp_path: Path) -> None:
    config = tiny_config(replicates=12)
    chunked = ExecutorSpec("processes", 2, chunk=6)
    report = sweep(tmp_path / "crashy", config, chunked, fake_model.simulate_crashy)
    exp = load_experiment(tmp_path / "crashy" / "tiny")
    culprits = {r["seed"] for r in exp.manifest["runs"] if r["seed"] % 17 == 0}
    assert culprits and report.pool_restarts >= 1
    assert set(exp.failures["seed"]) == culprits
    assert len(exp.summary) + len(exp.failures) == 48
    sweep(tmp_path / "serial", config, SERIAL)
    sweep(tmp_path / "chunked", config, chunked)
    serial = load_experiment(tmp_path / "serial" / "tiny").summary
    chunked_df = load_experiment(tmp_path / "chunked" / "tiny").summary
    pd.testing.assert_frame_equal(comparable(serial), comparable(chunked_df))


def test_chunks_hold_about_the_target_work_and_start_at_one_run() -> None:
    from dmzsim.runs.sweep.chunks import ChunkSizer

    sizer = ChunkSizer(0.5, max_runs=100)
    assert sizer.size() == 1  # nothing measured yet
    for _ in range(4):
        sizer.observe(0.01)
    sizer.observe(float("nan"))  # a run that never ran says nothing about run time
    assert sizer.size() == 50
    sizer.observe(0.0)
    assert 1 <= sizer.size() <= 100
    assert ChunkSizer(0.5, max_runs=100, _runs=1, _wall_s=1e-9).size() == 100
    assert ChunkSizer(0.5, max_runs=100, _runs=1, _wall_s=2.0).size() == 1
    assert ChunkSizer(0.0, _runs=5, _wall_s=0.001).size() == 1  # serial: one run a task
    assert ChunkSizer(0.5, fixed=7).size() == 7


def test_a_chunk_below_one_run_is_refused() -> None:
    from dmzsim.runs.sweep.executors import ExecutorError

    with pytest.raises(ExecutorError, match="chunk must be >= 1"):
        ExecutorSpec.from_options(chunk=0)


def _cannot_start() -> None:
    raise RuntimeError("this worker cannot start")


@pytest.mark.slow
def test_workers_that_cannot_start_abort_the_sweep_with_a_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures as cf
    import contextlib
    import multiprocessing

    from dmzsim.runs.sweep import runner as sweep_module
    from dmzsim.runs.sweep.executors import ExecutorHandle

    ctx = multiprocessing.get_context("forkserver")

    @contextlib.contextmanager
    def broken_pool(spec: ExecutorSpec) -> object:
        handle = ExecutorHandle(lambda: cf.ProcessPoolExecutor(
            1, mp_context=ctx, initializer=_cannot_start), slots=2)
        yield handle
        handle.close()

    monkeypatch.setattr(sweep_module, "open_executor", broken_pool)
    report = sweep(tmp_path, tiny_config(), TWO_PROCS)
    assert report.status == "aborted" and report.exit_code == 1
    assert "cannot start" in report.notes[-1] and report.pending == 12
    assert report.failed == 0  # no run is blamed for a broken environment


def test_series_are_kept_every_k_days(tmp_path: Path) -> None:
    sweep(tmp_path, tiny_config(outputs={"series_every": 20}))
    series = load_experiment(tmp_path / "tiny").series
    assert series is not None
    assert list(series.columns[:4]) == ["run_id", "arm", "point", "replicate"]
    assert set(fake_model.SERIES_COLUMNS) <= set(series.columns)
    assert series.groupby("run_id")["day"].apply(list).map(tuple).unique().tolist() == [
        (0, 20, 40, 60)]
    assert series["run_id"].nunique() == 12


def test_manifest_records_versions_git_seeds_status_and_sessions(tmp_path: Path) -> None:
    exp = experiment.from_dict(tiny_config())
    run_experiment(exp, tmp_path, executor=SERIAL, simulate=fake_model.simulate_flaky,
                   progress=False, argv=["dmzsim", "run", "x"])
    m = json.loads((tmp_path / "tiny" / "manifest.json").read_text())
    assert m["config_hash"] == exp.config_hash and m["root_seed"] == 7
    assert {"dmzsim", "mesa", "numpy"} <= set(m["environment"]["versions"])
    assert m["environment"]["python"].count(".") == 2
    assert set(m["git"]) == {"available", "commit", "dirty"}
    assert len(m["runs"]) == 12
    assert {r["status"] for r in m["runs"]} <= {"ok", "failed"}
    assert all(r["seed"] == run_seed(7, r["point"], r["replicate"]) for r in m["runs"])
    session = m["sessions"][-1]
    assert session["status"] == "completed" and session["argv"] == ["dmzsim", "run", "x"]
    assert session["ok"] + session["failed"] == 12 and session["wall_s"] >= 0
    assert session["executor"]["kind"] == "serial"


def test_progress_bar_shows_rate_eta_and_failures(tmp_path: Path, capsys: pytest.CaptureFixture
                                                  ) -> None:
    exp = experiment.from_dict(tiny_config(replicates=5))
    run_experiment(exp, tmp_path, executor=SERIAL, simulate=_slow_flaky, progress=True)
    err = capsys.readouterr().err
    assert "20/20" in err and "run/s" in err and "<" in err  # count, rate, ETA
    assert "failed=" in err


def _slow_flaky(params: object, seed: int, **kwargs: object) -> object:
    fake_model.simulate_slow(params, seed, **kwargs)
    return fake_model.simulate_flaky(params, seed, **kwargs)


# --- adaptive replication --------------------------------------------------------------------
def test_wilson_half_width_matches_known_values() -> None:
    # textbook interval of 8 in 10: (0.490, 0.943)
    assert wilson_half_width(8, 10, 0.95) == pytest.approx((0.943 - 0.490) / 2, abs=1e-3)
    assert wilson_half_width(0, 0, 0.95) == float("inf")
    assert wilson_half_width(50, 100, 0.95) == pytest.approx(0.0962, abs=1e-4)


ADAPTIVE = {"replicates": "auto",
            "adaptive": {"target_half_width": 0.12, "initial": 10, "batch": 10,
                         "max_replicates": 60}}


def test_adaptive_replication_stops_each_cell_at_its_target_or_cap(tmp_path: Path) -> None:
    report = sweep(tmp_path, tiny_config(**ADAPTIVE))
    exp = load_experiment(tmp_path / "tiny")
    counts = exp.summary.groupby(["arm", "point"])["resumed"].agg(["size", "sum"])
    assert report.status == "completed" and report.ok == len(exp.summary)
    for (_, _), row in counts.iterrows():
        n, k = int(row["size"]), int(row["sum"])
        assert n % 10 == 0 and 10 <= n <= 60
        reached = wilson_half_width(k, n, 0.95) <= 0.12
        assert reached or n == 60
        if n > 10:  # it did not stop a round early
            assert wilson_half_width(_k_before(exp.summary, row.name, n - 10), n - 10,
                                     0.95) > 0.12
    assert counts["size"].nunique() > 1, "cells should need different numbers of runs"
    assert exp.manifest["adaptive"]  # why each cell stopped


def _k_before(df: pd.DataFrame, cell: tuple[str, int], n: int) -> int:
    arm, point = cell
    sel = df[(df.arm == arm) & (df.point == point) & (df.replicate < n)]
    return int(sel["resumed"].sum())


def test_adaptive_replication_is_the_same_on_any_executor(tmp_path: Path) -> None:
    sweep(tmp_path / "a", tiny_config(**ADAPTIVE), SERIAL)
    sweep(tmp_path / "b", tiny_config(**ADAPTIVE), TWO_PROCS)
    a = load_experiment(tmp_path / "a" / "tiny").summary
    b = load_experiment(tmp_path / "b" / "tiny").summary
    pd.testing.assert_frame_equal(comparable(a), comparable(b))
