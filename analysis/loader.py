"""Open an experiment's output folder with one call: ``load_experiment(folder)``.

Reads only the files the runner writes (each named in :mod:`analysis.results_layout`;
``docs/experiments.md``, "Where results go", describes them), never the model or the
runner, so results stay readable whatever the code does next. A folder of a sweep that is
still running, or was killed, loads fine: it holds exactly the runs that finished. A result
file that cannot be read, or that dmzsim did not write (another name, another schema:
:mod:`analysis.result_files`), is left out and named, with why, in
``ExperimentResults.left_out``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dmzsim.analysis.provenance import config_mismatch_of
from dmzsim.analysis.result_files import (
    SchemaMerge,
    Store,
    records_of,
    rows_problem,
    schema_problem,
    stores,
    strays,
)
from dmzsim.analysis.results_layout import ResultsLayout

META = ["run_id", "arm", "point", "replicate", "seed", "status"]
TIMING = ["wall_s", "worker"]


@dataclass(frozen=True)
class DesignInfo:
    """The design the runs were made from: enough to compute Sobol or Morris indices.

    ``sample`` is the raw sampler matrix (rows in point order, log10 units for log-scale
    parameters) and ``problem`` the SALib problem; ``points`` holds the values the model
    received (integer parameters rounded).
    """

    method: str
    names: list[str]
    points: pd.DataFrame
    problem: dict[str, Any] | None = None
    sample: np.ndarray | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def outputs(self, summary: pd.DataFrame, column: str, arm: str | None = None,
                agg: str = "mean") -> np.ndarray:
        """``column`` aggregated over replicates, one value per point in point order.

        This is the ``Y`` SALib's analysers take together with ``sample``; e.g. with
        ``column="resumed"`` and ``agg="mean"``, P(resumption) at each design point.
        A point with no finished run gives NaN (SALib will then refuse, as it should).
        """
        df = summary if arm is None else summary[summary["arm"] == arm]
        per_point = df.groupby("point")[column].agg(agg)
        return per_point.reindex(range(len(self.points))).to_numpy(dtype=float)


@dataclass
class ExperimentResults:
    """One experiment's results; ``summary`` and ``series`` are read on first use."""

    folder: Path
    config: dict[str, Any]
    manifest: dict[str, Any]
    design: DesignInfo
    # result files left out, with why: they cannot be read, or dmzsim did not write them
    left_out: dict[Path, str] = field(default_factory=dict)

    @property
    def skipped(self) -> list[Path]:
        """The result files left out so far (those of the tables read), in the order met."""
        return list(self.left_out)

    @property
    def layout(self) -> ResultsLayout:
        """Where each file of the folder is."""
        return ResultsLayout(self.folder)

    @cached_property
    def config_mismatch(self) -> str | None:
        """A sentence when the folder's saved config is not the config whose hash
        its manifest recorded (one of them was edited after the runs), else None: then
        ``config`` may not be what the runs were made with."""
        return config_mismatch_of(self.config, self.manifest, self.folder)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per finished run: ids, seed, parameters that vary, summary fields."""
        df = self._read("summary")
        if df is None:
            return pd.DataFrame(columns=META)
        df = df.drop_duplicates("run_id", keep="last")
        df, params = self._add_parameters(df)
        return self._order(df, params)

    @cached_property
    def series(self) -> pd.DataFrame | None:
        """Per-day rows of every finished run (run_id, arm, point, replicate, ...), or None."""
        df = self._read("series")
        if df is None:
            return None
        finished = self.summary[["run_id", "arm", "point", "replicate"]]
        df = finished.merge(df, on="run_id", how="inner")
        return df.sort_values(["run_id", "day"], kind="stable").reset_index(drop=True)

    @cached_property
    def failures(self) -> pd.DataFrame:
        """One row per run whose last attempt failed: error type, message, traceback."""
        df = self._read("failure")
        if df is None:
            return pd.DataFrame(columns=[*META, "error_type", "message", "traceback"])
        return self._order(df)

    def _read(self, group: str) -> pd.DataFrame | None:
        """The rows of every record of ``group``'s folders; a file that cannot be read or
        is not the writer's is left out (and named in :attr:`left_out`)."""
        frames, merge = [], SchemaMerge()
        for store in stores(self.layout):
            if store.group != group:
                continue
            for path, why in strays(store, self.layout):
                self.left_out[path] = why
            for path in records_of(store, self.layout):
                frame, why = _read_record(path, store, merge)
                if why is None:
                    frames.append(frame)
                else:
                    self.left_out[path] = why
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else None

    @property
    def arms(self) -> list[str]:
        return list(self.config.get("arms", {}))

    @property
    def map_path(self) -> Path | None:
        """The copy of the experiment's map file in the folder, or None if the experiment
        names no map (its runs used the model's default map)."""
        return self.layout.map_copy if self.config.get("map") else None

    def _add_parameters(self, df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """Columns for the parameters the arms set and for the swept ones."""
        base, arms = self.config.get("base", {}), self.config.get("arms", {})
        arm_keys = sorted({k for overrides in arms.values() for k in overrides})
        for key in arm_keys:
            values = {a: arms[a].get(key, base.get(key)) for a in arms}
            df[key] = df["arm"].map(values)
        points = self.design.points
        if self.design.names:
            df = df.merge(points, on="point", how="left", validate="many_to_one")
        return df, [*arm_keys, *self.design.names]

    def _order(self, df: pd.DataFrame, params: Sequence[str] = ()) -> pd.DataFrame:
        rank = {a: i for i, a in enumerate(self.arms)}
        df = df.assign(_arm_rank=df["arm"].map(rank))
        df = df.sort_values(["_arm_rank", "point", "replicate"], kind="stable")
        df = df.drop(columns="_arm_rank").reset_index(drop=True)
        first = [c for c in [*META, *params] if c in df.columns]
        last = [c for c in TIMING if c in df.columns]
        middle = [c for c in df.columns if c not in first and c not in last]
        return df[first + middle + last]


class FolderReadError(ValueError):
    """A results folder whose config, manifest or design cannot be read."""


def load_experiment(folder: str | Path) -> ExperimentResults:
    """Open ``<out>/<experiment>/`` as written by ``dmzsim run``.

    Result files that cannot be read are left out and listed in ``skipped`` (a resume
    sets them aside and runs their runs again); a folder whose config, manifest or design
    cannot be read raises :class:`FolderReadError` naming the file.
    """
    folder = Path(folder)
    layout = ResultsLayout(folder)
    if not folder.is_dir():
        raise FolderReadError(f"{folder} is not a folder")
    if not layout.config.exists():
        raise FolderReadError(f"{folder} is not an experiment folder "
                              f"(no {layout.config.name})")
    config = _read(layout.config, lambda p: tomllib.loads(p.read_text()))
    manifest = (_read(layout.manifest, lambda p: json.loads(p.read_text()))
                if layout.manifest.exists() else {})
    design = _read(layout.design, lambda _: _load_design(layout))
    return ExperimentResults(folder, config, manifest, design)


def _read(path: Path, how: Callable[[Path], Any]) -> Any:
    try:
        return how(path)
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as err:
        raise FolderReadError(f"{path} cannot be read: {err}") from None


def _load_design(layout: ResultsLayout) -> DesignInfo:
    info = json.loads(layout.design.read_text())
    points = pd.read_parquet(layout.design_points)
    sample = None
    if layout.design_sample.exists():
        raw = pd.read_parquet(layout.design_sample)
        sample = raw[info["names"]].to_numpy(dtype=float)
    return DesignInfo(info["method"], info["names"], points, info.get("problem"), sample,
                      info.get("settings") or {})


def _read_record(path: Path, store: Store, merge: SchemaMerge
                 ) -> tuple[pd.DataFrame | None, str | None]:
    """A record file's rows, or why it is left out: it cannot be read, or its schema or
    its run ids are not what the writer writes (:mod:`analysis.result_files`)."""
    try:
        schema = pq.read_schema(path)
        why = schema_problem(schema, store)
        frame = None if why is not None else pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException):
        return None, "cannot be read"
    if frame is not None:
        ids = {c: frame[c].tolist() for c in ("run_id", "arm", "point", "replicate")
               if c in store.columns}
        why = rows_problem(ids, store, path) or merge.add(schema)
    return (frame, None) if why is None else (None, why)
