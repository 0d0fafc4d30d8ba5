"""Publish an experiment: run it (or take a finished results folder) and write its reference.

The reference (:mod:`runs.publish.reference`) is only ever written from a results folder
that provably belongs to the experiment file as it is now: the same config hash, every
planned run finished without failure, and one set of key versions across all sessions.
Anything else would make ``dmzsim verify`` compare against numbers that no command
produces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.report.key_figure import key_figure
from dmzsim.analysis.results_layout import ReferenceLayout, ResultsLayout
from dmzsim.runs import experiment
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.published import locate
from dmzsim.runs.experiment.robust import is_robust
from dmzsim.runs.publish.reference import (
    ID_COLUMNS,
    PublishError,
    robustness_of,
    run_frame,
    write_reference,
)
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec
from dmzsim.runs.sweep.manifest import key_versions
from dmzsim.runs.sweep.results import ResultsFolder
from dmzsim.runs.sweep.worker import load_simulate


@dataclass
class Published:
    """What :func:`publish` wrote, and what the user should know about it."""

    folder: Path
    results: Path
    runs: int
    notes: list[str] = field(default_factory=list)


def publish(experiment_path: str | Path, *, results: str | Path | None = None,
            out: str | Path = "results", executor: ExecutorSpec | None = None,
            resume: bool = False, simulate: str | None = None, progress: bool = True,
            argv: list[str] | None = None, replace: bool = False) -> Published:
    """Write ``reference/<name>/`` next to ``experiment_path``.

    Without ``results`` the full experiment is run first (into ``<out>/<name>/``, through
    the experiment runner); ``simulate`` is a ``MODULE:FUNCTION`` spec, recorded in the
    reference so that ``dmzsim verify`` re-runs with the same function.
    """
    experiment_path = locate(experiment_path)
    exp = experiment.load(experiment_path)
    if results is None:
        report = run_experiment(exp, out, executor=executor, resume=resume,
                                simulate=load_simulate(simulate), progress=progress,
                                argv=argv, replace=replace)
        if report.status != "completed" or report.failed or report.pending:
            raise PublishError(
                f"{exp.name}: the sweep ended {report.status} with {report.failed} failed "
                f"and {report.pending} pending runs; nothing published. Fix it, finish it "
                f"with `dmzsim run {experiment_path} --resume`, then `dmzsim publish "
                f"{experiment_path} --from {report.folder}`.")
        results = report.folder
    results = Path(results)
    manifest = check_results(results, exp)
    return _write(experiment_path, exp, results, manifest, simulate)


def check_results(folder: Path, exp: ExperimentConfig) -> dict[str, Any]:
    """The folder's manifest, if the folder is a complete, clean run of ``exp``."""
    path = ResultsLayout(folder).manifest
    if not path.exists():
        raise PublishError(f"{folder} is not a results folder (no {path.name})")
    manifest = json.loads(path.read_text())
    if manifest.get("experiment") != exp.name:
        raise PublishError(f"{folder} holds results of experiment "
                           f"{manifest.get('experiment')!r}, not {exp.name!r}")
    if manifest.get("config_hash") != exp.config_hash:
        diffs = exp.changes_since(folder)
        raise PublishError(
            f"{folder} was made with another config than {exp.source} is now; "
            f"differences: {'; '.join(diffs[:8]) or 'unknown'}. Run the experiment again "
            "(dmzsim publish without --from does).")
    _check_complete(folder, manifest)
    _check_one_version(folder, manifest)
    return manifest


def _check_complete(folder: Path, manifest: dict[str, Any]) -> None:
    sessions = manifest.get("sessions") or [{}]
    counts = manifest.get("counts") or {}
    last = sessions[-1].get("status")
    if last != "completed" or counts.get("failed") or counts.get("pending"):
        raise PublishError(
            f"{folder} is not a complete, clean sweep (last session {last}; "
            f"{counts.get('failed', '?')} failed, {counts.get('pending', '?')} pending "
            "runs); finish it with dmzsim run --resume first")


def _check_one_version(folder: Path, manifest: dict[str, Any]) -> None:
    """Runs made by different versions are no single, reproducible reference."""
    envs = [manifest.get("environment") or {}]
    envs += [s.get("environment") or {} for s in manifest.get("sessions") or []]
    seen = {json.dumps(key_versions(e), sort_keys=True) for e in envs if e}
    if len(seen) > 1:
        raise PublishError(f"{folder} was made by sessions with different versions "
                           f"({' / '.join(sorted(seen))}); re-run it in one environment")


def _write(path: Path, exp: ExperimentConfig, results: Path,
           manifest: dict[str, Any], simulate: str | None) -> Published:
    loaded = load_experiment(results)
    runs = run_frame(ResultsFolder(results).summaries(), exp.arm_names)
    info = reference_info(path, exp, manifest, runs, simulate)
    folder = write_reference(ReferenceLayout.beside(path, exp.name).root, info=info, runs=runs,
                             manifest=manifest,
                             config_toml=loaded.layout.config.read_text(),
                             draw_figure=lambda p: key_figure(loaded, p),
                             robustness=robustness_of(exp, runs))
    notes = []
    if (manifest.get("git") or {}).get("dirty"):
        notes.append("note: the runs were made from a working tree with uncommitted "
                     "changes; commit the code, then publish again, so the reference "
                     "names a commit that produces it")
    return Published(folder, results, len(runs), notes)


def reference_info(path: Path, exp: ExperimentConfig, manifest: dict[str, Any],
                   runs: Any, simulate: str | None) -> dict[str, Any]:
    """The reference's index (:attr:`ReferenceLayout.info`): what was published, from
    which config and code, and how."""
    git = manifest.get("git") or {}
    robust = {"robustness": exp.resolved.get("robustness", {})} if is_robust(exp.spec) else {}
    return {
        "experiment": exp.name, "source": path.as_posix(),
        "question": exp.spec.question, "description": exp.spec.description,
        "config_hash": exp.config_hash, "root_seed": exp.spec.root_seed,
        "horizon_days": exp.resolved["horizon_days"], "arms": exp.arm_names,
        "baseline_arm": exp.spec.baseline_arm, "design_method": exp.spec.design.method,
        "runs": len(runs), "outputs": [c for c in runs.columns if c not in ID_COLUMNS],
        "simulate": simulate,
        "versions": key_versions(manifest.get("environment") or {}),
        "git": {"commit": git.get("commit"), "dirty": git.get("dirty")},
        "command": f"dmzsim publish {path.as_posix()}",
        **robust,  # a robust study's thresholds, rankings and percentile
    }
