"""The on-disk results of one experiment: written run by run, never lost, resumable.

Layout of ``<out>/<experiment>/``::

    experiment.toml     resolved config (every model parameter spelled out)
    manifest.json       versions, git commit, config hash, seeds, status, timings
    design.json         design method, settings and SALib problem
    design.parquet      one row per design point: point + applied parameter values
    design_sample.parquet  raw sampler matrix (lhs/sobol/morris), for SALib analysers
    runs/               summary records: <run_id>.parquet, one per finished run ...
    runs/parts/         ... merged into part-*.parquet files at the end of a session
    series/             per-day series, <run_id>.parquet (only if outputs.series_every)
    failures/           one record per failed run: error, message, traceback

Rules that make crashes harmless:

* every file is written to a hidden temporary name, flushed to disk, then renamed over
  its final name (``os.replace`` is atomic), so a file either exists whole or not at all;
* a run is *finished* iff its summary record exists; series are written before the
  summary, so a finished run always has its series;
* ``compact`` merges per-run files into one part file *before* deleting them, so a crash
  in between leaves a run twice (identical rows; readers drop duplicates), never zero times.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

RUNS, SERIES, FAILURES = "runs", "series", "failures"
PARTS = "runs/parts"


class StoreError(RuntimeError):
    """The output folder cannot be used as asked (e.g. resume with another config)."""


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` so that ``path`` is either absent or complete."""
    write_table_atomic(pa.Table.from_pandas(df, preserve_index=False), path)


def write_record_atomic(record: dict[str, Any], path: Path) -> None:
    """One-row file from a dict; skips pandas, which costs more than the write itself."""
    write_table_atomic(pa.Table.from_pylist([record]), path)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Temporary name, flush to disk, then rename: readers never see a partial file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_text_atomic(text: str, path: Path) -> None:
    """Text-file counterpart of :func:`write_parquet_atomic`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Store:
    """Reads and writes one experiment's output folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._failed: set[str] | None = None  # ids with a failure record (lazily listed)

    # --- setting up -----------------------------------------------------------------------
    def has_results(self) -> bool:
        """True if the folder holds anything a new run could overwrite."""
        return (self.folder / "manifest.json").exists() or any(self._run_files())

    def archive(self) -> Path:
        """Move an existing folder aside (``<name>.prev-<time>``) instead of deleting it."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.folder.with_name(f"{self.folder.name}.prev-{stamp}")
        n = 1
        while target.exists():
            target = self.folder.with_name(f"{self.folder.name}.prev-{stamp}-{n}")
            n += 1
        self.folder.rename(target)
        return target

    def create(self) -> None:
        """Make the folder tree and drop temporary files left by a killed writer."""
        for sub in (RUNS, PARTS, SERIES, FAILURES):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
            for tmp in (self.folder / sub).glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    # --- writing runs ---------------------------------------------------------------------
    def write_ok(self, record: dict[str, Any], series: pd.DataFrame | None) -> None:
        """Record a finished run: series first, then the summary that marks it finished."""
        run_id = record["run_id"]
        if series is not None:
            frame = series.copy()
            frame.insert(0, "run_id", run_id)
            write_parquet_atomic(frame, self.folder / SERIES / f"{run_id}.parquet")
        write_record_atomic(record, self.folder / RUNS / f"{run_id}.parquet")
        if run_id in self._failed_ids():  # it failed before and now succeeded
            (self.folder / FAILURES / f"{run_id}.parquet").unlink(missing_ok=True)
            self._failed_ids().discard(run_id)

    def write_failure(self, record: dict[str, Any]) -> None:
        """Record a failed run (replacing an older failure of the same run)."""
        path = self.folder / FAILURES / f"{record['run_id']}.parquet"
        write_record_atomic(record, path)
        self._failed_ids().add(record["run_id"])

    def _failed_ids(self) -> set[str]:
        if self._failed is None:
            self._failed = {p.stem for p in (self.folder / FAILURES).glob("[!.]*.parquet")}
        return self._failed

    # --- reading --------------------------------------------------------------------------
    def finished_ids(self) -> set[str]:
        """Run ids with a summary record: the runs a resume skips."""
        return {p.stem for p in self._single_files()} | self._ids_in_parts()

    def summaries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """All summary records (duplicates from an interrupted compaction dropped)."""
        cols = None if columns is None else list(dict.fromkeys(["run_id", *columns]))
        files = sorted(self._part_files()) + sorted(self._single_files())
        frames = [pd.read_parquet(p, columns=cols) for p in files]
        if not frames:
            return pd.DataFrame(columns=cols or ["run_id"])
        df = pd.concat(frames, ignore_index=True)
        return df.drop_duplicates("run_id", keep="last").reset_index(drop=True)

    def failures(self) -> pd.DataFrame:
        """All failure records."""
        files = sorted((self.folder / FAILURES).glob("*.parquet"))
        if not files:
            return pd.DataFrame(columns=["run_id", "error_type", "message", "traceback"])
        return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)

    # --- housekeeping ---------------------------------------------------------------------
    def compact(self, max_rows: int = 20_000) -> int:
        """Merge per-run summary files into part files; returns how many were merged."""
        in_parts = self._ids_in_parts()
        singles = []
        for p in sorted(self._single_files()):
            if p.stem in in_parts:  # left by a compaction killed before its cleanup
                p.unlink(missing_ok=True)
            else:
                singles.append(p)
        for start in range(0, len(singles), max_rows):
            chunk = singles[start:start + max_rows]
            table = pa.concat_tables([pq.read_table(p) for p in chunk],
                                     promote_options="permissive")
            name = f"part-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}.parquet"
            write_table_atomic(table, self.folder / PARTS / name)
            for p in chunk:  # only after the part file is safely in place
                p.unlink(missing_ok=True)
        return len(singles)

    def _ids_in_parts(self) -> set[str]:
        ids: set[str] = set()
        for part in self._part_files():
            ids.update(pq.read_table(part, columns=["run_id"]).column(0).to_pylist())
        return ids

    def _run_files(self) -> list[Path]:
        return self._single_files() + self._part_files()

    def _single_files(self) -> list[Path]:
        return list((self.folder / RUNS).glob("[!.]*.parquet"))

    def _part_files(self) -> list[Path]:
        return list((self.folder / PARTS).glob("[!.]*.parquet"))
