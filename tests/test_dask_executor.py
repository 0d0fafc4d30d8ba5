"""Dask distributed: a real LocalCluster on loopback gives the same results as local runs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.common.files import write_table_atomic
from dmzsim.runs import experiment
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorError, ExecutorSpec, open_executor

from tests import fake_model
from tests.fake_model import comparable, tiny_config

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as c:
        yield c


@pytest.mark.slow
def test_dask_cluster_gives_the_same_results_as_local_processes(tmp_path: Path, cluster
                                                                ) -> None:
    config = tiny_config(replicates=6, outputs={"series_every": 30})
    exp = experiment.from_dict(config)
    local = run_experiment(exp, tmp_path / "local", executor=ExecutorSpec("processes", 2),
                           simulate=fake_model.simulate_flaky, progress=False)
    dask = run_experiment(exp, tmp_path / "dask",
                          executor=ExecutorSpec("dask", address=cluster.scheduler_address),
                          simulate=fake_model.simulate_flaky, progress=False)
    assert (dask.ok, dask.failed) == (local.ok, local.failed)
    a, b = load_experiment(tmp_path / "local" / "tiny"), load_experiment(tmp_path / "dask" /
                                                                         "tiny")
    assert b.summary["worker"].nunique() == 2  # both Dask workers took runs
    pd.testing.assert_frame_equal(comparable(a.summary), comparable(b.summary))
    pd.testing.assert_frame_equal(a.series, b.series)
    cols = ["run_id", "seed", "error_type", "message"]
    pd.testing.assert_frame_equal(a.failures[cols], b.failures[cols])
    assert b.manifest["sessions"][-1]["executor"]["kind"] == "dask"


@pytest.mark.slow
def test_chunks_on_dask_give_the_same_results_and_leave_nothing_on_the_scheduler(
        tmp_path: Path, cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tiny_config(replicates=9, outputs={"series_every": 30})
    exp = experiment.from_dict(config)
    serial = run_experiment(exp, tmp_path / "serial", executor=ExecutorSpec("serial"),
                            simulate=fake_model.simulate_flaky, progress=False)
    spec = ExecutorSpec("dask", address=cluster.scheduler_address, chunk=4)
    dask = run_experiment(exp, tmp_path / "dask", executor=spec,
                          simulate=fake_model.simulate_flaky, progress=False)
    assert (dask.ok, dask.failed) == (serial.ok, serial.failed) and dask.failed > 0
    a, b = load_experiment(tmp_path / "serial" / "tiny"), load_experiment(tmp_path / "dask" /
                                                                         "tiny")
    pd.testing.assert_frame_equal(comparable(a.summary), comparable(b.summary))
    pd.testing.assert_frame_equal(a.series, b.series)
    assert b.manifest["sessions"][-1]["executor"]["chunk"] == 4


@pytest.mark.slow
def test_the_scheduler_holds_only_the_tasks_in_flight(tmp_path: Path, cluster,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted while the sweep runs, each time a result is stored: the scheduler holds the
    tasks in flight (two per worker thread) and a few just collected whose release is
    still on its way to it, never more, though the sweep sends twenty times as many."""
    from dmzsim.runs.sweep.results import ResultsFolder

    held: list[int] = []
    store = ResultsFolder.write_ok_chunk

    def counting(self: ResultsFolder, runs: list) -> None:
        held.append(distributed.default_client().run_on_scheduler(
            lambda dask_scheduler: len(dask_scheduler.tasks)))
        store(self, runs)

    monkeypatch.setattr(ResultsFolder, "write_ok_chunk", counting)
    exp = experiment.from_dict(tiny_config(replicates=20))  # 80 runs, one a task
    spec = ExecutorSpec("dask", address=cluster.scheduler_address, chunk=1)
    report = run_experiment(exp, tmp_path, executor=spec, simulate=fake_model.simulate,
                            progress=False)
    assert report.ok == 80 and len(held) == 80
    slots = 2 * 2  # two per thread, two single-threaded workers
    assert max(held) <= 2 * slots and max(held[-20:]) <= 2 * slots  # no growth


@pytest.mark.slow
def test_resume_on_dask_after_a_local_start(tmp_path: Path, cluster) -> None:
    exp = experiment.from_dict(tiny_config(replicates=4))
    run_experiment(exp, tmp_path, executor=ExecutorSpec("serial"),
                   simulate=fake_model.simulate, progress=False)
    (part,) = (tmp_path / "tiny" / "runs" / "parts").glob("*.parquet")
    write_table_atomic(pq.read_table(part).slice(0, 10), part)  # as if stopped after 10
    report = run_experiment(exp, tmp_path, resume=True, simulate=fake_model.simulate,
                            executor=ExecutorSpec("dask", address=cluster.scheduler_address),
                            progress=False)
    assert report.failed == 0 and report.ok == 16 and report.ran_ok == 6


def test_missing_dask_extra_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ExecutorError, match=r"pip install 'dmzsim\[cluster\]'"), \
            open_executor(ExecutorSpec("dask", address="tcp://127.0.0.1:1")):
        pass


def test_unreachable_scheduler_gives_a_clear_error() -> None:
    spec = ExecutorSpec("dask", address="tcp://127.0.0.1:9", connect_timeout_s=1.0)
    with pytest.raises(ExecutorError, match="cannot reach Dask scheduler"), \
            open_executor(spec):
        pass


@pytest.mark.slow
def test_dask_local_starts_its_own_loopback_cluster(tmp_path: Path) -> None:
    exp = experiment.from_dict(tiny_config(replicates=2))
    report = run_experiment(exp, tmp_path / "d", executor=ExecutorSpec("dask", 2, "local"),
                            simulate=fake_model.simulate, progress=False)
    ref = run_experiment(exp, tmp_path / "s", executor=ExecutorSpec("serial"),
                         simulate=fake_model.simulate, progress=False)
    assert report.ok == ref.ok == 8
    pd.testing.assert_frame_equal(comparable(load_experiment(tmp_path / "d" / "tiny").summary),
                                  comparable(load_experiment(tmp_path / "s" / "tiny").summary))


@pytest.mark.slow
def test_the_client_keeps_a_short_log_of_the_chunks_it_sent(cluster) -> None:
    """Dask logs recent messages (1,000 by default); each message here is a chunk of runs
    with their parameters, so the default log held a whole sweep's runs in memory."""
    from dmzsim.runs.sweep.executors import MESSAGE_LOG

    with open_executor(ExecutorSpec("dask", address=cluster.scheduler_address)) as handle:
        client = handle.executor._client
        assert client.scheduler_comm.recent_message_log.maxlen == MESSAGE_LOG
