"""One writer per results folder, the model as part of its identity, signals that close it.

Two sweeps on one folder must never both write; a resume must not mix two models' runs;
SIGTERM or SIGHUP (a scheduler's time-out, a closed terminal) must stop a sweep as Ctrl-C
does: workers gone, manifest closed, exit 128 + the signal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec
from dmzsim.runs.sweep.lock import FolderBusyError, folder_lock
from dmzsim.runs.sweep.results import ResultsError

from tests import fake_model
from tests.fake_model import tiny_config
from tests.helpers import session_processes, sigkill_leaves
from tests.test_store_resume import (
    KILL_CONFIG,
    raw_run_ids,
    start_sweep,
    wait_for_runs,
    write_config,
)

SERIAL = ExecutorSpec("serial")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes: to show that nothing changed."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


# --- the lock ---------------------------------------------------------------------------------
def test_the_lock_is_exclusive_reentrant_and_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "deeper" / "exp"
    with folder_lock(folder):
        holder = json.loads(ResultsLayout(folder).lock.read_text())
        assert holder["pid"] == os.getpid() and holder["started"]
        with folder_lock(folder):  # the same command may take it again (run, then report)
            pass
        assert ResultsLayout(folder).lock.exists()
        proc = subprocess.run(  # another process may not
            [sys.executable, "-c", "import sys; from dmzsim.runs.sweep.lock import "
             "folder_lock\nwith folder_lock(sys.argv[1]): pass", str(folder)],
            capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0
        assert f"in use by another dmzsim command (PID {os.getpid()}, started" in proc.stderr
    assert not (tmp_path / "new").exists()  # the folders made for the lock file are gone


def test_a_lock_file_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    ResultsLayout(folder).lock.write_text(json.dumps({"pid": 999_999_999, "started": "long ago"}))
    with folder_lock(folder):  # the OS dropped the dead holder's lock: nothing to wait for
        assert json.loads(ResultsLayout(folder).lock.read_text())["pid"] == os.getpid()
    assert not ResultsLayout(folder).lock.exists()


@pytest.mark.slow
def test_two_sweeps_on_one_folder_never_both_write(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    toml, out = write_config(tmp_path, KILL_CONFIG), tmp_path / "out"
    first = start_sweep(toml, out)
    wait_for_runs(first, out / "killme", 5)
    for extra in ([], ["--resume"]):  # neither moves the live folder aside nor joins in
        code = main(["run", str(toml), "--out", str(out), "--serial", "--no-progress",
                     "--no-report", "--simulate", "tests.fake_model:simulate_slow", *extra])
        assert code == 2
        err = capsys.readouterr().err
        assert f"results folder {out / 'killme'} is in use" in err
        assert f"PID {first.pid}, started" in err and "Traceback" not in err
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["killme"]  # nothing moved aside
    ids = raw_run_ids(out / "killme")
    assert len(ids) == len(set(ids)) == 120
    sessions = json.loads((out / "killme" / "manifest.json").read_text())["sessions"]
    assert [s["status"] for s in sessions] == ["completed"]


def test_out_that_is_a_file_exits_2_and_changes_nothing(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    toml = write_config(tmp_path, tiny_config())
    (tmp_path / "afile").write_text("x")
    before = snapshot(tmp_path)
    for out in (tmp_path / "afile", tmp_path / "afile" / "below"):
        assert main(["run", str(toml), "--out", str(out), "--serial", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert "afile" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before


# --- the model is part of the folder's identity --------------------------------------------------
def test_resume_with_another_simulate_function_is_refused(tmp_path: Path) -> None:
    exp = experiment.from_dict(tiny_config())
    run_experiment(exp, tmp_path, executor=SERIAL, simulate=fake_model.simulate,
                   progress=False)
    before = snapshot(tmp_path)
    with pytest.raises(ResultsError, match=r"another model; differences: simulate: "
                       r"tests\.fake_model:simulate -> tests\.fake_model:simulate_slow"):
        run_experiment(exp, tmp_path, executor=SERIAL, resume=True,
                       simulate=fake_model.simulate_slow, progress=False)
    assert snapshot(tmp_path) == before
    manifest = json.loads((tmp_path / "tiny" / "manifest.json").read_text())
    assert manifest["model"]["simulate"] == "tests.fake_model:simulate"
    assert manifest["model"]["dmzsim"].startswith("0.1.0")


def test_resume_with_another_dmzsim_version_is_refused(tmp_path: Path) -> None:
    exp = experiment.from_dict(tiny_config())
    run_experiment(exp, tmp_path, executor=SERIAL, simulate=fake_model.simulate,
                   progress=False)
    path = tmp_path / "tiny" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["model"]["dmzsim"] = "0.0.1"
    path.write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=r"dmzsim: 0\.0\.1 -> 0\.1\.0"):
        run_experiment(exp, tmp_path, executor=SERIAL, resume=True,
                       simulate=fake_model.simulate, progress=False)


def test_a_busy_folder_is_a_user_error(tmp_path: Path) -> None:
    assert issubclass(FolderBusyError, ResultsError)


# --- signals -----------------------------------------------------------------------------------
def descendants(pid: int) -> set[int]:
    """Live processes below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_sigterm_or_sighup_mid_sweep_stops_workers_and_closes_the_manifest(
        tmp_path: Path, signum: int) -> None:
    toml, out = write_config(tmp_path, KILL_CONFIG), tmp_path / "out"
    proc = start_sweep(toml, out)
    wait_for_runs(proc, out / "killme", 10)
    children = descendants(proc.pid)
    assert children  # the fork server and the workers
    os.kill(proc.pid, signum)  # to the command only, as a scheduler's time-out does
    stdout, stderr = proc.communicate(timeout=60)  # returns: no child holds the pipes open
    assert proc.returncode == 128 + signum, stderr
    assert "continue with: " in stdout
    deadline = time.monotonic() + 10
    while any(alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if alive(c)]
    manifest = json.loads((out / "killme" / "manifest.json").read_text())
    assert manifest["sessions"][-1]["status"] == "interrupted"
    assert manifest["sessions"][-1]["ended"] is not None


