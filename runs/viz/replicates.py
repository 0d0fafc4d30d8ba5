"""Replicates and export: the current settings as an experiment, run or written out.

Both buttons build the same experiment config from the page's settings
(:func:`experiment_config`): every model parameter spelled out under ``[base]``, the
page's seed as ``root_seed`` and N ``replicates``. "Export" writes it as TOML that
``dmzsim run`` accepts; "Run N replicates" hands it to the experiment runner itself
(:func:`runs.experiment.config.from_dict` and :func:`runs.sweep.run_experiment`, in worker
processes, results on disk under ``<out>/<name>/``), so the panel's P(resumption) is
exactly what ``dmzsim run`` on the exported file reports. The folder name is a hash of the
config: running the same settings again resumes that folder instead of recomputing it.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import solara
from dmzsim.analysis.estimators import CONFIDENCE, Interval, KaplanMeier, kaplan_meier, wilson
from dmzsim.analysis.results_layout import ResultsLayout
from dmzsim.model.params import Params
from dmzsim.runs import experiment
from dmzsim.runs.experiment import tomlout
from dmzsim.runs.experiment.schema import NAME_PATTERN, ExperimentError
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec
from dmzsim.runs.sweep.results import ResultsFolder
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SUMMARY_COLUMNS = ["replicate", "seed", "resumed", "day_resumed", "days_run"]
#: One default N for "run N replicates" and for the exported file: the page shares it.
DEFAULT_REPLICATES = 100
MAX_REPLICATES = 5000


# --- the experiment -----------------------------------------------------------------------------
def experiment_config(values: dict[str, Any], seed: int, replicates: int, *,
                      name: str | None = None, description: str = "",
                      map_path: str | Path | None = None) -> dict[str, Any]:
    """The page's settings as an experiment config (the dict a TOML file holds); the
    page's map file, if it has one, as the experiment's ``map`` (an absolute path), so
    the experiment is checked, run and hashed with the map the page shows."""
    base = Params.build(values).model_dump(mode="json")
    where = {} if map_path is None else {"map": str(Path(map_path).resolve())}
    if name is None:
        key = json.dumps([base, seed, replicates, *where.values()], sort_keys=True).encode()
        name = f"viz-{hashlib.sha256(key).hexdigest()[:10]}"
    return {"name": name,
            "description": description or f"dmzsim viz settings, {replicates} replicates",
            **where, "root_seed": int(seed), "replicates": int(replicates), "base": base}


def export_toml(values: dict[str, Any], seed: int, replicates: int, name: str,
                map_path: str | Path | None = None) -> str:
    """The experiment TOML text (on the page's map, if it has one); validated by the
    runner's own loader before it is returned."""
    config = experiment_config(values, seed, replicates, name=name, map_path=map_path)
    changed = {k: v for k, v in config["base"].items() if Params().model_dump()[k] != v}
    header = ["# Exported from the dmzsim visual run (dmzsim viz).",
              f"# Run it with: dmzsim run {name}.toml",
              "# Every model parameter is spelled out; changed from the defaults: "
              + (", ".join(f"{k} = {v!r}" for k, v in changed.items()) or "none") + "."]
    text = "\n".join(header) + "\n\n" + tomlout.dumps(config)
    experiment.from_dict(tomllib.loads(text), source=f"{name}.toml")
    return text


def write_export(text: str, path: str | Path) -> Path:
    """Write an exported experiment; refuses to overwrite a file that is not an export."""
    path = Path(path).expanduser()
    if path.suffix != ".toml":
        raise ValueError(f"export file must end in .toml: {path}")
    if path.exists() and not path.read_text().startswith("# Exported from the dmzsim"):
        raise ValueError(f"{path} exists and is not a dmzsim viz export; choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- running replicates -----------------------------------------------------------------------
@dataclass(frozen=True)
class ReplicateSummary:
    """What N replicates say: P(resumption) with its interval, and the survival curve."""

    n_ok: int
    n_failed: int
    resumed: int
    p: Interval
    km: KaplanMeier
    folder: Path
    wall_s: float
    runs: pd.DataFrame | None = None  # replicate, seed, resumed, day_resumed; by replicate

    def text(self) -> str:
        med = self.km.median()
        median = (f"median day {med.estimate:.0f}" if math.isfinite(med.estimate)
                  else f"median not reached by day {self.km.horizon:.0f}")
        failed = f"; {self.n_failed} failed" if self.n_failed else ""
        return (f"P(offensive resumes within {self.km.horizon:.0f} days) = "
                f"{self.p.fmt(2, CONFIDENCE)}: {self.resumed} of {self.n_ok} runs; "
                f"{median}{failed}")


def summarise(summaries: pd.DataFrame, horizon: int, folder: Path, n_failed: int = 0,
              wall_s: float = 0.0) -> ReplicateSummary:
    """P(resumption) (Wilson interval) and the Kaplan-Meier curve of time to resumption."""
    resumed = summaries["resumed"].to_numpy(dtype=bool)
    days = summaries["day_resumed"].to_numpy(dtype=float)
    ran = summaries["days_run"].to_numpy(dtype=float)
    time_ = np.where(resumed, days, ran)
    k, n = int(resumed.sum()), len(resumed)
    runs = None
    if {"replicate", "seed"} <= set(summaries.columns):
        runs = summaries[["replicate", "seed", "resumed", "day_resumed"]].sort_values(
            "replicate").reset_index(drop=True)
    return ReplicateSummary(n, n_failed, k, wilson(k, n, CONFIDENCE),
                            kaplan_meier(time_, resumed, horizon=float(horizon),
                                         conf=CONFIDENCE), folder, wall_s, runs)


def replicate_text(runs: pd.DataFrame, k: int) -> str:
    """What replicate ``k`` (counted from 1) did, and its seed."""
    row = runs.iloc[k - 1]
    outcome = (f"offensive resumed on day {row.day_resumed:.0f}" if row.resumed
               else "the ceasefire held to the horizon")
    return f"replicate {k} (seed {int(row.seed)}): {outcome}"


def default_workers() -> int:
    """Leave a core for the page itself."""
    return max(1, (os.cpu_count() or 2) - 1)


def run_replicates(values: dict[str, Any], seed: int, n: int, out: str | Path, *,
                   map_path: str | None = None, workers: int | None = None,
                   serial: bool = False,
                   on_progress: Callable[[int, int], None] | None = None) -> ReplicateSummary:
    """Run the settings ``n`` times through the experiment runner; summarise the runs."""
    exp = experiment.from_dict(experiment_config(values, seed, n, map_path=map_path or None),
                               source="dmzsim viz")
    spec = (ExecutorSpec(kind="serial") if serial
            else ExecutorSpec(kind="processes", workers=workers or default_workers()))
    folder = Path(out) / exp.name
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["report"] = run_experiment(exp, out, executor=spec, resume=True,
                                           progress=False,
                                           argv=["dmzsim", "viz"])
        except BaseException as err:
            box["error"] = err

    start = time.perf_counter()
    worker = threading.Thread(target=target, name="dmzsim-viz-replicates", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
        if on_progress is not None and ResultsLayout(folder).runs.exists():
            on_progress(len(ResultsFolder(folder).finished_ids()), n)
    if "error" in box:
        raise box["error"]
    report = box["report"]
    summaries = ResultsFolder(report.folder).summaries(SUMMARY_COLUMNS)
    return summarise(summaries, int(exp.resolved["horizon_days"]), report.folder,
                     report.failed, time.perf_counter() - start)


def survival_png(result: ReplicateSummary, dpi: int = 96) -> bytes:
    """The Kaplan-Meier curve of the ceasefire holding, with its 95% band; the key sits
    below the axes, where no curve runs."""
    fig = Figure(figsize=(6.4, 3.9), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    km = result.km
    t = np.append(km.time, km.horizon)
    ax.fill_between(t, np.append(km.lo, km.lo[-1]), np.append(km.hi, km.hi[-1]),
                    step="post", color="#92c5de", alpha=0.6, lw=0, label="95% band")
    ax.step(t, np.append(km.surv, km.surv[-1]), where="post", color="#2166ac", lw=1.5,
            label="Kaplan-Meier")
    ax.set_xlim(0, km.horizon)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("day", fontsize=9)
    ax.set_ylabel("P(no offensive yet)", fontsize=9)
    ax.set_title(f"Ceasefire survival, {result.n_ok} runs", fontsize=10, loc="left")
    ax.tick_params(labelsize=8)
    fig.legend(loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# --- components -----------------------------------------------------------------------------------
def parse_n(text: str, lo: int = 1) -> int | None:
    """N as typed: a whole number from ``lo`` to :data:`MAX_REPLICATES`, else None."""
    t = (text or "").strip()
    return int(t) if t.isdigit() and lo <= int(t) <= MAX_REPLICATES else None


@solara.component
def ReplicatesPanel(values: dict[str, Any], seed: int, map_path: str | None,  # noqa: N802
                    out: str, n_text: solara.Reactive[str] | None = None,
                    on_replay: Callable[[int], None] | None = None) -> None:
    """"Run N replicates": the current settings N times in the background; then P, the
    survival curve, and "replay replicate k" (its seed into the run on screen).

    ``n_text`` is the N the page shares with the export panel."""
    own = solara.use_reactive(str(DEFAULT_REPLICATES))
    n_box = n_text if n_text is not None else own
    progress = solara.use_reactive((0, 0))

    def job() -> ReplicateSummary:
        n = parse_n(n_box.value, 2)
        assert n is not None
        progress.set((0, n))
        return run_replicates(values, seed, n, out, map_path=map_path,
                              on_progress=lambda done, total: progress.set((done, total)))

    task = solara.lab.use_task(job, dependencies=None, raise_error=False)
    n = parse_n(n_box.value, 2)
    solara.InputText("replicates N", value=n_box, continuous_update=True,
                     error=False if n else f"a whole number from 2 to {MAX_REPLICATES}",
                     message=None if n else f"a whole number from 2 to {MAX_REPLICATES}")
    solara.Button(f"Run {n or 'N'} replicates", on_click=task, color="primary",
                  disabled=n is None or task.pending, classes=["dmz-replicates"])
    if task.pending:
        done, total = progress.value
        solara.ProgressLinear(value=100 * done / total if total else True)
        solara.Text(f"{done} of {total} runs finished (seeds from root seed {seed})")
    elif task.error:
        solara.Error(f"replicates failed: {task.exception}")
    elif task.finished and task.value is not None:
        ReplicateResult(task.value, on_replay)


@solara.component
def ReplicateResult(result: ReplicateSummary,  # noqa: N802
                    on_replay: Callable[[int], None] | None) -> None:
    """P(resumption) in a neutral box (an estimate, not a success), the survival curve,
    and the replay control."""
    k_text, set_k_text = solara.use_state("1")
    solara.v.Alert(children=[result.text()], outlined=True, color="grey darken-2",
                   class_="dmz-p-resumed", style_="font-size: 14px")
    solara.Image(survival_png(result), width="100%", classes=["dmz-survival"])
    solara.Text(f"{result.wall_s:.1f} s; results in {result.folder}",
                style={"font-size": "11px"})
    if result.runs is None or on_replay is None or result.runs.empty:
        return
    k = parse_n(k_text)
    k = k if k is not None and k <= len(result.runs) else None
    with solara.Row(style={"align-items": "center"}):
        solara.InputText("replicate k", value=k_text, on_value=set_k_text,
                         continuous_update=True,
                         error=False if k else f"1 to {len(result.runs)}")
        solara.Button(f"Replay replicate {k or 'k'}", disabled=k is None,
                      classes=["dmz-replay"],
                      on_click=lambda: on_replay(int(result.runs.iloc[k - 1].seed)))
    if k is not None:
        solara.Text(replicate_text(result.runs, k), classes=["dmz-replicate-k"],
                    style={"font-size": "12px"})


@solara.component
def ExportPanel(values: dict[str, Any], seed: int,  # noqa: N802
                n_text: solara.Reactive[str] | None = None,
                map_path: str | None = None) -> None:
    """"Export": the current settings as an experiment TOML that ``dmzsim run`` accepts;
    ``n_text`` is the N the page shares with the replicates panel."""
    own = solara.use_reactive(str(DEFAULT_REPLICATES))
    n_box = n_text if n_text is not None else own
    name, set_name = solara.use_state("my_scenario")
    message, set_message = solara.use_state(("", ""))
    valid_name = _name_ok(name)
    n = parse_n(n_box.value)
    text, problem = "", ""
    if valid_name and n:
        try:  # settings this map cannot run (e.g. an aims scenario it lacks) are said, not fatal
            text = export_toml(values, seed, n, name, map_path)
        except ExperimentError as err:
            problem = str(err)

    def save() -> None:
        try:
            path = write_export(text, Path(os.environ.get("DMZSIM_EXPORT_DIR", "."))
                                / f"{name}.toml")
        except (OSError, ValueError) as err:
            set_message(("error", str(err)))
            return
        set_message(("ok", f"wrote {path}; run it with: dmzsim run {path}"))

    solara.InputText("experiment name", value=name, on_value=set_name,
                     continuous_update=True,
                     error=False if valid_name else "letters, digits, _ + - only")
    solara.InputText("replicates N (in the file)", value=n_box, continuous_update=True,
                     error=False if n else f"a whole number from 1 to {MAX_REPLICATES}")
    with solara.Row():
        solara.Button("Export TOML", on_click=save, disabled=not text, color="primary",
                      classes=["dmz-export"])
        if text:
            solara.FileDownload(text, filename=f"{name}.toml", label="Download",
                                mime_type="application/toml")
    if problem:
        solara.Error(f"cannot export these settings: {problem}")
    kind, msg = message
    if kind == "ok":
        solara.Success(msg)
    elif kind == "error":
        solara.Error(msg)


def _name_ok(name: str) -> bool:
    """An experiment name the runner accepts (it becomes a folder name)."""
    return bool(re.match(NAME_PATTERN, name)) and len(name) <= 80
