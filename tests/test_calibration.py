"""``dmzsim calibrate``: a planted parameter is recovered, the search is reproducible from
its seed, and a killed calibration resumes without repeating finished trials and leaves no
process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from dmzsim.analysis.targets import evaluate
from dmzsim.runs import calibration, experiment
from dmzsim.runs.calibration.search import search
from dmzsim.runs.calibration.summary import write_outputs
from dmzsim.runs.cli import main
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec

from tests.helpers import BENT_MAP as BENT
from tests.helpers import ROOT, session_processes, sigkill_leaves

pytest.importorskip("optuna")
PLANTED = 0.010  # attrition_rate_per_day
SERIAL = ExecutorSpec.from_options(serial=True, workers=None, dask=None)


def _experiment(folder: Path, low: float = 0.0, high: float = 1e9) -> Path:
    path = folder / "war.toml"
    path.write_text(f'''name = "war"
map = "{BENT}"
root_seed = 5
horizon_days = 120
replicates = 4

[arms.no_deal]
sequencing = "no_deal"

[targets.ru_losses_per_day]
arm = "no_deal"
statistic = "mean"
output = "ru_losses"
per_days = 1.0
low = {low}
high = {high}
source = "planted"
''', encoding="utf-8")
    return path


def _planted_targets(tmp_path: Path) -> Path:
    """Targets derived from a run at the planted value: its statistic ± 5%."""
    path = _experiment(tmp_path)
    text = path.read_text().replace(
        "[arms.no_deal]", f"[base]\nattrition_rate_per_day = {PLANTED}\n\n[arms.no_deal]")
    planted = tmp_path / "planted" / "war.toml"
    planted.parent.mkdir()
    planted.write_text(text)
    exp = experiment.load(planted)
    rep = run_experiment(exp, tmp_path / "planted_runs", executor=SERIAL,
                         progress=False, argv=[])
    from dmzsim.analysis.loader import load_experiment

    value = evaluate(exp.spec.targets, load_experiment(rep.folder).summary, 120.0)[0].value
    return _experiment(tmp_path, 0.95 * value, 1.05 * value)


def _calibration(tmp_path: Path, trials: int = 24, seed: int = 3) -> Path:
    _planted_targets(tmp_path)
    path = tmp_path / "fit.toml"
    path.write_text(f'''name = "fit"
experiment = "war.toml"
trials = {trials}
seed = {seed}

[parameters.attrition_rate_per_day]
min = 0.002
max = 0.03
''', encoding="utf-8")
    return path


def test_a_planted_parameter_is_recovered(tmp_path):
    cal = calibration.load(_calibration(tmp_path))
    study = search(cal, tmp_path / "out" / "fit", executor=SERIAL,
                   progress=False)
    df = write_outputs(cal, study, tmp_path / "out" / "fit")
    best = df.loc[df["objective"].idxmin()]
    assert best["accepted"] and best["attrition_rate_per_day"] == pytest.approx(PLANTED,
                                                                                  rel=0.1)
    acc = pd.read_parquet(tmp_path / "out" / "fit" / "accepted.parquet")
    assert len(acc) >= 1 and acc["attrition_rate_per_day"].between(0.009, 0.011).all()
    # far from the planted value the targets are missed: the search had to find it
    assert (~df["accepted"]).any()
    for name in ("report.md", "best.toml", "trials.parquet"):
        assert (tmp_path / "out" / "fit" / name).exists()


def test_the_search_is_reproducible_from_its_seed(tmp_path):
    path = _calibration(tmp_path, trials=5)
    frames = []
    for out in ("a", "b"):
        assert main(["calibrate", str(path), "--out", str(tmp_path / out), "--serial",
                     "--no-progress"]) == 0
        frames.append(pd.read_parquet(tmp_path / out / "fit" / "trials.parquet"))
    pd.testing.assert_frame_equal(*frames)


def test_a_killed_calibration_resumes_without_repeating_finished_trials(tmp_path):
    path = _calibration(tmp_path, trials=6)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "dmzsim.runs.cli", "calibrate", str(path), "--out",
           str(out), "--serial", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    trials = out / "fit" / "trials"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(trials.glob("trial_*"))) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    started = sorted(p.name for p in trials.glob("trial_*"))
    assert 3 <= len(started) < 6, started
    stamps = {p.name: (p / "manifest.json").stat().st_mtime_ns
              for p in trials.glob("trial_*") if (p / "manifest.json").exists()}
    assert main(["calibrate", str(path), "--out", str(out), "--serial", "--no-progress"]) == 0
    resumed = pd.read_parquet(out / "fit" / "trials.parquet")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "whole"), "--serial",
                 "--no-progress"]) == 0
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(
        tmp_path / "whole" / "fit" / "trials.parquet"))
    finished = started[:-1]  # the last one was running when it was killed
    for name in finished:
        assert (trials / name / "manifest.json").stat().st_mtime_ns == stamps[name]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_calibration_killed_by_sigkill_leaves_no_process_behind(tmp_path):
    """Each trial runs on local worker processes; SIGKILL of the command (no clean-up)
    must take its fork server, resource tracker and workers with it, within seconds."""
    _experiment(tmp_path)
    path = tmp_path / "fit.toml"
    path.write_text('name = "fit"\nexperiment = "war.toml"\ntrials = 6\nseed = 3\n\n'
                    '[parameters.attrition_rate_per_day]\nmin = 0.002\nmax = 0.03\n')
    cmd = [sys.executable, "-m", "dmzsim.runs.cli", "calibrate", str(path), "--out",
           str(tmp_path / "out"), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    # the command, the resource tracker, the fork server and a trial's two workers
    while len(session_processes(proc.pid)) < 5:
        if proc.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("no trial ran on two workers")
        time.sleep(0.02)
    assert not sigkill_leaves(proc)


@pytest.mark.parametrize(("text", "says"), [
    ('trials = 0', "trials = 0"),
    ('[parameters.attrition_rate_pr_day]\nmin = 0.1\nmax = 0.2', "not a model parameter"),
    ('[parameters.sequencing]\nmin = 0.1\nmax = 0.2', "not a numeric parameter"),
    ('[parameters.attrition_rate_per_day]\nmin = 0.2\nmax = 0.1', "needs min < max"),
    ('[parameters.attrition_rate_per_day]\nmin = 0.01\nmax = 0.5', "leaves the schema's range"),
    ('targets = ["nope"]', "is not a target"),
    ("trials = ", "not valid TOML"),
])
def test_bad_calibration_files_are_clear_errors(tmp_path, capsys, text, says):
    _experiment(tmp_path)
    head = 'name = "fit"\nexperiment = "war.toml"\nseed = 1\n'
    if "trials" not in text:
        head += "trials = 2\n"
    if "[parameters." not in text:
        text += "\n[parameters.attrition_rate_per_day]\n"
    path = tmp_path / "bad.toml"
    path.write_text(head + text + "\n")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert says in err and str(path) in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_an_experiment_takes_its_base_from_the_accepted_sets(tmp_path):
    cal = calibration.load(_calibration(tmp_path, trials=24))
    folder = tmp_path / "out" / "fit"
    write_outputs(cal, search(cal, folder, executor=SERIAL, progress=False), folder)
    n_accepted = len(pd.read_parquet(folder / "accepted.parquet"))
    text = (tmp_path / "war.toml").read_text().replace(
        "[arms.no_deal]", '[design]\nmethod = "table"\nfrom_calibration = "out/fit"\n'
        "samples = 2\n\n[arms.no_deal]")
    path = tmp_path / "uses.toml"
    path.write_text(text.replace('name = "war"', 'name = "uses"'))
    exp = experiment.load(path)
    rows = exp.spec.design.rows
    assert len(rows) == min(2, n_accepted) and set(rows[0]) == {"attrition_rate_per_day"}
    assert all(0.009 < r["attrition_rate_per_day"] < 0.011 for r in rows)
    report = run_experiment(exp, tmp_path / "res", executor=SERIAL, progress=False, argv=[])
    from dmzsim.analysis.report.build import write_report

    assert "accepted parameter sets of the calibration" in write_report(
        report.folder).read_text()


def test_from_calibration_without_accepted_sets_is_a_clear_error(tmp_path):
    text = _experiment(tmp_path).read_text().replace(
        "[arms.no_deal]", '[design]\nmethod = "table"\nfrom_calibration = "nowhere"\n\n'
        "[arms.no_deal]")
    path = tmp_path / "uses.toml"
    path.write_text(text)
    with pytest.raises(experiment.ExperimentError) as err:
        experiment.load(path)
    assert "design.from_calibration = 'nowhere'" in str(err.value)
    assert "no accepted.parquet" in str(err.value)
