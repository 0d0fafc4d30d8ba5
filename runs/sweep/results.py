"""The results folder of one experiment: the only code that writes it.

Which file is where is :class:`analysis.results_layout.ResultsLayout`'s; this class writes
the folder and keeps it consistent.

Rules that make crashes harmless:

* every file is written atomically (:mod:`dmzsim.common.files`): it exists whole or not at all;
* a run is *finished* iff its summary record exists; series are written before the
  summary, so a finished run always has its series;
* a chunk of runs (``runs.sweep.chunks``) is finished together: its records are one part
  file;
* ``compact`` merges per-run files and small part files into one part file *before*
  deleting them, so a crash in between leaves a run twice (identical rows; readers drop
  duplicates, and the next compaction removes them), never zero times;
* a folder is never deleted unasked: a new run moves an old one aside to ``<name>.prev``
  (and refuses if that is taken, unless ``replace`` says to remove it); a resume checks
  that the folder was made by the same config and model (the replicate count may grow);
* a file that cannot be read (a full disk, a copy cut short) is moved into
  ``quarantine/`` by the next resume, which runs its runs again (:mod:`.recovery`).

:mod:`analysis.loader` reads the folder (and only the files the layout names).
"""

from __future__ import annotations

import json
import shutil
import time
import tomllib
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dmzsim.analysis.results_layout import RECORD_SUFFIX, ResultsLayout, records
from dmzsim.common.files import (
    OutputError,
    check_writable_folder,
    copy_atomic,
    describe,
    write_parquet_atomic,
    write_record_atomic,
    write_table_atomic,
    write_text_atomic,
)
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.design import Design
from dmzsim.runs.experiment.seeds import run_seed
from dmzsim.runs.sweep import recovery
from dmzsim.runs.sweep.manifest import DEFAULT_SIMULATE
from dmzsim.runs.sweep.tasks import ArmPoint, run_id

# Config differences a resume accepts (when the replicate count grows): the count itself,
# and the [quick] table's, which --replicates drops.
REPLICATE_KEYS = ("replicates: ", "quick.replicates: ")


class ResultsError(RuntimeError):
    """The results folder cannot be used as asked (e.g. resume with another config)."""


