"""The reference results of a published experiment: ``reference/<name>/`` next to its TOML.

For ``runs/sequencing.toml`` the folder is ``runs/reference/sequencing/``; which file in
it holds what is :class:`analysis.results_layout.ReferenceLayout`'s.

Everything here is written by ``dmzsim publish`` and compared by ``dmzsim verify``; it is
never edited by hand. A folder is replaced whole: it is written next to the old one and
swapped in at the end, so an interrupted publish leaves the old reference intact.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from dmzsim.analysis.headline import headline_markdown, headline_table
from dmzsim.analysis.loader import META, TIMING
from dmzsim.analysis.results_layout import ReferenceLayout
from dmzsim.analysis.robust_headline import KEY, robust_headline, robust_markdown
from dmzsim.analysis.robust_study import study_from
from dmzsim.common.files import write_parquet_atomic, write_text_atomic
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.design import build_design
from dmzsim.runs.experiment.robust import is_robust
from dmzsim.runs.sweep import param_types

ID_COLUMNS = [c for c in META if c != "status"]  # what names a run and its seed
NOT_OUTPUTS = {*META, *TIMING}


class PublishError(RuntimeError):
    """A reference cannot be written or read as asked (reported as bad input)."""


def run_frame(records: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Stored run records -> ids, seed and summary outputs, in arm, point, replicate order.

    The order is part of the reference: the headline's bootstrap resamples by position.
    """
    if "arm" not in records:  # no run at all
        return pd.DataFrame(columns=ID_COLUMNS)
    outputs = [c for c in records.columns if c not in NOT_OUTPUTS]
    rank = {a: i for i, a in enumerate(arms)}
    df = records.assign(_rank=records["arm"].map(rank).fillna(len(rank)))
    df = df.sort_values(["_rank", "arm", "point", "replicate"], kind="stable")
    return df[ID_COLUMNS + outputs].reset_index(drop=True)


def headline_of(runs: pd.DataFrame, horizon: float, arms: Sequence[str]) -> pd.DataFrame:
    """The headline table of ``runs`` (as ordered by :func:`run_frame`)."""
    return headline_table(runs, horizon, list(arms))


def read_headline(folder: Path) -> pd.DataFrame:
    """The headline table (:attr:`ReferenceLayout.headline`) with every digit as written."""
    path = ReferenceLayout(folder).headline
    return read_table(path, text=pd.read_csv(path, nrows=0).columns[:1])  # the arm


