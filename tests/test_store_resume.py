"""Storage that loses nothing: atomic writes, kill -9 and Ctrl-C midway, resume, retries."""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.common.files import write_parquet_atomic, write_record_atomic, write_text_atomic
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.experiment import tomlout
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec
from dmzsim.runs.sweep.results import ResultsError, ResultsFolder

from tests import fake_model
from tests.fake_model import comparable, tiny_config

ROOT = Path(__file__).resolve().parent.parent
SERIAL = ExecutorSpec("serial")
# 3 arms x 2 points x 20 replicates = 120 runs of 50 ms on 2 workers: about 3 s.
KILL_CONFIG = tiny_config(name="killme", replicates=20, arms={
    "tf": {"sequencing": "territory_first"}, "gf": {"sequencing": "guarantees_first"},
    "si": {"sequencing": "simultaneous"}}, outputs={"series_every": 30})


def write_config(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / f"{config['name']}.toml"
    path.write_text(tomlout.dumps(config))
    return path


def ignore_sigint() -> None:
    """What a background job of a non-interactive shell inherits: SIGINT ignored."""
    default_sighup()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_sighup() -> None:
    """SIGHUP at its default, as from a terminal, even when the suite runs under ``nohup``
    (which the sweep rightly honours by ignoring SIGHUP)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def start_sweep(toml: Path, out: Path, *, sigint_ignored: bool = False) -> subprocess.Popen:
    """``dmzsim run`` in its own process group, as a user would start it (optionally with
    SIGINT inherited as ignored, as from a background shell)."""
    cmd = [sys.executable, "-m", "dmzsim.runs.cli", "run", str(toml), "--out", str(out),
           "--workers", "2", "--simulate", "tests.fake_model:simulate_slow",
           "--no-progress", "--no-report"]
    return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=ignore_sigint if sigint_ignored else default_sighup)


def wait_for_runs(proc: subprocess.Popen, folder: Path, n: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = len(list((folder / "runs").glob("*.parquet")))
        if done >= n:
            return done
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("sweep too slow to reach the kill point")


def reference(tmp_path: Path, config: dict) -> pd.DataFrame:
    """The same experiment run without interruption (serial, plain fake)."""
    exp = experiment.from_dict(config)
    run_experiment(exp, tmp_path / "ref", executor=SERIAL, simulate=fake_model.simulate,
                   progress=False)
    return load_experiment(tmp_path / "ref" / config["name"]).summary


def raw_run_ids(folder: Path) -> list[str]:
    files = list((folder / "runs").glob("*.parquet")) + list(
        (folder / "runs" / "parts").glob("*.parquet"))
    return [i for f in files for i in pq.read_table(f, columns=["run_id"])["run_id"].to_pylist()]


@pytest.mark.slow
def test_kill_minus_nine_midway_then_resume_loses_and_duplicates_nothing(tmp_path: Path
                                                                         ) -> None:
    toml, out = write_config(tmp_path, KILL_CONFIG), tmp_path / "out"
    folder = out / "killme"
    proc = start_sweep(toml, out)
    done_at_kill = wait_for_runs(proc, folder, 30)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, no chance to clean up
    proc.wait(timeout=10)
    (folder / "runs" / ".half-written.parquet.123.tmp").write_bytes(b"PAR1 garbage")

    killed = load_experiment(folder)
    assert done_at_kill <= len(killed.summary) < 120  # partial, and readable as is
    assert killed.manifest["sessions"][-1]["status"] == "running"  # no end was recorded

    exp = experiment.load(toml)
    report = run_experiment(exp, out, executor=ExecutorSpec("processes", 2), resume=True,
                            simulate=fake_model.simulate_slow, progress=False)
    assert report.status == "completed" and report.skipped == len(killed.summary)
    assert report.ran_ok == 120 - report.skipped

    ids = raw_run_ids(folder)
    assert len(ids) == len(set(ids)) == 120  # no duplicates, no gaps, even on disk
    assert not list(folder.rglob("*.tmp"))
    resumed = load_experiment(folder)
    pd.testing.assert_frame_equal(comparable(resumed.summary),
                                  comparable(reference(tmp_path, KILL_CONFIG)))
    assert resumed.series is not None and resumed.series["run_id"].nunique() == 120
    sessions = resumed.manifest["sessions"]
    assert [s["status"] for s in sessions] == ["killed (no end recorded)", "completed"]


@pytest.mark.slow
@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["inherited", "ignored"])
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path, sigint_ignored: bool
                                                     ) -> None:
    """Also when the command inherits SIGINT as ignored: it installs its own handler."""
    toml, out = write_config(tmp_path, KILL_CONFIG), tmp_path / "out"
    proc = start_sweep(toml, out, sigint_ignored=sigint_ignored)
    wait_for_runs(proc, out / "killme", 20)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stdout
    manifest = json.loads((out / "killme" / "manifest.json").read_text())
    assert manifest["sessions"][-1]["status"] == "interrupted"
    assert manifest["counts"]["pending"] > 0

    line = next(x for x in stdout.splitlines() if x.startswith("continue with: "))
    argv = shlex.split(line.removeprefix("continue with: "))
    assert argv[:2] == ["dmzsim", "run"] and "--resume" in argv
    assert argv[argv.index("--simulate") + 1] == "tests.fake_model:simulate_slow"
    assert main(argv[1:]) == 0  # following it, word for word, finishes the same sweep
    assert len(set(raw_run_ids(out / "killme"))) == len(raw_run_ids(out / "killme")) == 120


def test_failed_runs_are_retried_on_resume(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    exp = experiment.from_dict(tiny_config(replicates=10))
    first = run_experiment(exp, tmp_path, executor=SERIAL, simulate=fake_model.simulate_flaky,
                           progress=False)
    assert first.failed > 0
    monkeypatch.setattr(fake_model, "is_bad_seed", lambda seed: False)  # the bug is fixed
    second = run_experiment(exp, tmp_path, executor=SERIAL, resume=True,
                            simulate=fake_model.simulate_flaky, progress=False)
    assert (second.ran_ok, second.skipped, second.failed) == (first.failed, first.ok, 0)
    done = load_experiment(tmp_path / "tiny")
    assert done.failures.empty and len(done.summary) == 40


def test_resume_refuses_results_of_another_config(tmp_path: Path) -> None:
    run_experiment(experiment.from_dict(tiny_config()), tmp_path, executor=SERIAL,
                   simulate=fake_model.simulate, progress=False)
    changed = experiment.from_dict(tiny_config(base={"dmz_width_km": 30.0}))
    with pytest.raises(ResultsError,
                       match=r"different config .*base\.dmz_width_km: 10\.0 -> 30\.0"):
        run_experiment(changed, tmp_path, executor=SERIAL, resume=True,
                       simulate=fake_model.simulate, progress=False)


def test_a_fresh_run_moves_old_results_aside_instead_of_deleting_them(tmp_path: Path) -> None:
    exp = experiment.from_dict(tiny_config())
    for _ in range(2):
        report = run_experiment(exp, tmp_path, executor=SERIAL, simulate=fake_model.simulate,
                                progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny", "tiny.prev"]
    assert "moved to" in report.notes[0] and "tiny.prev" in report.notes[0]
    assert len(load_experiment(tmp_path / "tiny.prev").summary) == 12


def test_a_third_run_needs_replace_to_remove_the_older_prev(tmp_path: Path) -> None:
    first, second = (experiment.from_dict(tiny_config(replicates=n)) for n in (1, 2))
    for exp in (first, second):
        run_experiment(exp, tmp_path, executor=SERIAL, simulate=fake_model.simulate,
                       progress=False)
    before = {p.name: sorted(q.name for q in p.rglob("*")) for p in tmp_path.iterdir()}
    with pytest.raises(ResultsError, match=r"tiny\.prev the run before them; --replace"):
        run_experiment(first, tmp_path, executor=SERIAL, simulate=fake_model.simulate,
                       progress=False)
    assert {p.name: sorted(q.name for q in p.rglob("*")) for p in tmp_path.iterdir()} == before
    report = run_experiment(first, tmp_path, executor=SERIAL, simulate=fake_model.simulate,
                            progress=False, replace=True)
    assert "removed the older results" in report.notes[0] and "moved to" in report.notes[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny", "tiny.prev"]
    assert len(load_experiment(tmp_path / "tiny.prev").summary) == 8  # the second run's
    assert len(load_experiment(tmp_path / "tiny").summary) == 4


def test_cli_replace_and_its_refusal(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    toml = write_config(tmp_path, tiny_config(replicates=1))
    out = tmp_path / "out"
    cmd = ["run", str(toml), "--out", str(out), "--serial", "--no-progress", "--no-report",
           "--simulate", "tests.fake_model:simulate"]
    assert main(cmd) == 0 and main(cmd) == 0
    capsys.readouterr()
    assert main(cmd) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--replace" in err[0] and str(out / "tiny.prev") in err[0]
    assert main([*cmd, "--replace"]) == 0
    assert "removed the older results" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="2"):  # argparse: one or the other
        main([*cmd, "--replace", "--resume"])


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "x.parquet"
    bad = pd.DataFrame({"a": [object()]})  # pyarrow cannot write this
    with pytest.raises(Exception, match="object"):
        write_parquet_atomic(bad, target)
    assert list(tmp_path.iterdir()) == []
    write_parquet_atomic(pd.DataFrame({"a": [1]}), target)
    assert pd.read_parquet(target)["a"].tolist() == [1]


def test_atomic_write_never_writes_through_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for name in (".report.md.tmp", f".report.md.{os.getpid()}.tmp"):
        (tmp_path / name).symlink_to(victim)
    write_text_atomic("report", tmp_path / "report.md")
    assert victim.read_text() == "keep me"
    assert (tmp_path / "report.md").read_text() == "report"
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # the permissions a new file gets
    assert (tmp_path / "report.md").stat().st_mode == plain.stat().st_mode


def test_crash_during_compaction_duplicates_are_harmless(tmp_path: Path) -> None:
    store = ResultsFolder(tmp_path / "e")
    store.create()
    for i in range(5):
        store.write_ok({"run_id": f"a.p0000.r{i:04d}", "arm": "a", "point": 0,
                        "replicate": i, "x": float(i)}, None)
    keep = {p.name: p.read_bytes() for p in (store.folder / "runs").glob("*.parquet")}
    store.compact()
    for name, data in keep.items():  # as if killed after the part file, before deleting
        (store.folder / "runs" / name).write_bytes(data)
    assert len(store.summaries()) == 5 and len(store.finished_ids()) == 5
    assert store.compact() == 0  # the next compaction tidies up without re-adding them
    assert raw_run_ids(store.folder) == [f"a.p0000.r{i:04d}" for i in range(5)]


def test_chunks_are_finished_together_and_their_small_parts_are_merged(tmp_path: Path
                                                                     ) -> None:
    store = ResultsFolder(tmp_path / "e")
    store.create()

    def rec(i: int) -> dict:
        return {"run_id": f"a.p0000.r{i:04d}", "arm": "a", "point": 0, "replicate": i,
                "x": float(i), "day": None if i % 2 else i}

    store.write_ok_chunk([(rec(i), None) for i in range(3)])
    store.write_ok_chunk([(rec(i), None) for i in range(3, 7)])
    store.write_ok_chunk([(rec(7), None)])  # a chunk of one is a run's own file
    parts = sorted((store.folder / "runs" / "parts").glob("*.parquet"))
    assert len(parts) == 2 and len(list((store.folder / "runs").glob("*.parquet"))) == 1
    assert store.finished_ids() == {rec(i)["run_id"] for i in range(8)}
    keep = parts[0].read_bytes()
    assert store.compact() == 3
    parts[0].write_bytes(keep)  # as if killed after the merged part, before deleting
    assert store.compact() == 2  # merged again, each run once
    assert sorted(raw_run_ids(store.folder)) == [rec(i)["run_id"] for i in range(8)]
    df = store.summaries().sort_values("run_id")
    assert df["x"].tolist() == [float(i) for i in range(8)]
    assert df["day"].isna().tolist() == [i % 2 == 1 for i in range(8)]


def test_compaction_leaves_each_run_in_one_file_when_a_big_part_already_holds_it(
        tmp_path: Path) -> None:
    """A merge killed before its clean-up leaves its sources beside a part too big to be
    merged again (here: 4 rows or more), and a run may be written again after it was
    merged: the next compaction keeps each run once."""
    store = ResultsFolder(tmp_path / "e")
    store.create()

    def rec(i: int) -> dict:
        return {"run_id": f"a.p0000.r{i:04d}", "arm": "a", "point": 0, "replicate": i,
                "x": float(i)}

    store.write_ok_chunk([(rec(i), None) for i in range(3)])
    store.write_ok_chunk([(rec(i), None) for i in range(3, 5)])
    parts = sorted((store.folder / "runs" / "parts").glob("*.parquet"))
    keep = {p: p.read_bytes() for p in parts}
    assert store.compact(small_part=4) == 2  # one part of 5 rows
    for p, data in keep.items():  # as if killed before the sources were removed
        p.write_bytes(data)
    store.write_ok_chunk([(rec(1), None), (rec(5), None)])  # run 1 written again
    store.compact(small_part=4)
    ids = raw_run_ids(store.folder)
    assert sorted(ids) == [rec(i)["run_id"] for i in range(6)]  # each once


def test_a_full_disk_mid_sweep_is_one_error_and_the_manifest_closes_as_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The disk fills after five runs: the sixth run's record, the part file and the
    report cannot be written. One line says so; the manifest ends the session as failed;
    the five records stay; --resume, once there is room, ends as a clean run would."""
    from dmzsim.runs.sweep import results

    config = tiny_config(replicates=4)
    clean = reference(tmp_path, config)
    toml, out = write_config(tmp_path, config), tmp_path / "out"
    written: list[Path] = []

    def record(data: dict, path: Path) -> None:
        if len(written) == 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write_record_atomic(data, path)
        written.append(path)

    def table(data, path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(results, "write_record_atomic", record)
    monkeypatch.setattr(results, "write_table_atomic", table)
    argv = ["run", str(toml), "--out", str(out), "--serial", "--no-progress",
            "--simulate", "tests.fake_model:simulate"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"dmzsim run: error: {out / 'tiny'}: the sweep stopped: "), err
    assert "No space left on device" in err and "the manifest is closed as failed" in err
    assert "the 5 finished runs are kept" in err and "--resume" in err
    folder = out / "tiny"
    session = json.loads((folder / "manifest.json").read_text())["sessions"][-1]
    assert session["status"] == "failed" and "No space left on device" in session["error"]
    assert session["ended"] is not None and session["ok"] == 5
    assert sorted((folder / "runs").glob("*.parquet")) == sorted(written)
    assert not list(folder.rglob(".*.tmp"))

    monkeypatch.undo()  # room again
    assert main([*argv, "--resume"]) == 0
    assert comparable(load_experiment(folder).summary).equals(comparable(clean))
    sessions = json.loads((folder / "manifest.json").read_text())["sessions"]
    assert [s["status"] for s in sessions] == ["failed", "completed"]
