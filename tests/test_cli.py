"""The dmzsim command: sim, run, params; exit codes; the report hook; the real model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.model.params import Params
from dmzsim.runs import cli
from dmzsim.runs.cli import main
from dmzsim.runs.experiment import tomlout

from tests.fake_model import comparable, tiny_config

ROOT = Path(__file__).resolve().parent.parent
FAKE = ["--simulate", "tests.fake_model:simulate"]


def write_toml(tmp_path: Path, config: dict, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomlout.dumps(config))
    return path


# --- params ----------------------------------------------------------------------------------
def test_params_lists_every_parameter(capsys: pytest.CaptureFixture) -> None:
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["name", "default", "unit", "range", "source"]
    for name in Params.model_fields:
        assert f"\n{name} " in out


def test_params_markdown(capsys: pytest.CaptureFixture) -> None:
    assert main(["params", "--markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| name | default | unit | range | source |"
    assert len(lines) == 2 + len(Params.model_fields)
    assert any(line.startswith("| dmz_width_km | 10.0 | km | 1.0 .. 80.0 |") for line in lines)


# --- sim -------------------------------------------------------------------------------------
def test_sim_prints_a_readable_summary(capsys: pytest.CaptureFixture) -> None:
    assert main(["sim", "--set", "horizon_days=30", "--set", "sequencing=no_deal",
                 "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("seed 3, 30 days; parameters changed: sequencing = 'no_deal', "
                          "horizon_days = 30\n")
    assert "\n  resumed " in out


def test_sim_json_and_series_out(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('sequencing = "simultaneous"\nhorizon_days = 40\n')
    series = tmp_path / "out" / "series.parquet"
    code = main(["sim", str(scenario), "--set", "dmz_width_km=20", "--json",
                 "--series-every", "10", "--series-out", str(series)])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    from dmzsim.model.api import SUMMARY_FIELDS

    assert list(record["summary"]) == list(SUMMARY_FIELDS)
    assert record["parameters_changed"] == {"sequencing": "simultaneous",
                                            "dmz_width_km": 20.0, "horizon_days": 40}
    df = pd.read_parquet(series)
    assert df["day"].tolist() == [0, 10, 20, 30, 40] and df.columns[0] == "day"


@pytest.mark.parametrize(("argv", "needle"), [
    (["sim", "--set", "dmz_widht_km=5"], "unknown parameter 'dmz_widht_km'"),
    (["sim", "--set", "dmz_width_km=500"], "parameter 'dmz_width_km' = 500"),
    (["sim", "--set", "novalue"], "not of the form key=value"),
    (["sim", "--series-every", "5"], "--series-every needs --series-out"),
    (["sim", "missing.toml"], "scenario missing.toml"),
])
def test_sim_bad_input_exits_2_without_traceback(argv: list[str], needle: str,
                                                 capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dmzsim sim: error: ") and needle in err


def test_sim_bad_map_file_exits_2_naming_file_and_key(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nowhere.toml"
    assert main(["sim", "--map", str(missing)]) == 2
    assert f"map file {missing}: file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    text = (ROOT / "model" / "maps" / "synthetic_small.toml").read_text()
    bad.write_text(text.replace("margin_km = 10.0", "margin_km = -3.0", 1))
    assert "margin_km = -3.0" in bad.read_text()
    assert main(["sim", "--map", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dmzsim sim: error: map file ") and "margin_km" in err


def test_output_cut_short_by_a_closed_pipe_is_not_an_error() -> None:
    # `true` reads nothing and exits at once, so every write meets a closed pipe
    proc = subprocess.run(f"{sys.executable} -m dmzsim.runs.cli params | true", shell=True,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_console_entry_point_reports_bad_keys_cleanly() -> None:
    proc = subprocess.run([sys.executable, "-m", "dmzsim.runs.cli", "sim", "--set",
                           "sequencing=territory_frist"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "parameter 'sequencing' = 'territory_frist'" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- run -------------------------------------------------------------------------------------
def test_run_reports_results_and_writes_the_report(tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    toml = write_toml(tmp_path, tiny_config(quick={"replicates": 1}))
    code = main(["run", str(toml), "--out", str(tmp_path / "res"), "--serial", "--quick",
                 "--no-progress", *FAKE])
    out = capsys.readouterr().out
    assert code == 0
    assert "tiny_quick: completed" in out and "4 runs planned, 4 ok, 0 failed" in out
    assert "load_experiment(" in out
    assert "The full experiment (12 runs" in out and f"dmzsim run {toml}" in out
    folder = tmp_path / "res" / "tiny_quick"
    assert f"report: {folder}" in out
    assert list((folder / "figures").glob("*.png")), "make run must leave a figure behind"
    assert len(load_experiment(folder).summary) == 4


def test_run_with_failures_exits_1_and_counts_them(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    toml = write_toml(tmp_path, tiny_config(replicates=10))
    code = main(["run", str(toml), "--out", str(tmp_path), "--workers", "2", "--no-progress",
                 "--no-report", "--simulate", "tests.fake_model:simulate_flaky"])
    out = capsys.readouterr().out
    assert code == 1
    failed = len(load_experiment(tmp_path / "tiny").failures)
    assert f"{40 - failed} ok, {failed} failed" in out
    assert f"FAILED: {failed} runs (ZeroDivisionError x{failed})" in out


def test_run_writes_the_report_unless_told_not_to(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from dmzsim.runs.cli import run as run_command

    calls: list[tuple[Path, int]] = []
    monkeypatch.setattr(run_command, "write_report", lambda folder, workers=0: calls.append(
        (folder, workers)) or folder / "report.md")
    toml = write_toml(tmp_path, tiny_config(replicates=1))
    base = ["run", str(toml), "--out", str(tmp_path), "--serial", "--no-progress", *FAKE]
    assert main(base) == 0
    assert calls == [(tmp_path / "tiny", 0)]  # a serial run: its figures drawn here
    assert main([*base, "--no-report"]) == 0
    assert len(calls) == 1
    # the sweep's processes, idle once it ends, draw the figures (no more than a few)
    for workers, drawing in ((2, 2), (9, run_command.MAX_DRAWING_WORKERS)):
        assert main([*base[:4], "--replace", "--no-progress", *FAKE,
                     "--workers", str(workers)]) == 0
        assert calls[-1] == (tmp_path / "tiny", drawing)


@pytest.mark.parametrize(("argv", "needle"), [
    (["--serial", "--workers", "2"], "serial runs one run at a time"),
    (["--workers", "0"], "workers must be >= 1"),
    (["--simulate", "tests.fake_model:nope"], "simulate function 'tests.fake_model:nope'"),
    (["--quick"], "--quick needs a [quick] table"),
])
def test_run_bad_options_exit_2(tmp_path: Path, argv: list[str], needle: str,
                                capsys: pytest.CaptureFixture) -> None:
    toml = write_toml(tmp_path, tiny_config())
    assert main(["run", str(toml), "--out", str(tmp_path), *argv]) == 2
    assert needle in capsys.readouterr().err


def test_run_bad_config_exits_2_naming_the_key(tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    toml = write_toml(tmp_path, tiny_config(arms={"tf": {"sequencing": "territory_frist"}}))
    assert main(["run", str(toml), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"experiment {toml}: arms.tf.sequencing = 'territory_frist'" in err


def test_a_subcommand_whose_module_fails_to_load_is_reported_unavailable(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    assert {"sim", "run", "params", "report", "viz"} <= set(cli.SUBCOMMANDS)
    monkeypatch.setitem(cli.SUBCOMMANDS, "verify", "no_such_package.verify_cli")
    assert main(["verify"]) == 2
    assert "dmzsim verify: unavailable" in capsys.readouterr().err


# --- the real model --------------------------------------------------------------------------
REAL = tiny_config(name="real", replicates=3, horizon_days=45,
                   arms={"tf": {"sequencing": "territory_first"},
                         "nd": {"sequencing": "no_deal", "dmz_shape": "mirrored"}},
                   design={"method": "grid", "parameters": {"monitoring_coverage": [0.2]}})


@pytest.mark.slow
def test_real_model_sweep_same_on_one_and_two_workers_and_reproducible_by_sim(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    toml = write_toml(tmp_path, REAL)
    for where in (["--serial"], ["--workers", "2"]):
        out = tmp_path / where[-1]
        assert main(["run", str(toml), "--out", str(out), "--no-progress", "--no-report",
                     *where]) == 0
    one = load_experiment(tmp_path / "--serial" / "real").summary
    two = load_experiment(tmp_path / "2" / "real").summary
    assert len(one) == 6
    pd.testing.assert_frame_equal(comparable(one), comparable(two))

    row = one[one.arm == "nd"].iloc[-1]  # any run can be repeated alone from its seed
    capsys.readouterr()
    assert main(["sim", "--json", "--seed", str(row["seed"]), "--set", "horizon_days=45",
                 "--set", "sequencing=no_deal", "--set", "dmz_shape=mirrored",
                 "--set", "monitoring_coverage=0.2"]) == 0
    alone = json.loads(capsys.readouterr().out)["summary"]
    for key, value in alone.items():
        assert (pd.isna(row[key]) and value is None) or row[key] == value, key


def test_debug_shows_the_traceback_of_a_user_error(capsys: pytest.CaptureFixture) -> None:
    assert main(["sim", "--set", "dmz_widht_km=5"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["sim", "--set", "dmz_widht_km=5", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "dmzsim sim: error: unknown parameter 'dmz_widht_km'" in err


def test_version(capsys: pytest.CaptureFixture) -> None:
    from dmzsim import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"dmzsim {__version__}"


def test_params_filter_long_and_toml_numbers(capsys: pytest.CaptureFixture) -> None:
    import tomllib

    assert main(["params", "guarantee_delay", "dmz_sha*", "--long"]) == 0
    out = capsys.readouterr().out
    assert "guarantee_delay_days = 90" in out and "choices: unilateral, mirrored" in out
    assert "sequencing" not in out
    first_lines = [b.splitlines()[0].split("  #")[0] for b in out.strip().split("\n\n")]
    assert tomllib.loads("\n".join(first_lines))["dmz_shape"] == "unilateral"
    assert main(["params", "horizon_days"]) == 0
    assert "1,825" not in capsys.readouterr().out


def test_params_filter_that_matches_nothing(capsys: pytest.CaptureFixture) -> None:
    assert main(["params", "guarantee_dealy"]) == 2
    err = capsys.readouterr().err
    assert "no parameter matches 'guarantee_dealy'" in err and "did you mean" in err


def test_run_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "sequencing", "--dry-run", "--replicates", "3", "--workers", "2",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "30 runs = 10 arms" in out and "3 replicates" in out and "on 2 worker(s)" in out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", [["--chunk", "0"], ["--workers", "0"]])
def test_a_bad_executor_option_is_refused_even_on_a_dry_run(
        tmp_path: Path, capsys: pytest.CaptureFixture, option: list[str]) -> None:
    assert main(["run", "sequencing", "--dry-run", *option,
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{option[0][2:]} must be >= 1" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_run_set_and_replicates_change_the_experiment(tmp_path: Path) -> None:
    import argparse

    from dmzsim.runs.cli import run as cmd_run

    args = argparse.Namespace(experiment=Path("sequencing"), quick=True, replicates=2,
                              overrides=["guarantee_credibility=0.9"], out=tmp_path,
                              serial=True, dask=None, workers=None, resume=False,
                              no_report=True, no_progress=True, simulate=None)
    exp = cmd_run.load_experiment_of(args)
    assert exp.base_params()["guarantee_credibility"] == 0.9 and exp.spec.replicates == 2
    plain = cmd_run.load_experiment_of(argparse.Namespace(**{**vars(args), "overrides": [],
                                                              "replicates": None}))
    assert plain.config_hash != exp.config_hash
    line = cmd_run._command(args, resume=True)
    assert "--set guarantee_credibility=0.9" in line and "--replicates 2" in line


def test_run_set_with_a_bad_value_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture
                                          ) -> None:
    assert main(["run", "sequencing", "--set", "withdrawal_days=true", "--dry-run",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "parameter 'withdrawal_days' = True" in err and "Traceback" not in err