class ResultsFolder:
    """Reads and writes one experiment's results folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.layout = ResultsLayout(self.folder)
        self._failed: set[str] | None = None  # ids with a failure record (lazily listed)
        self._last_part_us = 0  # when the last part file was named (``_new_part``)

    # --- setting up -----------------------------------------------------------------------
    def check(self, exp: ExperimentConfig, resume: bool, model: dict[str, Any],
              replace: bool = False) -> None:
        """Everything :meth:`prepare` would refuse, checked without changing anything: the
        folder is a folder, a resume is into results of the same config and model, and a
        fresh run into a folder with results has a free ``.prev`` to move them to (or
        ``replace`` to remove the one there)."""
        for path in (self.folder.parent, self.folder):
            what = describe(path, follow=True)
            if what not in (None, "a folder"):
                raise ResultsError(f"{path} is {what}, not a folder; choose another --out")
        if not (self.folder.exists() and self.has_results()):
            return
        if resume:
            self._check_same_config(exp)
            self._check_same_model(model)
        elif self.previous.exists() and not replace:
            raise ResultsError(
                f"{self.folder} holds results and {self.previous} the run before them; "
                f"--replace removes {self.previous} and moves {self.folder} there "
                "(or --resume continues it, or choose another --out)")

    def check_writable(self) -> None:
        """Refuse now a folder whose files could not be written: the folder (or the
        nearest folder above it that exists) and each of its record folders must take a
        new file. Changes nothing."""
        for folder in (self.folder, *self.layout.stores):
            if folder == self.folder or folder.is_dir():
                try:
                    check_writable_folder(folder)
                except OutputError as err:
                    raise ResultsError(f"{err}; choose another --out") from None

    def prepare(self, exp: ExperimentConfig, resume: bool,
                model: dict[str, Any] | None = None, replace: bool = False) -> list[str]:
        """Make the folder ready for ``exp``; never deletes results, except the older
        ``.prev`` when ``replace`` asks for it. Returns notes."""
        self.check(exp, resume, model or {}, replace)
        notes = []
        if self.folder.exists() and self.has_results():
            if resume:
                notes.append(f"resuming in {self.folder}")
                notes += self._growth_note(exp)
                notes += recovery.recover(self.folder)
            else:
                if self.previous.exists():
                    self._remove_previous()
                    notes.append(f"removed the older results in {self.previous} (--replace)")
                notes.append(f"earlier results moved to {self.archive()} (use --resume to "
                             "continue a sweep instead)")
        elif resume:
            notes.append(f"nothing to resume in {self.folder}; starting afresh")
        self.create()
        return notes

    def _growth_note(self, exp: ExperimentConfig) -> list[str]:
        old, new = self.saved_replicates(), exp.spec.replicates
        if not isinstance(old, int) or not isinstance(new, int) or new <= old:
            return []
        return [f"replicates {old} -> {new} per arm and design point: the runs on disk keep "
                "their seeds and are not run again; only the new replicates run"]

    def has_results(self) -> bool:
        """True if the folder holds anything a new run could overwrite."""
        return self.layout.manifest.exists() or any(self._run_files())

    @property
    def previous(self) -> Path:
        """Where a fresh run moves the folder's earlier results: ``<name>.prev``."""
        return self.layout.previous

    def archive(self) -> Path:
        """Move the folder aside to :attr:`previous` (which must be free) instead of
        deleting it."""
        if self.previous.exists():
            raise ResultsError(f"{self.previous} exists; it would be overwritten")
        self.folder.rename(self.previous)
        return self.previous

    def _remove_previous(self) -> None:
        """Delete :attr:`previous`: renamed first, so a crash midway leaves no half folder
        under that name, and held while it goes (nobody may be writing into it)."""
        from dmzsim.runs.sweep.lock import folder_lock  # lock imports this module

        with folder_lock(self.previous):
            doomed = self.layout.previous_removing(uuid.uuid4().hex[:8])
            self.previous.rename(doomed)
        if doomed.is_dir():
            shutil.rmtree(doomed)
        else:
            doomed.unlink()

    def create(self) -> None:
        """Make the folder tree and drop temporary files left by a killed writer."""
        for store in self.layout.stores:
            store.mkdir(parents=True, exist_ok=True)
            for tmp in store.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    def saved_manifest(self) -> dict[str, Any]:
        """The folder's manifest as a dict; a clear error if it cannot be read."""
        path = self.layout.manifest
        if not path.exists():
            raise ResultsError(f"{self.folder} holds runs but no {path.name}; cannot tell "
                               "which config made them, so it will not resume into it")
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise ResultsError(f"{path} cannot be read ({err}); move the folder aside or "
                               "run without --resume") from None
        if not isinstance(data, dict):
            raise ResultsError(f"{path} is not a manifest (not a JSON object)")
        return data

    def _check_same_config(self, exp: ExperimentConfig) -> None:
        """A resume must be into results of the same config, except that the replicate
        count may grow (seeds are indexed by replicate, so the runs on disk keep theirs
        and only the new replicates run)."""
        old_hash = self.saved_manifest().get("config_hash")
        if old_hash == exp.config_hash:
            return
        diffs = exp.changes_since(self.folder)
        if diffs and all(d.startswith(REPLICATE_KEYS) for d in diffs):
            self._check_more_replicates(exp)
            return
        raise ResultsError(
            f"{self.folder} was made with a different config (hash {str(old_hash)[:12]} vs "
            f"{exp.config_hash[:12]}); differences: {'; '.join(diffs[:8]) or 'unknown'}. "
            "Use another --out, or run without --resume to move the old results aside.")

    def _check_more_replicates(self, exp: ExperimentConfig) -> None:
        old, new = self.saved_replicates(), exp.spec.replicates
        if isinstance(old, int) and isinstance(new, int) and new >= old:
            return
        if not (isinstance(old, int) and isinstance(new, int)):
            raise ResultsError(
                f"{self.folder} has replicates = {old!r}, not {new!r}; --resume can only "
                "raise a fixed replicate count. Use another --out, or run without --resume.")
        raise ResultsError(
            f"{self.folder} is set up for {old} replicates per arm and design point; --resume "
            f"cannot go down to {new} (use --replicates {old} or more, or another --out)")

    def saved_replicates(self) -> int | str | None:
        """The replicate count of the config saved in the folder (None: none saved)."""
        saved = self.layout.config
        if not saved.exists():
            return None
        return tomllib.loads(saved.read_text()).get("replicates")

    def _check_same_model(self, model: dict[str, Any]) -> None:
        """The simulate function and dmzsim version must be those that made the folder (a
        folder from before they were recorded counts as made by the real model)."""
        old = self.saved_manifest().get("model") or {"simulate": DEFAULT_SIMULATE}
        diffs = [f"{k}: {old[k]} -> {model.get(k)}" for k in sorted(old)
                 if k in model and old[k] != model[k]]
        if diffs:
            raise ResultsError(
                f"{self.folder} was made by another model; differences: {'; '.join(diffs)}. "
                "Resume with the same --simulate and dmzsim version, use another --out, or "
                "run without --resume to move the old results aside.")

    def write_config(self, exp: ExperimentConfig, design: Design) -> None:
        """The resolved config and the design (and a copy of the experiment's map file, if
        it names one), written before any run."""
        write_text_atomic(exp.to_toml(), self.layout.config)
        if exp.map_file is not None:
            copy_atomic(exp.map_file, self.layout.map_copy)
        else:  # a copy left by an earlier experiment of this name would mislead the analysis
            self.layout.map_copy.unlink(missing_ok=True)
        write_text_atomic(json.dumps(design.to_json(), indent=1) + "\n", self.layout.design)
        points = design.points.copy()
        points.insert(0, "point", range(design.n_points))
        write_parquet_atomic(points, self.layout.design_points)
        if design.sample is not None:
            sample = pd.DataFrame(design.sample, columns=design.names)
            sample.insert(0, "point", range(design.n_points))
            write_parquet_atomic(sample, self.layout.design_sample)

    # --- writing runs ---------------------------------------------------------------------
    def write_ok(self, record: dict[str, Any], series: pd.DataFrame | None) -> None:
        """Record a finished run: series first, then the summary that marks it finished."""
        rid = record["run_id"]
        self._write_series(rid, series)
        write_record_atomic(record, self.layout.run_file(rid))
        self._clear_failures([rid])

    def _write_series(self, rid: str, series: pd.DataFrame | None) -> None:
        if series is not None:
            frame = series.copy()
            frame.insert(0, "run_id", rid)
            write_parquet_atomic(frame, self.layout.series_file(rid))

    def _clear_failures(self, ids: list[str]) -> None:
        """Remove the failure records of runs that failed before and now succeeded."""
        for rid in self._failed_ids() & set(ids):
            self.layout.failure_file(rid).unlink(missing_ok=True)
            self._failed_ids().discard(rid)

    def write_ok_chunk(self, runs: list[tuple[dict[str, Any], pd.DataFrame | None]]
                       ) -> None:
        """Record the finished runs of one chunk (``chunks``): each run's series, then
        one part file with all their summaries, which marks them finished together.

        One summary file (and one flush to disk) a chunk rather than a run: on a sweep of
        short runs, writing a file per run would cost more than the runs. (Series, when
        kept, are still a file per run.) Outputs whose values mix types within the chunk
        (a custom simulate function's) fall back to a file per run, as before chunks."""
        if len(runs) == 1:
            self.write_ok(*runs[0])
            return
        for record, series in runs:
            self._write_series(record["run_id"], series)
        rows = [record for record, _ in runs]
        names = list(dict.fromkeys(k for row in rows for k in row))
        try:
            table = pa.Table.from_pydict({k: [row.get(k) for row in rows] for k in names})
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            for record in rows:
                write_record_atomic(record, self.layout.run_file(record["run_id"]))
        else:
            write_table_atomic(table, self._new_part())
        self._clear_failures([row["run_id"] for row in rows])

    def _new_part(self) -> Path:
        """A part file named by the microsecond it was made, so parts sort in the order
        they were written (readers keep a run's last record)."""
        now = max(time.time_ns() // 1000, self._last_part_us + 1)
        self._last_part_us = now
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now // 1_000_000))
        return self.layout.part_file(f"{stamp}{now % 1_000_000:06d}", uuid.uuid4().hex[:8])

    def write_failure(self, record: dict[str, Any]) -> None:
        """Record a failed run (replacing an older failure of the same run)."""
        write_record_atomic(record, self.layout.failure_file(record["run_id"]))
        self._failed_ids().add(record["run_id"])

    def _failed_ids(self) -> set[str]:
        if self._failed is None:
            self._failed = {p.stem for p in records(self.layout.failures)}
        return self._failed

    # --- reading --------------------------------------------------------------------------
    def finished_ids(self, with_series: bool = False) -> set[str]:
        """Run ids with a summary record (and, if ``with_series``, a series file): the
        runs a resume skips."""
        ids = {p.stem for p in self._single_files()} | self._ids_in_parts()
        if with_series:
            ids &= {p.stem for p in records(self.layout.series)}
        return ids

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
        files = sorted(self.layout.failures.glob(f"*{RECORD_SUFFIX}"))
        if not files:
            return pd.DataFrame(columns=["run_id", "error_type", "message", "traceback"])
        return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)

    def run_table(self, exp: ExperimentConfig, planned: dict[ArmPoint, int]
                  ) -> list[dict[str, Any]]:
        """One row per planned run (plus any stored run not planned this session): its
        ids, seed, status and wall time, for the manifest."""
        ok = self.summaries(["wall_s", "worker"]).set_index("run_id")
        failed = self.failures().set_index("run_id")
        rows, seen = [], set()
        arm_order = {a: i for i, a in enumerate(exp.arm_names)}
        root = exp.spec.root_seed
        for (arm, point), n in sorted(planned.items(),
                                      key=lambda kv: (arm_order[kv[0][0]], kv[0][1])):
            for rep in range(n):
                rid = run_id(arm, point, rep)
                seen.add(rid)
                rows.append(_row(rid, arm, point, rep, root, ok, failed))
        for rid in sorted((set(ok.index) | set(failed.index)) - seen):
            arm, p, r = rid.rsplit(".", 2)
            rows.append(_row(rid, arm, int(p[1:]), int(r[1:]), root, ok, failed))
        return rows

    # --- housekeeping ---------------------------------------------------------------------
    def compact(self, max_rows: int = 20_000, small_part: int = 1_000) -> int:
        """Merge per-run summary files, and the small part files chunks leave, into part
        files of up to ``max_rows`` rows; returns how many files were merged.

        A run stays in one file only: a file whose runs are all in a part that is not
        being merged (left by a compaction killed before its clean-up, or a run written
        again) is removed, and such runs are dropped from what is merged."""
        parts = sorted(self._part_files())
        small = {p: self._ids_in([p]) for p in parts
                 if pq.read_metadata(p).num_rows < small_part}
        big_ids = self._ids_in(p for p in parts if p not in small)
        in_parts = big_ids.union(*small.values())
        singles = []
        for p in sorted(self._single_files()):
            if p.stem in in_parts:
                p.unlink(missing_ok=True)  # already in a part
            else:
                singles.append(p)
        kept, overlap = [], False
        for p, ids in small.items():
            if ids <= big_ids:
                p.unlink(missing_ok=True)
            else:
                kept.append(p)
                overlap |= bool(ids & big_ids)
        files = kept + singles if len(kept) > 1 or singles or overlap else []
        batch: list[Path] = []
        rows = 0
        for p in files:
            batch.append(p)
            rows += pq.read_metadata(p).num_rows
            if rows >= max_rows or p is files[-1]:
                self._merge(batch, big_ids)
                batch, rows = [], 0
        return len(files)

    def _merge(self, files: list[Path], elsewhere: set[str]) -> None:
        """One part file from ``files`` (each run once, its last record; none of the runs
        ``elsewhere``), then ``files`` removed: only after the part is safely in place, so
        a crash between leaves duplicates, which the next compaction removes."""
        table = pa.concat_tables([pq.read_table(p) for p in files],
                                 promote_options="permissive")
        ids = table.column("run_id").to_pylist()
        last = {rid: i for i, rid in enumerate(ids) if rid not in elsewhere}
        if len(last) < len(ids):
            table = table.take(sorted(last.values()))
        write_table_atomic(table, self._new_part())
        for p in files:
            p.unlink(missing_ok=True)

    @staticmethod
    def _ids_in(parts: Iterable[Path]) -> set[str]:
        ids: set[str] = set()
        for part in parts:
            ids.update(pq.read_table(part, columns=["run_id"]).column(0).to_pylist())
        return ids

    def _ids_in_parts(self) -> set[str]:
        return self._ids_in(self._part_files())

    def _run_files(self) -> list[Path]:
        return self._single_files() + self._part_files()

    def _single_files(self) -> list[Path]:
        return records(self.layout.runs)

    def _part_files(self) -> list[Path]:
        return records(self.layout.parts)


def _row(rid: str, arm: str, point: int, rep: int, root: int, ok: pd.DataFrame,
         failed: pd.DataFrame) -> dict[str, Any]:
    row = {"run_id": rid, "arm": arm, "point": point, "replicate": rep,
           "seed": run_seed(root, point, rep), "status": "pending", "wall_s": None}
    if rid in ok.index:
        row.update(status="ok", wall_s=round(float(ok.at[rid, "wall_s"]), 4))
    elif rid in failed.index:
        row.update(status="failed", error=str(failed.at[rid, "error_type"]))
    return row
