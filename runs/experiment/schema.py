"""The shape of an experiment TOML file (pydantic, strict, unknown keys forbidden).

Strict mode on purpose: ``replicates = "200"`` in a TOML file is a type mistake the user
should hear about, not a string we quietly turn into a number. Checks that need the
model's parameter schema (names, ranges) are in :mod:`runs.experiment.checks`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from dmzsim.analysis.estimators import CONFIDENCE
from dmzsim.analysis.target_spec import TargetSpec
from dmzsim.model import outputs
from dmzsim.runs.experiment.robust_schema import LeversSpec, RobustnessSpec, UncertaintiesSpec
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_+-]*$"  # used in folder and file names

Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=80)]

# Upper bounds on every count, so that a slip of the keyboard (replicates = 1000000000000)
# is an error at load, not a planner that never returns. Far above any sweep this model
# can run: a run takes about a second.
MAX_REPLICATES = 100_000  # per cell (run ids keep their order up to 9999; beyond, still unique)
MAX_SAMPLES = 1_000_000  # design samples (lhs points, sobol N, morris trajectories)
MAX_RUNS = 10_000_000  # arms x design points x replicates (or adaptive.max_replicates)


class ExperimentError(ValueError):
    """A bad experiment config; the message names every offending key path and value."""

    @classmethod
    def from_issues(cls, source: str, issues: list[str]) -> ExperimentError:
        lines = [f"experiment {source}: {issue}" for issue in issues]
        return cls("\n".join(lines))


def format_issue(path: str, value: Any, msg: str) -> str:
    """One line of an error report: ``key.path = value: what is wrong``."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{path} = {shown}: {msg}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _replicates(value: Any) -> Any:
    ok = value == "auto" or (isinstance(value, int) and not isinstance(value, bool)
                             and 1 <= value <= MAX_REPLICATES)
    if not ok:
        raise ValueError(f'must be a whole number from 1 to {MAX_REPLICATES:,} or "auto"')
    return value


Replicates = Annotated[int | Literal["auto"], BeforeValidator(_replicates)]


class Axis(_Strict):
    """One swept parameter: a list of values (grid) or a range (lhs, sobol, morris)."""

    values: list[Any] | None = Field(None, min_length=1)
    min: float | None = None
    max: float | None = None
    scale: Literal["linear", "log"] = "linear"

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"values": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _one_form(self) -> Axis:
        has_range = self.min is not None or self.max is not None
        if (self.values is None) == (not has_range):
            raise ValueError("give either a list of values or both min and max")
        if has_range:
            if self.min is None or self.max is None or not self.min < self.max:
                raise ValueError("a range needs min < max")
            if self.scale == "log" and self.min <= 0:
                raise ValueError("a log-scale range needs min > 0")
        return self

    @property
    def is_range(self) -> bool:
        return self.values is None


class DesignSpec(_Strict):
    """How the swept parameters are sampled into design points."""

    method: Literal["none", "grid", "lhs", "sobol", "morris", "table"] = "none"
    parameters: dict[str, Axis] = Field(default_factory=dict)
    samples: int | None = Field(None, ge=1, le=MAX_SAMPLES,
                                description="lhs: points; sobol: N; morris: trajectories")
    second_order: bool = False
    levels: int = Field(4, ge=2, le=1000, description="morris grid levels")
    seed: int | None = Field(None, ge=0)
    rows: list[dict[str, Any]] | None = None
    file: str | None = None
    #: a ``dmzsim calibrate`` folder: its accepted parameter sets become the table's rows
    #: (the ``samples`` best, or all), so results carry the calibration's uncertainty
    from_calibration: str | None = Field(None, min_length=1)


class AdaptiveSpec(_Strict):
    """replicates = "auto": add replicates per cell until the CI is narrow enough."""

    metric: str = Field(outputs.risk().name, pattern=r"^[a-z_][a-z0-9_]*$")
    target_half_width: float = Field(gt=0.0, lt=0.5)
    confidence: float = Field(CONFIDENCE, gt=0.5, lt=1.0)
    initial: int = Field(50, ge=2, le=MAX_REPLICATES)
    batch: int = Field(50, ge=1, le=MAX_REPLICATES)
    max_replicates: int = Field(1000, ge=2, le=MAX_REPLICATES)

    @field_validator("metric")
    @classmethod
    def _yes_no_output(cls, name: str) -> str:
        """The interval is a Wilson interval on a proportion: the metric must be a yes/no
        output of a run, known before anything runs (not after a whole round)."""
        found = outputs.get(name, "run")
        if found is None or not found.boolean:
            choices = [o.name for o in outputs.of_kind("run") if o.boolean]
            raise ValueError(f"not a yes/no output of a run; choose one of {choices}")
        return name


