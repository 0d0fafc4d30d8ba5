"""The shape of a target, ``[targets.<name>]`` of an experiment file.

A target is what :mod:`analysis.targets` evaluates on the runs, so its spec belongs to the
analysis: the experiment schema (:mod:`runs.experiment.schema`) and the calibration
(:mod:`runs.calibration`) import it from here, and the analysis needs nothing from
``runs/`` to read one. Strict like the rest of the experiment file: unknown keys and
values of the wrong type are errors, not guesses.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Statistic = Literal["mean", "median", "quantile", "ratio", "p_by_day", "hazard_ratio",
                    "difference"]


#: The keys a statistic needs, and the statistics that read each optional key: a key the
#: statistic does not read is an error, not a setting silently ignored.
NEEDS = {"ratio": ("denominator",), "quantile": ("q",), "p_by_day": ("day",),
         "difference": ("versus",)}
READ_BY = {"denominator": ("ratio",), "versus": ("difference",), "q": ("quantile",),
           "day": ("p_by_day",), "per_days": ("mean", "median", "quantile")}


class TargetSpec(BaseModel):
    """``[targets.<name>]``: one pattern the model must reproduce (``dmzsim validate``).

    The statistic of ``output`` over the runs of ``arm``:

    * ``mean``, ``median``, ``quantile`` (at ``q``): of the output, divided by the run's
      length in units of ``per_days`` days if given (30.44: per month; 1: per day);
    * ``ratio``: mean of ``output`` over mean of ``denominator``;
    * ``p_by_day``: the share of runs where the boolean ``output`` happened by ``day``
      (``day_resumed`` gives the day);
    * ``hazard_ratio``: P(resume in the second half of the horizon, among runs at peace
      at its middle) over P(resume in the first half): below 1, a falling hazard;
    * ``difference``: P(``output``) in ``arm`` minus in ``versus`` (paired runs): below 0,
      the arm is safer.

    The verdict is *inside* when the value lies in [``low``, ``high``], *within
    tolerance* when it lies within ``tolerance`` (the statistic's units) of that range.
    """

    # as strict as the rest of the experiment file (runs.experiment.schema)
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    arm: str = Field(min_length=1)
    statistic: Statistic
    output: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    denominator: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_]*$")
    versus: str | None = None
    # every number finite: a bound of nan or inf, or a tolerance of inf, would make a
    # target that any value meets
    q: float | None = Field(None, gt=0.0, lt=1.0, allow_inf_nan=False)
    day: float | None = Field(None, gt=0.0, allow_inf_nan=False)
    per_days: float | None = Field(None, gt=0.0, allow_inf_nan=False)
    low: float | None = Field(None, allow_inf_nan=False)
    high: float | None = Field(None, allow_inf_nan=False)
    tolerance: float = Field(0.0, ge=0.0, allow_inf_nan=False)
    source: str = Field(min_length=1)
    description: str = ""

    @model_validator(mode="after")
    def _complete(self) -> TargetSpec:
        for key in NEEDS.get(self.statistic, ()):
            if getattr(self, key) is None:
                raise ValueError(f"statistic {self.statistic!r} needs {key}")
        for key, readers in READ_BY.items():
            if getattr(self, key) is not None and self.statistic not in readers:
                raise ValueError(f"{key} = {getattr(self, key)!r} is not read by statistic "
                                 f"{self.statistic!r} (only by {', '.join(readers)})")
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both (the target range)")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low = {self.low} is above high = {self.high}")
        return self
