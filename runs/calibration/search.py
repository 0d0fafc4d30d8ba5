"""The search: Optuna proposes parameter sets, each trial is a small experiment.

Each trial is the calibration's experiment with the trial's parameters in its ``base``,
run through the ordinary runner and executors into its own results folder inside the
calibration's (:class:`analysis.results_layout.CalibrationLayout`) and scored by its
targets (:mod:`analysis.targets`): the objective is the sum, over targets, of how far the
value lies outside its range, in units of the range's width. Every trial
uses the experiment's seeds, so trials differ by their parameters only (common random
numbers), and the search is reproducible: trial k's sampler is seeded from the
calibration's seed and k, and sees the k finished trials before it.

Optuna's journal storage (in the calibration's folder) is appended as each trial ends, so a
killed calibration resumes where it stopped: finished trials are kept, a trial that was
running is marked failed and asked again (the same parameters, since its sampler sees the
same history), and its runs resume from the runner's own store.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from dmzsim.analysis.loader import load_experiment
from dmzsim.analysis.results_layout import CalibrationLayout
from dmzsim.analysis.target_spec import TargetSpec
from dmzsim.analysis.targets import TargetResult, evaluate
from dmzsim.common.signals import Interrupted
from dmzsim.runs.calibration.spec import Calibration, CalibrationError, trial_experiment
from dmzsim.runs.sweep import run_experiment
from dmzsim.runs.sweep.executors import ExecutorSpec
from tqdm import tqdm

MISSED = 1e6  # a target with no value (no runs, or NaN) counts as this far off


def _optuna() -> Any:
    try:
        import optuna
    except ImportError as err:
        raise CalibrationError("dmzsim calibrate needs Optuna: pip install "
                               "'dmzsim[calibrate]'") from err
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def scale(spec: TargetSpec) -> float:
    """The unit a target's distance is counted in: its range's width, else the bound's
    size, never less than its tolerance."""
    if spec.low is not None and spec.high is not None and spec.high > spec.low:
        width = spec.high - spec.low
    else:
        width = abs(spec.low if spec.low is not None else spec.high or 0.0)
    return max(width, spec.tolerance, 1e-6)


def objective(results: Sequence[TargetResult]) -> float:
    """Sum of the targets' distances outside their ranges, each in its own unit."""
    total = 0.0
    for r in results:
        d = r.distance
        total += MISSED if not math.isfinite(d) else d / scale(r.spec)
    return total


def run_trial(cal: Calibration, params: dict[str, float], k: int, folder: Path,
              executor: ExecutorSpec | None) -> list[TargetResult]:
    """Run trial ``k`` (resuming its runs if it was cut short) and score its targets."""
    exp = trial_experiment(cal, params, k)
    out = CalibrationLayout(folder).trials
    report = run_experiment(exp, out, executor=executor, resume=(out / exp.name).exists(),
                            progress=False, argv=[])
    if report.status == "interrupted":  # the signal's own exit status (130, 143, 129)
        raise Interrupted(report.signum or signal.SIGINT)
    if report.status != "completed" or report.pending:
        raise CalibrationError(f"trial {k}: the runs ended {report.status}; see "
                               f"{report.folder}")
    runs = load_experiment(report.folder).summary
    horizon = float(exp.base_params()["horizon_days"])
    return evaluate(exp.spec.targets, runs, horizon)


def _open_study(cal: Calibration, folder: Path) -> Any:
    """The calibration's study in its folder: new, or as a killed run left it."""
    optuna = _optuna()
    layout = CalibrationLayout(folder)
    copy = layout.spec_copy
    text = cal.source.read_text(encoding="utf-8")
    if copy.exists() and copy.read_text(encoding="utf-8") != text:
        raise CalibrationError(f"{folder} holds a calibration from another file (its "
                               f"{copy.name} differs from {cal.source}); use another --out")
    folder.mkdir(parents=True, exist_ok=True)
    copy.write_text(text, encoding="utf-8")
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(layout.journal)))
    study = optuna.create_study(study_name=cal.spec.name, storage=storage,
                                load_if_exists=True, direction="minimize")
    for t in study.get_trials(deepcopy=False):
        if t.state == optuna.trial.TrialState.RUNNING:  # killed mid-trial
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    return study


def _distributions(cal: Calibration) -> dict[str, Any]:
    optuna = _optuna()
    return {name: optuna.distributions.FloatDistribution(lo, hi, log=log)
            for name, (lo, hi, log) in cal.ranges.items()}


def _complete(study: Any) -> list[Any]:
    optuna = _optuna()
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def search(cal: Calibration, folder: Path, *, executor: ExecutorSpec | None = None,
           progress: bool = True) -> Any:
    """Run (or resume) the calibration into ``folder``; returns the Optuna study."""
    optuna = _optuna()
    study = _open_study(cal, folder)
    startup = min(10, max(2, cal.spec.trials // 4))
    done = len(_complete(study))
    with tqdm(total=cal.spec.trials, initial=done, unit="trial", desc=cal.spec.name,
              disable=not progress) as bar:
        while done < cal.spec.trials:
            study.sampler = optuna.samplers.TPESampler(seed=cal.spec.seed * 100_003 + done,
                                                       n_startup_trials=startup)
            trial = study.ask(_distributions(cal))
            results = run_trial(cal, dict(trial.params), done, folder, executor)
            for r in results:
                trial.set_user_attr(r.name, [r.value, r.lo, r.hi, r.distance])
            trial.set_user_attr("accepted", all(r.passed for r in results))
            study.tell(trial, objective(results))
            done += 1
            bar.update(1)
    return study


def trials_frame(cal: Calibration, study: Any) -> pd.DataFrame:
    """One row per finished trial, in the order they ran: parameters, the objective,
    each target's value and distance, and whether every target was met."""
    rows = []
    for k, t in enumerate(_complete(study)):
        row: dict[str, Any] = {"trial": k, "objective": t.value,
                               "accepted": bool(t.user_attrs.get("accepted", False))}
        row.update(t.params)
        for name in cal.target_names:
            value, _lo, _hi, dist = t.user_attrs.get(name, [math.nan] * 4)
            row[name] = value
            row[f"{name}__distance"] = dist
        rows.append(row)
    return pd.DataFrame(rows)
