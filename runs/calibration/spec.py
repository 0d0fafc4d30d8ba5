"""The calibration file: which parameters to fit, to which targets, with what budget.

```toml
name = "war_rates"
experiment = "validation.toml"   # an experiment with [targets], relative to this file
targets = ["loss_ratio", "ru_losses_per_day"]   # optional: default every target
trials = 40                      # the search's budget
seed = 1                         # the search's seed (same seed, same trials)
replicates = 20                  # optional: runs per arm of each trial (default: the
                                 # experiment's)
arms = ["no_deal"]               # optional: only these arms (default: those the targets use)

[parameters.attrition_rate_per_day]   # range: the schema's bounds unless given
min = 0.002
max = 0.02
log = true                       # optional: search on a log scale
```

Strict like every input: unknown keys, wrong types and names that are not model
parameters or targets of the experiment are errors naming the file and the key; so are a
target or an arm named twice, ``arms`` that leave out an arm a target reads, and a
searched parameter that the experiment sets itself (the conflict rule of
:mod:`runs.experiment.checks`: the trial's value would override it, or be overridden).
The trial experiment is built at both ends of every range before anything runs, so what
a trial would meet (a map's zone, the conflict rule) stops the command at once.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dmzsim.common import validation
from dmzsim.common.tomlfile import read_toml
from dmzsim.model.params import Params, bounds
from dmzsim.runs import experiment
from dmzsim.runs.experiment.config import ExperimentConfig
from dmzsim.runs.experiment.schema import NAME_PATTERN, ExperimentError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: How the trial experiment's errors name a searched parameter.
SEARCHED = "searched parameter"


class CalibrationError(ValueError):
    """A bad calibration file; the message names the file, the key and the value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ParamRange(_Strict):
    """``[parameters.<name>]``: the range searched (default: the schema's bounds)."""

    min: float | None = None
    max: float | None = None
    log: bool = False


class CalibrationSpec(_Strict):
    """The whole calibration file."""

    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    description: str = ""
    experiment: str = Field(min_length=1)
    targets: list[str] | None = Field(None, min_length=1)
    trials: int = Field(ge=1, le=10_000)
    seed: int = Field(ge=0)
    replicates: int | None = Field(None, ge=1, le=10_000)
    arms: list[str] | None = Field(None, min_length=1)
    parameters: dict[str, ParamRange] = Field(min_length=1)


@dataclass(frozen=True)
class Calibration:
    """A validated calibration: the file, the experiment, and each parameter's range."""

    spec: CalibrationSpec
    source: Path
    experiment: ExperimentConfig
    ranges: dict[str, tuple[float, float, bool]]  # name -> (low, high, log)

    @property
    def target_names(self) -> list[str]:
        return list(self.spec.targets or self.experiment.spec.targets)

    @property
    def arms(self) -> list[str]:
        """The arms a trial runs: as given, else those the targets read."""
        if self.spec.arms is not None:
            return list(self.spec.arms)
        used = {a for n in self.target_names for a in (
            self.experiment.spec.targets[n].arm, self.experiment.spec.targets[n].versus) if a}
        return [a for a in self.experiment.arm_names if a in used]


def _range(name: str, r: ParamRange, where: str) -> tuple[float, float, bool]:
    lo, hi = bounds(name)
    low = r.min if r.min is not None else lo
    high = r.max if r.max is not None else hi
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        raise CalibrationError(f"{where}: the schema gives no finite range; set min and max")
    if not low < high:
        raise CalibrationError(f"{where}: needs min < max, got {low} and {high}")
    if (lo is not None and low < lo) or (hi is not None and high > hi):
        raise CalibrationError(f"{where}: [{low}, {high}] leaves the schema's range "
                               f"[{lo}, {hi}]")
    if r.log and low <= 0:
        raise CalibrationError(f"{where}: a log range needs min > 0")
    return float(low), float(high), r.log


