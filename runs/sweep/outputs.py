"""The output folder around the run records: config, design, manifest rows, final report."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from dmzsim.analysis.loader import MAP_COPY  # the map file copied so analysis reads the folder only
from dmzsim.runs.experiment.config import Experiment
from dmzsim.runs.experiment.design import Design
from dmzsim.runs.sweep.store import Store, StoreError, write_parquet_atomic, write_text_atomic

SEED_SCHEME = ("seed = 63-bit int from numpy SeedSequence(entropy=root_seed, "
               "spawn_key=(point, replicate)); the arm is not an input (common random "
               "numbers across arms)")


def prepare_folder(store: Store, exp: Experiment, resume: bool) -> list[str]:
    """Make the folder ready; never deletes results. Returns notes for the user."""
    notes = []
    if store.folder.exists() and store.has_results():
        if resume:
            _check_same_config(store, exp)
            notes.append(f"resuming in {store.folder}")
        else:
            notes.append(f"earlier results moved to {store.archive()} (use --resume to "
                         "continue a sweep instead)")
    elif resume:
        notes.append(f"nothing to resume in {store.folder}; starting afresh")
    store.create()
    return notes


def _check_same_config(store: Store, exp: Experiment) -> None:
    manifest = store.folder / "manifest.json"
    if not manifest.exists():
        raise StoreError(f"{store.folder} holds runs but no manifest.json; cannot tell "
                         "which config made them, so it will not resume into it")
    old_hash = json.loads(manifest.read_text()).get("config_hash")
    if old_hash == exp.config_hash:
        return
    diffs = config_diff(store.folder, exp)
    raise StoreError(
        f"{store.folder} was made with a different config (hash {str(old_hash)[:12]} vs "
        f"{exp.config_hash[:12]}); differences: {'; '.join(diffs[:8]) or 'unknown'}. "
        "Use another --out, or run without --resume to move the old results aside.")


def config_diff(folder: Path, exp: Experiment) -> list[str]:
    """How ``exp``'s resolved config differs from the one saved in ``folder`` (a results
    or reference folder; nothing saved counts as an empty config)."""
    saved = folder / "experiment.toml"
    return dict_diff(tomllib.loads(saved.read_text()) if saved.exists() else {},
                     exp.resolved)


def dict_diff(old: Any, new: Any, path: str = "") -> list[str]:
    """Key paths whose values differ between two nested dicts, as 'path: old -> new'."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += dict_diff(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


def write_config(folder: Path, exp: Experiment, design: Design) -> None:
    """The resolved config and the design (and a copy of the experiment's map file, if it
    names one), written before any run."""
    write_text_atomic(exp.to_toml(), folder / "experiment.toml")
    if exp.map_file is not None:
        tmp = folder / f".{MAP_COPY}.tmp"
        shutil.copyfile(exp.map_file, tmp)  # byte for byte: the copy has the same sha256
        tmp.replace(folder / MAP_COPY)
    else:  # a copy left by an earlier experiment of this name would mislead the analysis
        (folder / MAP_COPY).unlink(missing_ok=True)
    write_text_atomic(json.dumps(design.to_json(), indent=1) + "\n", folder / "design.json")
    points = design.points.copy()
    points.insert(0, "point", range(design.n_points))
    write_parquet_atomic(points, folder / "design.parquet")
    if design.sample is not None:
        sample = pd.DataFrame(design.sample, columns=design.names)
        sample.insert(0, "point", range(design.n_points))
        write_parquet_atomic(sample, folder / "design_sample.parquet")


def manifest_header(exp: Experiment, design: Design) -> dict[str, Any]:
    """The parts of the manifest fixed when the folder is created."""
    from dmzsim.runs.sweep.manifest import environment, git_info

    header = {"experiment": exp.name, "description": exp.spec.description,
              "source": exp.source, "config_hash": exp.config_hash,
              "root_seed": exp.spec.root_seed, "seed_scheme": SEED_SCHEME,
              "arms": exp.arm_names, "design": design.to_json(),
              "replicates": exp.spec.replicates, "environment": environment(),
              "git": git_info()}
    if exp.map_file is not None:
        header["map"] = {"file": exp.spec.map, "path": str(exp.map_file),
                         "sha256": exp.spec.map_sha256}
    return header


def run_table(exp: Experiment, planned: dict[tuple[str, int], int], store: Store,
              make_id: Callable[[str, int, int], str]) -> list[dict[str, Any]]:
    """One row per planned run (plus any stored run not planned this session)."""
    ok = store.summaries(["wall_s", "worker"]).set_index("run_id")
    failed = store.failures().set_index("run_id")
    rows, seen = [], set()
    arm_order = {a: i for i, a in enumerate(exp.arm_names)}
    for (arm, point), n in sorted(planned.items(), key=lambda kv: (arm_order[kv[0][0]],
                                                                    kv[0][1])):
        for rep in range(n):
            rid = make_id(arm, point, rep)
            seen.add(rid)
            rows.append(_row(rid, arm, point, rep, exp.spec.root_seed, ok, failed))
    for rid in sorted((set(ok.index) | set(failed.index)) - seen):
        arm, p, r = rid.rsplit(".", 2)
        rows.append(_row(rid, arm, int(p[1:]), int(r[1:]), exp.spec.root_seed, ok, failed))
    return rows


def _row(rid: str, arm: str, point: int, rep: int, root: int, ok: pd.DataFrame,
         failed: pd.DataFrame) -> dict[str, Any]:
    from dmzsim.runs.experiment.seeds import run_seed

    row = {"run_id": rid, "arm": arm, "point": point, "replicate": rep,
           "seed": run_seed(root, point, rep), "status": "pending", "wall_s": None}
    if rid in ok.index:
        row.update(status="ok", wall_s=round(float(ok.at[rid, "wall_s"]), 4))
    elif rid in failed.index:
        row.update(status="failed", error=str(failed.at[rid, "error_type"]))
    return row


@dataclass
class SweepReport:
    """What a session did, for the final summary line and the exit status."""

    folder: Path
    status: str
    planned: int
    ok: int
    failed: int
    pending: int
    ran_ok: int
    ran_failed: int
    skipped: int
    pool_restarts: int
    wall_s: float
    notes: list[str] = field(default_factory=list)
    error_types: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, folder: Path, status: str, runs: list[dict[str, Any]], sweep: Any,
              notes: list[str], wall_s: float) -> SweepReport:
        statuses = [r["status"] for r in runs]
        errors: dict[str, int] = {}
        for r in runs:
            if r["status"] == "failed":
                errors[r["error"]] = errors.get(r["error"], 0) + 1
        return cls(folder, status, len(runs), statuses.count("ok"), statuses.count("failed"),
                   statuses.count("pending"), sweep.ran_ok, sweep.ran_failed, sweep.skipped,
                   sweep.pool_restarts, wall_s, notes, errors)

    def counts(self) -> dict[str, Any]:
        keys = ("planned", "ok", "failed", "pending", "ran_ok", "ran_failed", "skipped",
                "pool_restarts")
        return {k: getattr(self, k) for k in keys}

    @property
    def exit_code(self) -> int:
        """0 all ok; 1 some runs failed or the sweep aborted; 130 interrupted."""
        if self.status == "interrupted":
            return 130
        return 0 if self.status == "completed" and self.failed == 0 else 1