def read_table(path: Path, text: Collection[str] = ()) -> pd.DataFrame:
    """A table written by ``to_csv`` with every digit as written: the ``text`` columns
    as strings, whole-number columns as ints, the rest as floats.

    pandas writes floats as Python's shortest round-trip repr; they are read back with
    Python's own ``float`` (exact), not a fast CSV parser.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in raw.columns:
        if col in text:
            continue
        values = raw[col].tolist()
        if all(t.lstrip("-").isdigit() for t in values):
            raw[col] = [int(t) for t in values]
        else:
            raw[col] = [float(t) if t else math.nan for t in values]
    return raw


def robustness_of(exp: ExperimentConfig, runs: pd.DataFrame) -> pd.DataFrame | None:
    """The robustness table (:func:`analysis.robust_headline.robust_headline`) of a robust
    study's ``runs`` (as ordered by :func:`run_frame`), its worlds rebuilt from ``exp``
    as the runner builds them; None for an experiment without levers."""
    if not is_robust(exp.spec):
        return None
    worlds = build_design(exp.spec.design, param_types()).points
    return robust_headline(study_from(exp.resolved, runs, worlds))


def read_robustness(path: Path) -> pd.DataFrame:
    """The robustness table (:attr:`ReferenceLayout.robustness`) with every digit as
    written."""
    return read_table(path, text=(KEY, "rank_by", "policy"))


@dataclass(frozen=True)
class Reference:
    """A reference folder, read back."""

    folder: Path
    info: dict[str, Any]
    manifest: dict[str, Any]
    runs: pd.DataFrame
    headline: pd.DataFrame
    robustness: pd.DataFrame | None = None  # a robust-decision study's, else None

    @classmethod
    def load(cls, folder: Path, experiment_path: str | Path) -> Reference:
        """Read ``folder``; a missing one is an error saying how to create it."""
        ref = ReferenceLayout(folder)
        missing = [p.name for p in ref.required if not p.exists()]
        if missing:
            what = "no reference" if len(missing) == len(ref.required) else \
                f"an incomplete reference (missing {', '.join(missing)})"
            raise PublishError(f"{experiment_path} has {what} at {folder}/; create it "
                               f"with: dmzsim publish {experiment_path}")
        path = ref.info
        try:
            info = json.loads(path.read_text())
            path = ref.manifest
            manifest = json.loads(path.read_text())
            path = ref.runs
            runs = pd.read_parquet(path)
            path = ref.headline
            headline = read_headline(folder)
            path = ref.robustness
            robustness = read_robustness(path) if path.exists() else None
        except (OSError, ValueError, KeyError, pa.ArrowException) as err:
            raise PublishError(f"the reference file {path} cannot be read ({err}); "
                               f"restore it from git or publish it again") from None
        if not isinstance(info, dict) or not isinstance(manifest, dict):
            raise PublishError(f"the reference at {folder}/ is damaged: {ref.info.name} or "
                               f"{ref.manifest.name} is not a JSON object")
        return cls(folder, info, manifest, runs, headline, robustness)

    @property
    def arms(self) -> list[str]:
        return list(self.info["arms"])

    @property
    def horizon(self) -> float:
        return float(self.info["horizon_days"])

    @property
    def outputs(self) -> list[str]:
        return [c for c in self.runs.columns if c not in ID_COLUMNS]


def write_reference(folder: Path, *, info: dict[str, Any], runs: pd.DataFrame,
                    manifest: dict[str, Any], config_toml: str,
                    draw_figure: Callable[[Path], Any],
                    robustness: pd.DataFrame | None = None) -> Path:
    """Write a whole reference into ``folder`` (replacing any older one at the end).

    ``draw_figure(path)`` draws the key figure; ``info`` must hold ``horizon_days`` and
    ``arms``; ``robustness``: a robust study's table (:func:`robustness_of`).
    """
    ref = ReferenceLayout(folder)
    stage = ReferenceLayout(ref.staging)
    shutil.rmtree(stage.root, ignore_errors=True)
    stage.root.mkdir(parents=True)
    headline = headline_of(runs, float(info["horizon_days"]), info["arms"])
    write_parquet_atomic(runs, stage.runs)
    write_text_atomic(headline.to_csv(index=False, lineterminator="\n"), stage.headline)
    if robustness is not None:
        write_text_atomic(robustness.to_csv(index=False, lineterminator="\n"),
                          stage.robustness)
    write_text_atomic(_headline_page(info, headline, stage.figure.name, robustness),
                      stage.headline_page)
    write_text_atomic(json.dumps(_slim(manifest, stage.runs.name), indent=1, default=str)
                      + "\n", stage.manifest)
    write_text_atomic(config_toml, stage.config)
    write_text_atomic(json.dumps(info, indent=1) + "\n", stage.info)
    draw_figure(stage.figure)
    _swap_in(ref)
    return folder


def _slim(manifest: dict[str, Any], runs_file: str) -> dict[str, Any]:
    """The manifest without its per-run rows (``runs_file`` has each run and its seed)."""
    out = {k: v for k, v in manifest.items() if k != "runs"}
    out["runs_left_out"] = f"{len(manifest.get('runs') or [])} rows; see {runs_file}"
    return out


def _headline_page(info: dict[str, Any], headline: pd.DataFrame, figure: str,
                   robustness: pd.DataFrame | None = None) -> str:
    lines = [f"# `{info['experiment']}`: reference results", ""]
    if info.get("question"):
        lines += [str(info["question"]), ""]
    if info.get("description"):
        lines += [str(info["description"]), ""]
    lines += [f"{info['runs']:,} runs; config hash `{info['config_hash'][:12]}`; dmzsim "
              f"{info['versions'].get('dmzsim')}; git `{str(info['git'].get('commit'))[:10]}`"
              f"{' (uncommitted changes)' if info['git'].get('dirty') else ''}.", "",
              headline_markdown(headline, float(info["horizon_days"]))]
    if robustness is not None:
        lines += ["Pooled over the states of the world above; across them:", "",
                  robust_markdown(robustness, info.get("robustness"))]
    lines += [f"![key figure]({figure})", "",
              f"Written by `{info['command']}`; check with `dmzsim verify "
              f"{info['source']}` (add `--quick` for a subset). Do not edit by hand.", ""]
    return "\n".join(lines)


def _swap_in(ref: ReferenceLayout) -> None:
    """Replace the reference by its staging folder; the old one goes only once the new one
    is in."""
    folder, old = ref.root, ref.retiring
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    ref.staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