@pytest.mark.slow
def test_a_second_ctrl_c_while_stopping_still_closes_the_manifest(tmp_path: Path) -> None:
    toml, out = write_config(tmp_path, KILL_CONFIG), tmp_path / "out"
    proc = start_sweep(toml, out)
    wait_for_runs(proc, out / "killme", 10)
    for _ in range(2):
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    manifest = json.loads((out / "killme" / "manifest.json").read_text())
    assert manifest["sessions"][-1]["status"] == "interrupted"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sigkill_mid_sweep_leaves_no_process_behind(tmp_path: Path) -> None:
    """SIGKILL (the OOM killer, a batch scheduler) runs no clean-up in the command: its
    fork server, resource tracker and workers must still go, within seconds."""
    toml, out = write_config(tmp_path, KILL_CONFIG), tmp_path / "out"
    proc = start_sweep(toml, out)
    wait_for_runs(proc, out / "killme", 4)
    before = session_processes(proc.pid)
    # the command, the resource tracker, the fork server and the two workers below it
    assert len(before) >= 5 and len(descendants(proc.pid)) >= 4, before
    left = sigkill_leaves(proc)
    proc.communicate(timeout=10)  # returns: no process is left holding the pipes
    assert not left


def test_an_executor_that_cannot_start_moves_nothing_aside(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from dmzsim.runs.sweep.executors import ExecutorError

    exp = experiment.from_dict(tiny_config())
    run_experiment(exp, tmp_path, executor=SERIAL, simulate=fake_model.simulate,
                   progress=False)
    before = snapshot(tmp_path)
    unreachable = ExecutorSpec("dask", address="tcp://127.0.0.1:9", connect_timeout_s=1.0)
    with pytest.raises(ExecutorError, match="cannot reach Dask scheduler"):
        run_experiment(exp, tmp_path, executor=unreachable, simulate=fake_model.simulate,
                       progress=False)
    assert snapshot(tmp_path) == before  # the old results were not moved aside


def test_the_process_entry_ignores_signals_once_the_command_has_ended() -> None:
    """``handled(then_ignore=True)`` (the command as a process): a signal after the block
    (a second Ctrl-C while the process exits) is ignored, not Python's default, which
    would kill the interpreter on its way out; in-process callers get theirs back."""
    from dmzsim.common import signals

    before, before_term = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        with signals.handled():
            assert signal.getsignal(signal.SIGINT) is not before
        assert signal.getsignal(signal.SIGINT) is before
        with signals.handled(then_ignore=True):
            pass
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
        signal.signal(signal.SIGTERM, before_term)
