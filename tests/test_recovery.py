"""Stores that recover: a result file that cannot be read, or that dmzsim did not write
(another name, another schema, a link, a FIFO), is set aside by a resume, its runs run
again, and the folder ends as an uninterrupted run would have left it; the report works
on the writer's readable files and names what it left out."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.provenance import config_hash_of, config_mismatch
from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.common.files import write_table_atomic
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.experiment import tomlout
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec

from tests import fake_model
from tests.fake_model import comparable, tiny_config

ROOT = Path(__file__).resolve().parent.parent
SERIAL = ExecutorSpec("serial")
CONFIG = tiny_config(replicates=4, outputs={"series_every": 20})


def run(out: Path, resume: bool = False):
    return run_experiment(experiment.from_dict(CONFIG), out, executor=SERIAL, resume=resume,
                          simulate=fake_model.simulate, progress=False)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def split_parts(folder: Path) -> list[Path]:
    """Rewrite the one part file of a finished sweep as two (as two sessions leave it)."""
    (part,) = (folder / "runs" / "parts").glob("*.parquet")
    table = pq.read_table(part)
    half = table.num_rows // 2
    layout = ResultsLayout(folder)
    paths = [layout.part_file("20250101000000", "0000000a"),
             layout.part_file("20250101000000", "0000000b")]
    write_table_atomic(table.slice(0, half), paths[0])
    write_table_atomic(table.slice(half), paths[1])
    part.unlink()
    return paths


@pytest.fixture
def reference(tmp_path: Path):
    run(tmp_path / "ref")
    return load_experiment(tmp_path / "ref" / "tiny")


def test_a_truncated_part_file_is_quarantined_and_its_runs_run_again(tmp_path: Path,
                                                                      reference) -> None:
    out = tmp_path / "out"
    run(out)
    folder = out / "tiny"
    bad_part = split_parts(folder)[0]
    lost = set(pq.read_table(bad_part, columns=["run_id"])["run_id"].to_pylist())
    truncate(bad_part)
    bad_series = sorted((folder / "series").glob("*.parquet"))[-1]
    truncate(bad_series)
    lost.add(bad_series.stem)
    single = folder / "runs" / "tf.p0001.r0003.parquet"  # a finished run's record, cut short
    pq.write_table(pa.table({"run_id": ["tf.p0001.r0003"]}), single)
    truncate(single)

    report = run(out, resume=True)
    assert report.status == "completed" and report.failed == 0
    note = next(n for n in report.notes if "cannot be read" in n)
    assert "runs/parts/part-20250101000000-0000000a.parquet (cannot be read)" in note
    assert "the runs they stood for run again" in note
    quarantined = sorted(p.relative_to(folder).parts[2:] for p in
                         (folder / "quarantine").rglob("*.parquet"))
    assert quarantined == sorted([("runs", "parts", "part-20250101000000-0000000a.parquet"),
                                  ("runs", single.name), ("series", bad_series.name)])
    assert report.ran_ok == len(lost) and report.skipped == 16 - len(lost)
    resumed = load_experiment(folder)
    assert not resumed.skipped
    pd.testing.assert_frame_equal(comparable(resumed.summary), comparable(reference.summary))
    pd.testing.assert_frame_equal(resumed.series, reference.series)


def test_report_works_on_what_is_readable_and_says_what_it_skipped(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run(tmp_path)
    folder = tmp_path / "tiny"
    bad = split_parts(folder)[1]
    truncate(bad)
    assert main(["report", str(folder)]) == 0
    captured = capsys.readouterr()
    assert f"dmzsim report: left out (cannot be read): {bad}" in captured.err
    assert "Traceback" not in captured.err
    assert (f"Left out: 1 result files that cannot be read or that dmzsim did not write: "
            f"`{bad.relative_to(folder)}` (cannot be read)") in (folder / "report.md").read_text()
    assert bad.exists()  # the report only reads; a resume sets the file aside


def drop_foreign_files(folder: Path) -> dict[str, str]:
    """Files no dmzsim wrote, dropped into a finished folder: relative path -> the reason
    a reader gives for leaving it out."""
    victim = folder.parent / "victim.parquet"
    pq.write_table(pa.table({"keep": ["me"]}), victim)
    runs, series = folder / "runs", folder / "series"
    # a readable Parquet file of another schema, under a name dmzsim does not give
    pq.write_table(pa.table({"run_id": [1, 2], "x": ["a", "b"]}), runs / "extra.parquet")
    # ... and under a run's name: the run's own record, replaced
    record = pq.read_table(next((runs / "parts").glob("*.parquet")))
    pq.write_table(record.slice(0, 1).set_column(
        record.schema.get_field_index("point"), "point", pa.array(["p0"])),
        runs / "tf.p0000.r0000.parquet")
    # a record whose run id is not its name
    assert record["run_id"][1].as_py() != "gf.p0001.r0003"
    pq.write_table(record.slice(1, 1), runs / "gf.p0001.r0003.parquet")
    # a series file of another schema, standing for a finished run's series
    pq.write_table(pa.table({"run_id": ["tf.p0001.r0001"], "x": [1.0]}),
                   series / "tf.p0001.r0001.parquet")
    os.mkfifo(runs / "pipe.parquet")
    (folder / "failures" / "tf.p0000.r0001.parquet").symlink_to(victim)
    (runs / "notes.txt").write_text("a note")
    return {"runs/extra.parquet": "not a name dmzsim gives a summary record",
            "runs/tf.p0000.r0000.parquet": "another schema: column 'point' is string, "
                                           "not an integer",
            "runs/gf.p0001.r0003.parquet": "holds run ids other than its name",
            "series/tf.p0001.r0001.parquet": "another schema: no column 'day'",
            "runs/pipe.parquet": "a FIFO, not a file dmzsim writes",
            "failures/tf.p0000.r0001.parquet": "a symbolic link, not a file dmzsim writes",
            "runs/notes.txt": "not a name dmzsim gives a summary record"}


def test_foreign_files_are_named_by_report_then_set_aside_by_resume(
        tmp_path: Path, reference, capsys: pytest.CaptureFixture) -> None:
    toml = tmp_path / "tiny.toml"
    toml.write_text(tomlout.dumps(CONFIG))
    argv = ["run", str(toml), "--out", str(tmp_path / "out"), "--serial", "--no-progress",
            "--simulate", "tests.fake_model:simulate"]
    assert main([*argv, "--no-report"]) == 0
    folder = tmp_path / "out" / "tiny"
    foreign = drop_foreign_files(folder)
    capsys.readouterr()

    # the report leaves them out, says why, and shows exactly the runs of a clean run
    assert main(["report", str(folder)]) == 0
    err = capsys.readouterr().err
    for rel, why in foreign.items():
        assert f"dmzsim report: left out ({why}" in err and str(folder / rel) in err, rel
    text = (folder / "report.md").read_text()
    assert all(f"`{rel}` ({why}" in text for rel, why in foreign.items())
    loaded = load_experiment(folder)
    pd.testing.assert_frame_equal(comparable(loaded.summary), comparable(reference.summary))
    assert set(loaded.failures["run_id"]) == set()
    assert (folder / "runs" / "pipe.parquet").exists()  # the report only reads

    # the resume sets them aside, names them, runs again the run whose series went, ends
    assert main([*argv, "--resume"]) == 0
    out = capsys.readouterr().out
    note = next(line for line in out.splitlines() if "dmzsim did not write" in line)
    assert note.startswith(f"{len(foreign)} result files that cannot be read or that dmzsim "
                           "did not write were moved to ")
    assert all(f"{rel} ({why}" in note for rel, why in foreign.items())
    assert "ok, 0 failed, 0 pending (this session ran 1 " in out  # the run without series
    (moved,) = (folder / "quarantine").iterdir()
    assert stat.S_ISFIFO((moved / "runs" / "pipe.parquet").lstat().st_mode)
    assert os.readlink(moved / "failures" / "tf.p0000.r0001.parquet") == str(
        tmp_path / "out" / "victim.parquet")
    assert pq.read_table(tmp_path / "out" / "victim.parquet").to_pylist() == [{"keep": "me"}]
    resumed = load_experiment(folder)
    assert resumed.left_out == {}
    pd.testing.assert_frame_equal(comparable(resumed.summary), comparable(reference.summary))
    pd.testing.assert_frame_equal(resumed.series, reference.series)
    session = json.loads((folder / "manifest.json").read_text())["sessions"][-1]
    assert session["status"] == "completed"


def test_a_resume_after_a_foreign_part_file_completes(tmp_path: Path, reference) -> None:
    """The case that used to leave the manifest running: a readable Parquet file of
    another schema with a part file's name, merged by compaction."""
    out = tmp_path / "out"
    run(out)
    folder = out / "tiny"
    foreign = ResultsLayout(folder).part_file("20250101000000", "deadbeef")
    pq.write_table(pa.table({"run_id": [1], "wall_s": ["slow"]}), foreign)
    report = run(out, resume=True)
    assert report.status == "completed" and report.ran_ok == 0
    assert any("runs/parts/part-20250101000000-deadbeef.parquet (another schema: column "
               "'run_id' is int64, not text)" in n for n in report.notes)
    assert not foreign.exists()
    pd.testing.assert_frame_equal(comparable(load_experiment(folder).summary),
                                  comparable(reference.summary))