def _ranges(spec: CalibrationSpec, source: Path) -> dict[str, tuple[float, float, bool]]:
    numeric = {n for n, f in Params.model_fields.items() if f.annotation in (float, int)}
    out = {}
    for name, r in spec.parameters.items():
        where = f"calibration {source}: parameters.{name}"
        if name not in Params.model_fields:
            raise CalibrationError(f"{where}: not a model parameter"
                                   f"{validation.did_you_mean(name, Params.model_fields)}")
        if name not in numeric:
            raise CalibrationError(f"{where}: not a numeric parameter")
        out[name] = _range(name, r, where)
    return out


def load(path: str | Path) -> Calibration:
    """Read and check a calibration file and the experiment it names."""
    source = Path(path)
    data = read_toml(source, what="calibration", error=CalibrationError)
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as err:
        lines = [f"calibration {source}: {i.path}: {i.message}" if i.missing else
                 f"calibration {source}: {i.path} = {i.value!r}: {i.message}"
                 for i in validation.issues(err, CalibrationSpec.model_fields)]
        raise CalibrationError("\n".join(lines)) from None
    try:
        exp = experiment.load(source.parent / spec.experiment)
    except ExperimentError as err:
        raise CalibrationError(f"calibration {source}: experiment = {spec.experiment!r}: "
                               f"{err}") from None
    for name in spec.targets or []:
        if name not in exp.spec.targets:
            raise CalibrationError(f"calibration {source}: targets: {name!r} is not a target "
                                   f"of {spec.experiment} ({', '.join(exp.spec.targets)})")
    if not exp.spec.targets:
        raise CalibrationError(f"calibration {source}: experiment {spec.experiment} names no "
                               "[targets]")
    for arm in spec.arms or []:
        if arm not in exp.arm_names:
            raise CalibrationError(f"calibration {source}: arms: {arm!r} is not an arm of "
                                   f"{spec.experiment} ({', '.join(exp.arm_names)})")
    for key in ("targets", "arms"):
        names = getattr(spec, key) or []
        twice = [n for i, n in enumerate(names) if n in names[:i]]
        if twice:
            raise CalibrationError(f"calibration {source}: {key}: {twice[0]!r} is named twice")
    cal = Calibration(spec, source, exp, _ranges(spec, source))
    if spec.arms is not None:
        read = {a for n in cal.target_names for a in (
            exp.spec.targets[n].arm, exp.spec.targets[n].versus) if a}
        left_out = sorted(read - set(spec.arms))
        if left_out:
            raise CalibrationError(f"calibration {source}: arms = {spec.arms!r} leaves out "
                                   f"{left_out[0]!r}, an arm the targets read")
    for end in (0, 1):  # both ends of every range: what a trial would meet, checked now
        params = {n: r[end] for n, r in cal.ranges.items()}
        try:
            trial_experiment(cal, params, 0)
        except ExperimentError as err:
            raise CalibrationError(f"calibration {source}: {err}") from None
    return cal


def trial_experiment(cal: Calibration, params: dict[str, float], k: int
                     ) -> ExperimentConfig:
    """The calibration's experiment with the trial's parameters added to its base (each
    one the experiment must leave unset), its arms cut to those the targets read, and its
    replicates as the calibration asks."""
    path = cal.source.parent / cal.spec.experiment
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["name"] = f"trial_{k:04d}"
    keep = cal.arms
    data["arms"] = {a: v for a, v in data.get("arms", {}).items() if a in keep}
    data["targets"] = {n: t for n, t in data.get("targets", {}).items()
                       if n in cal.target_names}
    if data.get("baseline_arm") not in keep:
        data.pop("baseline_arm", None)
    data.pop("quick", None)
    if cal.spec.replicates is not None:
        data["replicates"] = cal.spec.replicates
    return experiment.from_dict(data, source=f"{path} (trial {k} of {cal.source})",
                                base_dir=path.parent, overrides=params,
                                overrides_label=SEARCHED)