class OutputsSpec(_Strict):
    """What to keep per run besides the summary record."""

    series_every: int = Field(0, ge=0, description="0: summary only; k: series every k days")


def analysable_outputs() -> list[str]:
    """Outputs of a run (or derived from its record) that are yes/no or quantities (not
    a category such as a sector's number): what ``[analysis] sensitivity`` may name."""
    return [o.name for o in outputs.OUTPUTS
            if o.kind in ("run", "derived") and not o.category and o.show is not str]


class AnalysisSpec(_Strict):
    """``[analysis]``: what the report analyses beyond P(resumption).

    ``sensitivity``: the outputs whose Sobol' or Morris indices the report gives (a Sobol'
    or Morris design only), each a yes/no output (its per-point mean is a probability) or
    a numeric one (its per-point mean), e.g. ``["resumed", "territory_lost_km2"]``.
    ``contrasts``: pairs of arms the report compares, first minus second, paired by seed,
    with intervals, e.g. ``[["territory_first-unilateral",
    "guarantees_first-unilateral"]]`` (each arm must be one of the experiment's: checked
    with the arms, in :mod:`runs.experiment.checks`).
    """

    sensitivity: list[str] = Field(default_factory=lambda: [outputs.risk().name],
                                   min_length=1)
    # None when not given, so an [analysis] table without contrasts hashes as before
    contrasts: list[Annotated[list[Name], Field(min_length=2, max_length=2)]] | None = None

    @field_validator("sensitivity")
    @classmethod
    def _known_outputs(cls, names: list[str]) -> list[str]:
        known = analysable_outputs()
        unknown = [n for n in names if n not in known]
        if unknown:
            found = outputs.get(unknown[0], "run")
            what = (f"output {unknown[0]!r} is a category, not a quantity"
                    if found is not None and found.category else
                    f"unknown output {unknown[0]!r}: not a yes/no or numeric output of a run")
            raise ValueError(f"{what}; choose from {known}")
        if len(set(names)) < len(names):
            raise ValueError(f"an output is named twice in {names}")
        return names

    @field_validator("contrasts")
    @classmethod
    def _two_arms(cls, pairs: list[list[str]] | None) -> list[list[str]] | None:
        for pair in pairs or []:
            if pair[0] == pair[1]:
                raise ValueError(f"{pair}: a contrast compares two different arms")
        if pairs and len({tuple(p) for p in pairs}) < len(pairs):
            raise ValueError("a contrast is named twice")
        return pairs


class QuickSpec(_Strict):
    """A small subset for a smoke run (``dmzsim run --quick``)."""

    replicates: int | None = Field(None, ge=1, le=MAX_REPLICATES)
    arms: list[str] | None = Field(None, min_length=1)
    samples: int | None = Field(None, ge=1, le=MAX_SAMPLES)
    horizon_days: int | None = Field(None, ge=1)
    max_replicates: int | None = Field(None, ge=2, le=MAX_REPLICATES)


class ExperimentSpec(_Strict):
    """The whole experiment file."""

    name: Name
    description: str = ""
    question: str | None = None  # what the experiment asks, for the README (dmzsim publish)
    map: str | None = Field(None, min_length=1)  # map TOML, relative to the experiment file
    map_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")  # pins the map's content
    root_seed: int = Field(ge=0)
    horizon_days: int | None = Field(None, ge=1)
    replicates: Replicates
    baseline_arm: str | None = None
    base: dict[str, Any] = Field(default_factory=dict)
    arms: dict[Name, dict[str, Any]] = Field(default_factory=dict)
    design: DesignSpec = Field(default_factory=DesignSpec)
    outputs: OutputsSpec = Field(default_factory=OutputsSpec)
    adaptive: AdaptiveSpec | None = None
    analysis: AnalysisSpec | None = None  # None: hashes as an experiment always did
    quick: QuickSpec | None = None
    targets: dict[Name, TargetSpec] = Field(default_factory=dict)
    # robust decision making (runs.experiment.robust): None hashes as an experiment did
    levers: LeversSpec | None = None
    uncertainties: UncertaintiesSpec | None = None
    robustness: RobustnessSpec | None = None


# Every key an experiment file may hold, for "did you mean" hints.
CONFIG_KEYS = sorted({k for m in (ExperimentSpec, DesignSpec, Axis, AdaptiveSpec, OutputsSpec,
                                  AnalysisSpec, QuickSpec, TargetSpec, LeversSpec,
                                  UncertaintiesSpec, RobustnessSpec)
                      for k in m.model_fields})
OTHER_NAMES = {"map_path": "map", "map_file": "map"}  # as `dmzsim sim --map` users say it