# --- the config the runs were made with ---------------------------------------------------------
@pytest.mark.parametrize("name", ["sequencing", "dmz_design", "validation"])
def test_the_hash_of_a_saved_config_is_the_config_hash(name: str) -> None:
    for quick in (False, True):
        exp = experiment.load(ROOT / "runs" / f"{name}.toml", quick=quick)
        assert config_hash_of(tomllib.loads(exp.to_toml())) == exp.config_hash
    assert config_mismatch(ROOT / "runs" / "reference" / name) is None


def test_report_warns_when_experiment_toml_or_the_manifest_was_edited(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run(tmp_path)
    folder = tmp_path / "tiny"
    config, manifest = folder / "experiment.toml", folder / "manifest.json"
    assert main(["report", str(folder)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert "**Warning:**" not in (folder / "report.md").read_text()
    original = config.read_text(), manifest.read_text()

    config.write_text(original[0].replace("root_seed = 7", "root_seed = 8"))
    data = json.loads(original[1])
    edited_manifest = json.dumps({**data, "config_hash": "0" * 64})
    for edit in (lambda: None, lambda: (config.write_text(original[0]),
                                        manifest.write_text(edited_manifest))):
        edit()
        assert main(["report", str(folder)]) == 0  # a warning: the report is written
        err = capsys.readouterr().err
        line = (f"dmzsim report: warning: {config} is not the config the runs were made "
                "with: its hash is ")
        assert line in err and "(one of the two was changed after the runs)" in err, err
        assert err.count("warning") == 1 and "Traceback" not in err
        text = (folder / "report.md").read_text()
        assert f"**Warning:** {config} is not the config the runs were made with" in text
    assert load_experiment(folder).config_mismatch is not None
