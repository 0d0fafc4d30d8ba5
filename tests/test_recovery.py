"""Stores that recover: an unreadable result file is set aside by a resume, its runs run
again, and the folder ends as an uninterrupted run would have left it; the report works
on what can be read and says what it left out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dmzsim.analysis.loader import load_experiment
from dmzsim.common.files import write_table_atomic
from dmzsim.runs import experiment
from dmzsim.runs.cli import main
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec

from tests import fake_model
from tests.fake_model import comparable, tiny_config

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
    paths = [part.with_name("part-a.parquet"), part.with_name("part-b.parquet")]
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
    note = next(n for n in report.notes if "unreadable result files" in n)
    assert "runs/parts/part-a.parquet" in note and "their runs will run again" in note
    quarantined = sorted(p.relative_to(folder).parts[2:] for p in
                         (folder / "quarantine").rglob("*.parquet"))
    assert quarantined == sorted([("runs", "parts", "part-a.parquet"),
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
    assert f"skipped (cannot be read): {bad}" in captured.err
    assert "Traceback" not in captured.err
    assert "Left out: 1 result files that cannot be read" in (folder / "report.md").read_text()
    assert bad.exists()  # the report only reads; a resume sets the file aside
